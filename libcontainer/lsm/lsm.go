// Package lsm applies the Linux security modules' labels of a container
// process: the AppArmor profile and the SELinux label it execs into, and
// the SELinux context of its mounts.
//
// Both exec labels are per-thread attributes that take effect at the next
// execve, so they must be written by the init's locked OS thread, the one
// that then execs the workload, and before it switches to the container's
// user (after setuid the process is no longer dumpable and its
// /proc/thread-self/attr files belong to root) and before
// no_new_privileges (which limits AppArmor profile transitions).
//
// Writes go through a procfs handle from pathrs-lite (a private procfs
// instance where the kernel allows it, never one the container mounted),
// and every fd is checked with fstatfs to be on procfs before the write:
// a container that mounted a plain file or tmpfs over /proc cannot make
// the label land somewhere else (CVE-2019-16884, CVE-2025-52881).
package lsm

import (
	"errors"
	"fmt"
	"os"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/cyphar/filepath-securejoin/pathrs-lite/procfs"
	"github.com/opencontainers/selinux/go-selinux"
	"github.com/opencontainers/selinux/go-selinux/label"
	"golang.org/x/sys/unix"
)

const (
	appArmorParam = "/sys/module/apparmor/parameters/enabled"
	appArmorFS    = "/sys/kernel/security/apparmor"
)

// AppArmorEnabled reports whether AppArmor is the active LSM here: the
// module says Y and its securityfs directory is there.
func AppArmorEnabled() bool {
	return appArmorEnabledAt(appArmorParam, appArmorFS)
}

func appArmorEnabledAt(param, fsDir string) bool {
	b, err := os.ReadFile(param)
	if err != nil || !strings.HasPrefix(string(b), "Y") {
		return false
	}
	// The profile directory is on securityfs, or on apparmorfs where the
	// kernel mounts its own there.
	var st unix.Statfs_t
	if err := unix.Statfs(fsDir, &st); err != nil {
		return false
	}
	return st.Type == unix.SECURITYFS_MAGIC || st.Type == unix.AAFS_MAGIC
}

// CheckAppArmor is the up-front check of process.apparmorProfile: a
// profile asked for on a host without AppArmor is an error (runc and crun
// refuse it too), so that a container never runs unconfined by surprise.
func CheckAppArmor(profile string) error {
	return checkAppArmor(profile, AppArmorEnabled())
}

func checkAppArmor(profile string, enabled bool) error {
	if profile != "" && !enabled {
		return fmt.Errorf("apparmor profile %q requested but AppArmor is not enabled", profile)
	}
	return nil
}

// ApplyAppArmor makes the calling thread change to profile at its next
// execve. "" does nothing. The caller must have locked its OS thread.
func ApplyAppArmor(profile string) error {
	if profile == "" {
		return nil
	}
	// No AppArmorEnabled() here: the caller checked it on the host side
	// (CheckAppArmor); inside the container /sys/kernel/security is not
	// mounted. A kernel without AppArmor refuses the write below anyway.
	// attr/apparmor/exec is the LSM-specific file (Linux 5.8+), which
	// stays right when AppArmor is stacked with another LSM; attr/exec
	// is the older shared one.
	err := writeThreadAttr(openThreadSelf, []string{"attr/apparmor/exec", "attr/exec"}, "exec "+profile)
	if err != nil {
		return fmt.Errorf("apply apparmor profile %q: %w", profile, err)
	}
	return nil
}

// opener opens /proc/thread-self/<subpath> for writing; close undoes
// whatever the open needed (pathrs-lite locks the thread for it).
type opener func(subpath string) (f *os.File, closeFn func(), err error)

func openThreadSelf(subpath string) (*os.File, func(), error) {
	proc, err := procfs.OpenProcRoot()
	if err != nil {
		return nil, nil, fmt.Errorf("open procfs: %w", err)
	}
	defer proc.Close()
	h, closer, err := proc.OpenThreadSelf(subpath)
	if err != nil {
		return nil, nil, err
	}
	defer h.Close()
	f, err := pathrs.Reopen(h, unix.O_WRONLY|unix.O_CLOEXEC)
	if err != nil {
		closer()
		return nil, nil, fmt.Errorf("reopen /proc/thread-self/%s for writing: %w", subpath, err)
	}
	return f, closer, nil
}

