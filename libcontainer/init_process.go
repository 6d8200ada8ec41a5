package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rt-runtime/rt/libcontainer/capabilities"
	"github.com/rt-runtime/rt/seccomp"
)

func setRlimits(rl []specs.POSIXRlimit) error {
	for _, r := range rl {
		// syscall.Setrlimit, not a raw prlimit: the Go runtime raised
		// RLIMIT_NOFILE at start-up and puts its saved value back at
		// execve unless the limit was set through the syscall package.
		lim := syscall.Rlimit{Cur: r.Soft, Max: r.Hard}
		if err := syscall.Setrlimit(rlimitTypes[r.Type], &lim); err != nil {
			return fmt.Errorf("set %s to %d/%d: %w", r.Type, r.Soft, r.Hard, err)
		}
	}
	return nil
}

// splitRlimits separates the limits on address space (RLIMIT_AS,
// RLIMIT_DATA), set just before execve, from the rest, set while rt is
// still privileged.
func splitRlimits(rl []specs.POSIXRlimit) (early, late []specs.POSIXRlimit) {
	for _, r := range rl {
		if lateRlimit(r.Type) {
			late = append(late, r)
		} else {
			early = append(early, r)
		}
	}
	return early, late
}

func lateRlimit(t string) bool { return t == "RLIMIT_AS" || t == "RLIMIT_DATA" }

// lookPath finds args[0] with the container's PATH, inside the container.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		if err := executable(name); err != nil {
			return "", fmt.Errorf("exec: %q: %w", name, err)
		}
		return name, nil
	}
	// No PATH in the environment means no search path, as in runc (whose
	// lookup reads the PATH the workload gets).
	path := ""
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if executable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("exec: %q: executable file not found in $PATH", name)
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err // "stat /x: no such file or directory", as runc words it
	}
	if fi.IsDir() {
		return errors.New("is a directory")
	}
	if fi.Mode()&0o111 == 0 {
		return errors.New("permission denied")
	}
	return nil
}

// seccompFilter loads the container's profile once, at the point the
// caller picks, and hands the notify fd (if any) to the parent, for the
// listener, right after loading: a profile may notify on what rt itself
// calls next (setresuid, capset ... when loaded before the user switch),
// and those calls wait for a listener that must already have the fd.
type seccompFilter struct {
	profile *specs.LinuxSeccomp
	loaded  bool
	sock    int // sync socket to the parent
}

// notifies says whether the profile hands syscalls to a listener.
func (f *seccompFilter) notifies() bool {
	if f.profile == nil {
		return false
	}
	if f.profile.DefaultAction == specs.ActNotify {
		return true
	}
	for _, sc := range f.profile.Syscalls {
		if sc.Action == specs.ActNotify {
			return true
		}
	}
	return false
}

func (f *seccompFilter) load() error {
	if f.profile == nil || f.loaded {
		return nil
	}
	f.loaded = true
	fd, skipped, err := seccomp.Load(f.profile)
	if err != nil {
		return fmt.Errorf("seccomp: %w", err)
	}
	if len(skipped) > 0 {
		debugf("seccomp: syscalls unknown to libseccomp skipped: %s", strings.Join(skipped, " "))
	}
	if fd >= 0 {
		return sendSeccompFd(f.sock, fd)
	}
	return nil
}

// applyUserAndSecurity switches to the process's user and groups with its
// capabilities, umask and no_new_privileges. Seccomp is loaded here when it
// needs privilege (no no_new_privileges); otherwise the caller loads it
// last, after everything else rt does as itself.
func applyUserAndSecurity(s *specs.Spec, p *specs.Process, sc *seccompFilter) error {
	var caps *capabilities.Caps
	if p.Capabilities != nil {
		c, warnings, err := capabilities.New(p.Capabilities)
		if err != nil {
			return err
		}
		for _, w := range warnings {
			debugf("capabilities: %s", w)
		}
		caps = c
	}
	if !p.NoNewPrivileges {
		if err := sc.load(); err != nil {
			return err
		}
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_KEEPCAPS): %w", err)
	}
	if caps != nil {
		if err := caps.DropBounding(); err != nil {
			return err
		}
	}
	u := p.User
	if p.Terminal {
		// The pty slave (stdio by now) belongs to the process's user, as
		// in runc, which changes the owner only: the group stays devpts's
		// (gid=5, tty). rt chowns no other stdio: it is the caller's own
		// (runc chowns the pipes it made, and inherited files too).
		if err := unix.Fchown(0, int(u.UID), -1); err != nil {
			return fmt.Errorf("chown the terminal to uid %d: %w", u.UID, err)
		}
	}
	if err := setGroups(u.AdditionalGids); err != nil {
		return err
	}
	if err := unix.Setresgid(int(u.GID), int(u.GID), int(u.GID)); err != nil {
		return fmt.Errorf("setgid %d: %w", u.GID, err)
	}
	if err := unix.Setresuid(int(u.UID), int(u.UID), int(u.UID)); err != nil {
		return fmt.Errorf("setuid %d: %w", u.UID, err)
	}
	if caps != nil {
		if err := caps.Apply(); err != nil {
			return err
		}
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_KEEPCAPS): %w", err)
	}
	umask := 0o022
	if u.Umask != nil {
		umask = int(*u.Umask)
	}
	unix.Umask(umask)
	if p.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
		}
	}
	return nil
}

// setGroups sets the supplementary groups on this thread only: the
// process execs from it.
func setGroups(gids []uint32) error {
	list := make([]uint32, len(gids))
	copy(list, gids)
	var ptr uintptr
	if len(list) > 0 {
		ptr = uintptrOf(list)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(list)), ptr, 0); e != 0 {
		if e == unix.EPERM && len(list) == 0 {
			return nil // setgroups denied in this user namespace, nothing to drop
		}
		return fmt.Errorf("setgroups %v: %w", gids, e)
	}
	return nil
}
