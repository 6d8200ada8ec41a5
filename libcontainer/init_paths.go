package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/rt-runtime/rt/libcontainer/internal/pathsafe"
	"golang.org/x/sys/unix"
)

// After pivot_root the container's /proc may be anything the image made
// it, so these steps use no path through /proc: detached mounts
// (open_tree, fsmount) are moved onto fds with move_mount.

// finishRootfs applies masked and read-only paths and a read-only root.
func finishRootfs(s *specs.Spec) error {
	root, err := os.OpenFile("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /: %w", err)
	}
	defer root.Close()
	for _, p := range s.Linux.ReadonlyPaths {
		if err := readonlyPath(root, p); err != nil {
			return fmt.Errorf("readonly path %s: %w", p, err)
		}
	}
	if len(s.Linux.MaskedPaths) > 0 {
		null, err := devNull(root)
		if err != nil {
			return err
		}
		defer unix.Close(null)
		m := &masker{null: null, tmpfs: -1}
		defer m.close()
		seen := map[string]bool{}
		for _, p := range s.Linux.MaskedPaths {
			if seen[filepath.Clean(p)] {
				continue // a duplicate: masked already
			}
			seen[filepath.Clean(p)] = true
			if err := m.mask(root, p); err != nil {
				return fmt.Errorf("masked path %s: %w", p, err)
			}
		}
	}
	if s.Root.Readonly {
		if err := unix.Mount("", "/", "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|rootLockedFlags(), ""); err != nil {
			return fmt.Errorf("make root read-only: %w", err)
		}
	}
	return nil
}

func rootLockedFlags() uintptr {
	var st unix.Statfs_t
	if unix.Statfs("/", &st) != nil {
		return 0
	}
	return lockedFlags(uintptr(st.Flags)) &^ unix.MS_RDONLY
}

func openInRoot(root *os.File, p string) (*os.File, error) {
	f, err := pathsafe.OpenInRoot(root, p)
	if err != nil && (errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ENOENT)) {
		return nil, nil
	}
	return f, err
}

