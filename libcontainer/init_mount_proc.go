package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rt-runtime/rt/libcontainer/internal/pathsafe"
)

// A mount over /proc (or under it) can hide the procfs files the kernel's
// confinement is read and written through, and a proc or sysfs mount made
// through a symlink lands where the image chose. Both are refused with
// runc's wording; only the sub-mounts lxcfs-style tools emulate are allowed
// inside /proc.

// safeProcMounts are the /proc entries a mount may cover.
var safeProcMounts = []string{
	"/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps",
	"/proc/uptime", "/proc/loadavg", "/proc/slabinfo", "/proc/sys/kernel/ns_last_pid",
	"/proc/sys/fs/binfmt_misc",
}

// checkOrdinaryDir refuses a proc or sysfs mount whose destination exists
// and is anything but a directory, a symlink above all (its parents are
// resolved in the root, the last component is not followed).
func checkOrdinaryDir(root *os.File, m *specs.Mount) error {
	if m.Type != "proc" && m.Type != "sysfs" {
		return nil
	}
	dest := filepath.Clean("/" + m.Destination)
	if dest == "/" {
		return fmt.Errorf("filesystem %q must be mounted on ordinary directory", m.Type)
	}
	parent, err := pathsafe.OpenInRootFlags(root, filepath.Dir(dest), unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil // made below, as a directory
		}
		return err
	}
	defer parent.Close()
	var st unix.Stat_t
	err = unix.Fstatat(int(parent.Fd()), filepath.Base(dest), &st, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stat %s: %w", dest, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return fmt.Errorf("filesystem %q must be mounted on ordinary directory", m.Type)
	}
	return nil
}

// checkProcMount refuses a mount whose destination, as resolved in the
// root (target is the opened destination), is /proc itself (unless it is a
// new procfs or a bind of a procfs root) or lies inside /proc (unless it is
// one of safeProcMounts). rootfs is the rootfs path the messages name.
func checkProcMount(root, target *os.File, rootfs string, m *specs.Mount, src string, bind bool) error {
	rel, err := pathInRoot(root, target)
	if err != nil {
		return err
	}
	switch {
	case rel == "/proc":
		if bind {
			var sfs unix.Statfs_t
			if err := unix.Statfs(src, &sfs); err != nil {
				return fmt.Errorf("statfs %s: %w", src, err)
			}
			if sfs.Type == unix.PROC_SUPER_MAGIC {
				var st unix.Stat_t
				if err := unix.Stat(src, &st); err != nil {
					return fmt.Errorf("stat %s: %w", src, err)
				}
				if st.Ino != 1 {
					return fmt.Errorf("%q cannot be mounted because it is not the root of a proc mount", m.Source)
				}
				return nil
			}
		} else if m.Type == "proc" {
			return nil
		}
		return fmt.Errorf("%q cannot be mounted because it is not of type proc", filepath.Join(rootfs, rel))
	case strings.HasPrefix(rel, "/proc/"):
		for _, p := range safeProcMounts {
			if rel == p {
				return nil
			}
		}
		return fmt.Errorf("%q cannot be mounted because it is inside /proc", filepath.Join(rootfs, rel))
	}
	return nil
}

// pathInRoot gives where target lies inside root ("/proc/uptime"), read
// from the host's procfs (this runs before pivot_root).
func pathInRoot(root, target *os.File) (string, error) {
	r, err := os.Readlink(fdPath(root))
	if err != nil {
		return "", fmt.Errorf("resolve rootfs: %w", err)
	}
	t, err := os.Readlink(fdPath(target))
	if err != nil {
		return "", fmt.Errorf("resolve mount destination: %w", err)
	}
	if t == r {
		return "/", nil
	}
	rest, ok := strings.CutPrefix(t, strings.TrimSuffix(r, "/")+"/")
	if !ok {
		return "", fmt.Errorf("mount destination %s resolved outside the rootfs", t)
	}
	return "/" + rest, nil
}
