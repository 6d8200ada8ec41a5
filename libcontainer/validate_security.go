package libcontainer

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rt-runtime/rt/libcontainer/capabilities"
	"github.com/rt-runtime/rt/libcontainer/lsm"
	"github.com/rt-runtime/rt/seccomp"
)

func validateHooksAndSecurity(s *specs.Spec) error {
	if err := validateHooks(s); err != nil {
		return err
	}
	if sc := s.Linux.Seccomp; sc != nil {
		if err := seccomp.Validate(sc); err != nil {
			return err
		}
		if sc.ListenerPath != "" && !filepath.IsAbs(sc.ListenerPath) {
			return fmt.Errorf("linux.seccomp.listenerPath: %q is not an absolute path", sc.ListenerPath)
		}
		if sc.ListenerPath == "" && usesNotify(sc) {
			return errors.New("linux.seccomp: SCMP_ACT_NOTIFY is used but seccomp listenerPath is not set")
		}
	}
	if err := lsm.CheckAppArmor(s.Process.ApparmorProfile); err != nil {
		return fmt.Errorf("process.apparmorProfile: %w", err)
	}
	if err := lsm.CheckSELinux(s.Process.SelinuxLabel); err != nil {
		return err
	}
	if c := s.Process.Capabilities; c != nil {
		if _, _, err := capabilities.New(c); err != nil {
			return err
		}
	}
	return nil
}

// warnCapabilities logs, as runc does at create and exec, the capability
// names that are skipped (unknown, or not in the running kernel) and the
// ambient ones the kernel will not raise.
func warnCapabilities(c *specs.LinuxCapabilities, log *slog.Logger) error {
	_, warnings, err := capabilities.New(c)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		if log != nil {
			log.Warn(w)
		}
	}
	return nil
}

func usesNotify(sc *specs.LinuxSeccomp) bool {
	for _, r := range sc.Syscalls {
		if r.Action == specs.ActNotify {
			return true
		}
	}
	return false
}