// devNull opens the container's /dev/null and checks that it really is
// the 1:3 char device (a hostile image could put anything there).
func devNull(root *os.File) (int, error) {
	f, err := pathsafe.OpenInRoot(root, "/dev/null")
	if err != nil {
		return -1, fmt.Errorf("open /dev/null: %w", err)
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return -1, fmt.Errorf("stat /dev/null: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(st.Rdev) != 1 || unix.Minor(st.Rdev) != 3 {
		return -1, errors.New("/dev/null is not the null device (1:3)")
	}
	return unix.Dup(int(f.Fd()))
}

// reopenDevNull replaces each of fds 0-2 that is a null device (the
// caller's /dev/null, from outside the container) with the container's
// own /dev/null, as runc's init does: every fd of the container's process
// then lies in its own mounts, which CRIU needs to dump it ("Can't lookup
// mount" otherwise). Runs after the rootfs is entered.
func reopenDevNull() error {
	var stdio [3]bool
	any := false
	for fd := range stdio {
		var st unix.Stat_t
		if unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == unix.Mkdev(1, 3) {
			stdio[fd], any = true, true
		}
	}
	if !any {
		return nil
	}
	root, err := os.OpenFile("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /: %w", err)
	}
	defer root.Close()
	f, err := pathsafe.OpenInRootFlags(root, "/dev/null", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NOFOLLOW)
	if err != nil {
		return fmt.Errorf("reopen /dev/null: %w", err)
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return fmt.Errorf("stat /dev/null: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != unix.Mkdev(1, 3) {
		return errors.New("/dev/null is not the null device (1:3)")
	}
	for fd, null := range stdio {
		if null {
			if err := unix.Dup3(int(f.Fd()), fd, 0); err != nil {
				return fmt.Errorf("reopen /dev/null as fd %d: %w", fd, err)
			}
		}
	}
	return nil
}

func moveOnto(tree int, target *os.File) error {
	return unix.MoveMount(tree, "", int(target.Fd()), "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)
}

// masker covers a file with /dev/null and a directory with an empty
// read-only tmpfs, one for all the masked directories (as runc 1.5:
// the first one's tmpfs, cloned onto the others).
type masker struct {
	null     int  // the checked /dev/null
	tmpfs    int  // the tmpfs, -1 until a directory is masked
	attached bool // tmpfs has been moved onto the first masked directory
}

func (m *masker) close() {
	if m.tmpfs >= 0 {
		unix.Close(m.tmpfs)
	}
}

// emptyTmpfs makes the read-only tmpfs once: size 4k, one inode, as runc's.
func (m *masker) emptyTmpfs() (int, error) {
	if m.tmpfs >= 0 {
		return m.tmpfs, nil
	}
	fs, err := unix.Fsopen("tmpfs", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("fsopen tmpfs: %w", err)
	}
	defer unix.Close(fs)
	for _, kv := range [][2]string{{"source", "tmpfs"}, {"size", "4k"}, {"nr_inodes", "1"}} {
		if err := unix.FsconfigSetString(fs, kv[0], kv[1]); err != nil {
			return -1, fmt.Errorf("fsconfig %s: %w", kv[0], err)
		}
	}
	if err := unix.FsconfigSetFlag(fs, "ro"); err != nil {
		return -1, fmt.Errorf("fsconfig ro: %w", err)
	}
	if err := unix.FsconfigCreate(fs); err != nil {
		return -1, fmt.Errorf("fsconfig create: %w", err)
	}
	m.tmpfs, err = unix.Fsmount(fs, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_RDONLY)
	if err != nil {
		return -1, fmt.Errorf("fsmount: %w", err)
	}
	return m.tmpfs, nil
}

// mask covers p; a path that does not exist is left alone.
func (m *masker) mask(root *os.File, p string) error {
	t, err := openInRoot(root, p)
	if err != nil || t == nil {
		return err
	}
	defer t.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(t.Fd()), &st); err != nil {
		return err
	}
	src := m.null
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		if src, err = m.emptyTmpfs(); err != nil {
			return err
		}
		if !m.attached {
			// The first directory takes the detached tmpfs itself: kernels
			// before 6.15 refuse to clone a mount that is not attached yet
			// (EINVAL). The fd then names the attached mount, which clones.
			if err := moveOnto(src, t); err != nil {
				return fmt.Errorf("move mount: %w", err)
			}
			m.attached = true
			return nil
		}
	}
	tree, err := unix.OpenTree(src, "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH)
	if err != nil {
		return fmt.Errorf("clone mask: %w", err)
	}
	defer unix.Close(tree)
	if err := moveOnto(tree, t); err != nil {
		return fmt.Errorf("move mount: %w", err)
	}
	return nil
}

// readonlyPath binds a path onto itself read-only; its other flags stay
// (runc's read-only paths are "ro,relatime" under a plain /proc).
func readonlyPath(root *os.File, p string) error {
	t, err := openInRoot(root, p)
	if err != nil || t == nil {
		return err
	}
	defer t.Close()
	tree, err := unix.OpenTree(int(t.Fd()), "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH|unix.AT_RECURSIVE)
	if err != nil {
		return fmt.Errorf("clone: %w", err)
	}
	defer unix.Close(tree)
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
	if err := unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, &attr); err != nil {
		return fmt.Errorf("set read-only: %w", err)
	}
	if err := moveOnto(tree, t); err != nil {
		return fmt.Errorf("move mount: %w", err)
	}
	return nil
}

// writeSysctls writes linux.sysctl through the real procfs: it runs before
// pivot_root, and each file is checked to be on procfs before the write.
func writeSysctls(sysctl map[string]string) error {
	for k, v := range sysctl {
		p := "/proc/sys/" + strings.ReplaceAll(strings.ReplaceAll(k, ".", "/"), "//", "/")
		if err := writeProcFile(p, v); err != nil {
			return fmt.Errorf("sysctl %s=%s: %w", k, v, err)
		}
	}
	return nil
}

func writeProcFile(p, v string) error {
	fd, err := unix.Open(p, unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		return err
	}
	if st.Type != unix.PROC_SUPER_MAGIC {
		return fmt.Errorf("%s is not on procfs", p)
	}
	if _, err := unix.Write(fd, []byte(v)); err != nil {
		return err
	}
	return nil
}

func applyOOMScoreAdj(p *specs.Process) error {
	if p.OOMScoreAdj == nil {
		return nil
	}
	if err := writeProcFile("/proc/self/oom_score_adj", fmt.Sprint(*p.OOMScoreAdj)); err != nil {
		return fmt.Errorf("oomScoreAdj %d: %w", *p.OOMScoreAdj, err)
	}
	return nil
}

func setHostnames(s *specs.Spec) error {
	if s.Hostname != "" {
		if err := unix.Sethostname([]byte(s.Hostname)); err != nil {
			return fmt.Errorf("sethostname %q: %w", s.Hostname, err)
		}
	}
	if s.Domainname != "" {
		if err := unix.Setdomainname([]byte(s.Domainname)); err != nil {
			return fmt.Errorf("setdomainname %q: %w", s.Domainname, err)
		}
	}
	return nil
}

// newSessionKeyring gives the container a session keyring of its own, so
// it cannot read the host's keys.
func newSessionKeyring(id string) error {
	name := "_ses." + id
	if _, err := unix.KeyctlJoinSessionKeyring(name); err != nil {
		if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EACCES) || errors.Is(err, unix.EDQUOT) {
			return nil // keyrings off or quota reached: runc carries on too
		}
		return fmt.Errorf("join session keyring: %w", err)
	}
	return nil
}

// loopbackUp brings up lo in a new network namespace.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("bring up lo: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("bring up lo: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring up lo: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring up lo: %w", err)
	}
	return nil
}