// writeThreadAttr writes value to the first of subpaths that exists. A
// file that opens but is not on procfs is an error, never a fallback.
func writeThreadAttr(open opener, subpaths []string, value string) error {
	var lastErr error
	for _, sub := range subpaths {
		f, closeFn, err := open(sub)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ENOENT) {
				lastErr = fmt.Errorf("open /proc/thread-self/%s: %w", sub, err)
				continue
			}
			return fmt.Errorf("open /proc/thread-self/%s: %w", sub, err)
		}
		err = writeProcFd(f, value)
		f.Close()
		closeFn()
		if err != nil {
			return fmt.Errorf("write /proc/thread-self/%s: %w", sub, err)
		}
		return nil
	}
	return lastErr
}

// writeProcFd writes value in one write(2), as the LSM attr files want,
// after checking that f really is on procfs.
func writeProcFd(f *os.File, value string) error {
	if err := verifyProcfs(int(f.Fd())); err != nil {
		return err
	}
	n, err := unix.Write(int(f.Fd()), []byte(value))
	if err != nil {
		return err
	}
	if n != len(value) {
		return fmt.Errorf("short write: %d of %d bytes", n, len(value))
	}
	return nil
}

// verifyProcfs refuses an fd that is not on a procfs filesystem.
func verifyProcfs(fd int) error {
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		return fmt.Errorf("fstatfs: %w", err)
	}
	if st.Type != unix.PROC_SUPER_MAGIC {
		return fmt.Errorf("not on procfs (filesystem magic %#x): refusing to write", st.Type)
	}
	return nil
}

// CheckSELinux is the up-front check of process.selinuxLabel (and exec's
// --process-label) that runc makes: a label on a host without SELinux is
// refused in runc's words, so that a container never runs unlabelled by
// surprise. linux.mountLabel is not checked (runc does not either).
func CheckSELinux(processLabel string) error {
	return checkSELinux(processLabel, selinux.GetEnabled())
}

func checkSELinux(processLabel string, enabled bool) error {
	if processLabel != "" && !enabled {
		return errors.New("selinux label is specified in config, but selinux is disabled or not supported")
	}
	return nil
}

// ApplySELinuxExecLabel makes the calling thread's next execve run with
// label. It is ignored when label is "" or SELinux is disabled (which
// CheckSELinux refused up front). The caller
// must have locked its OS thread; go-selinux writes
// /proc/thread-self/attr/exec through a verified procfs handle.
func ApplySELinuxExecLabel(label string, enabled bool) error {
	return applySELinuxExecLabel(label, enabled, selinux.SetExecLabel)
}

func applySELinuxExecLabel(label string, enabled bool, set func(string) error) error {
	if label == "" || !enabled {
		return nil
	}
	if err := set(label); err != nil {
		return fmt.Errorf("set selinux exec label %q: %w", label, err)
	}
	return nil
}

// FormatMountLabel adds the SELinux context=... option for mountLabel to a
// mount's data options ("size=64k" -> `size=64k,context="system_u:..."`);
// the quotes keep the commas of an MCS range inside one option. With no
// label, or SELinux disabled (the option would make the mount fail), the
// options come back unchanged.
func FormatMountLabel(options, mountLabel string, enabled bool) string {
	return formatMountLabel(options, mountLabel, enabled)
}

func formatMountLabel(options, mountLabel string, enabled bool) string {
	if mountLabel == "" || !enabled {
		return options
	}
	return label.FormatMountLabel(options, mountLabel)
}

// SELinuxEnabled reports whether SELinux is on, seen from the caller's mount namespace.
func SELinuxEnabled() bool { return selinux.GetEnabled() }

// SetMountRootLabel labels a mount's root, given as a path that reaches
// it (an fd path of a handle opened inside the rootfs): mqueue's superblock
// exists before the mount, so it takes no context= option.
func SetMountRootLabel(path, mountLabel string, enabled bool) error {
	if mountLabel == "" || !enabled {
		return nil
	}
	if err := selinux.SetFileLabel(path, mountLabel); err != nil {
		return fmt.Errorf("label %q: %w", mountLabel, err)
	}
	return nil
}
