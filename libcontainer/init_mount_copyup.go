package libcontainer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// tmpcopyup: a tmpfs mounted over a directory of the image starts with
// that directory's contents. The directory is opened before the tmpfs
// covers it; the open fd still reaches the covered tree, which is copied
// into the new mount's root entry by entry, through fds only: every
// source is opened relative to its parent's fd with O_NOFOLLOW and its
// type checked, symlinks are copied as links and never followed, so a
// hostile image cannot point the copy at a host file or make it write
// outside the tmpfs. Kept: owners, modes (setuid, setgid, sticky too),
// times, hard links, extended attributes where both sides support them,
// fifos, sockets and device nodes. The root of the tmpfs takes the
// directory's mode (as a mode= option, unless one is given) and extended
// attributes; its owner is the tmpfs's (uid=/gid=, else root), as runc.

const tmpfsMagic = 0x01021994

// copyUp copies the tree of src (an open directory) into dst, the root of
// the new tmpfs.
func copyUp(src, dst *os.File) error {
	var fs unix.Statfs_t
	if err := unix.Fstatfs(int(dst.Fd()), &fs); err != nil {
		return fmt.Errorf("tmpcopyup: statfs of the new tmpfs: %w", err)
	}
	if fs.Type != tmpfsMagic {
		return errors.New("tmpcopyup: the destination is not the new tmpfs")
	}
	// Modes exactly as in the image while we create entries.
	old := unix.Umask(0)
	defer unix.Umask(old)
	c := &copier{root: int(dst.Fd()), links: map[[2]uint64]string{}}
	if err := c.copyDir(int(src.Fd()), int(dst.Fd()), ""); err != nil {
		return fmt.Errorf("tmpcopyup: %w", err)
	}
	if err := copyXattrs(int(src.Fd()), int(dst.Fd())); err != nil {
		return fmt.Errorf("tmpcopyup: extended attributes of the directory: %w", err)
	}
	return nil
}

type copier struct {
	root  int                  // the tmpfs root, for hard links
	links map[[2]uint64]string // (dev, ino) of a multiply linked file -> its copy's path
}

// copyDir copies the entries of the directory srcFd into dstFd; rel is the
// directory's path below the tmpfs root (for messages and hard links).
func (c *copier) copyDir(srcFd, dstFd int, rel string) error {
	names, err := readDirNames(srcFd)
	if err != nil {
		return fmt.Errorf("read %s: %w", "/"+rel, err)
	}
	for _, name := range names {
		if err := c.copyEntry(srcFd, dstFd, name, path.Join(rel, name)); err != nil {
			return err
		}
	}
	return nil
}

func readDirNames(fd int) ([]string, error) {
	// A dup: os.File takes its fd to close, and the offset is shared, so
	// rewind first.
	d, err := unix.Dup(fd)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(d), "dir")
	defer f.Close()
	if _, err := unix.Seek(d, 0, io.SeekStart); err != nil {
		return nil, err
	}
	return f.Readdirnames(-1)
}

func (c *copier) copyEntry(srcDir, dstDir int, name, rel string) error {
	if strings.Contains(name, "/") || name == "." || name == ".." {
		return fmt.Errorf("bad directory entry %q", name)
	}
	var st unix.Stat_t
	if err := unix.Fstatat(srcDir, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("stat /%s: %w", rel, err)
	}
	mode := st.Mode & unix.S_IFMT
	key := [2]uint64{st.Dev, st.Ino}
	if mode != unix.S_IFDIR && st.Nlink > 1 {
		if first, ok := c.links[key]; ok {
			if err := unix.Linkat(c.root, first, dstDir, name, 0); err != nil {
				return fmt.Errorf("link /%s to /%s: %w", rel, first, err)
			}
			return nil
		}
		c.links[key] = rel
	}
	switch mode {
	case unix.S_IFDIR:
		return c.copySubdir(srcDir, dstDir, name, rel, &st)
	case unix.S_IFREG:
		return c.copyFile(srcDir, dstDir, name, rel, &st)
	case unix.S_IFLNK:
		return c.copySymlink(srcDir, dstDir, name, rel, &st)
	case unix.S_IFIFO, unix.S_IFSOCK, unix.S_IFCHR, unix.S_IFBLK:
		if err := unix.Mknodat(dstDir, name, st.Mode, int(st.Rdev)); err != nil {
			return fmt.Errorf("mknod /%s: %w", rel, err)
		}
		// O_PATH: a fifo or device is never opened for I/O.
		fd, err := unix.Openat(dstDir, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open copy of /%s: %w", rel, err)
		}
		defer unix.Close(fd)
		if err := unix.Fchownat(fd, "", int(st.Uid), int(st.Gid), unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("chown /%s: %w", rel, err)
		}
		// chown may have cleared setuid/setgid; the node was made with
		// the full mode and umask 0, so set it once more through the fd.
		if err := unix.Fchmodat(unix.AT_FDCWD, fdPathInt(fd), st.Mode&07777, 0); err != nil {
			return fmt.Errorf("chmod /%s: %w", rel, err)
		}
		return setTimes(fd, &st, rel)
	}
	return fmt.Errorf("/%s: unknown file type %#o", rel, mode)
}

func fdPathInt(fd int) string { return fmt.Sprintf("/proc/self/fd/%d", fd) }

func (c *copier) copySubdir(srcDir, dstDir int, name, rel string, st *unix.Stat_t) error {
	s, err := unix.Openat(srcDir, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /%s: %w", rel, err)
	}
	defer unix.Close(s)
	if err := sameInode(s, st, rel); err != nil {
		return err
	}
	if err := unix.Mkdirat(dstDir, name, 0o700); err != nil {
		return fmt.Errorf("mkdir /%s: %w", rel, err)
	}
	d, err := unix.Openat(dstDir, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open copy of /%s: %w", rel, err)
	}
	defer unix.Close(d)
	if err := c.copyDir(s, d, rel); err != nil {
		return err
	}
	// Owner, mode and times last: a read-only or foreign-owned directory
	// is filled first, and its mtime is not moved by that.
	return c.setAttrs(s, d, st, "/"+rel)
}

func (c *copier) copyFile(srcDir, dstDir int, name, rel string, st *unix.Stat_t) error {
	// O_NONBLOCK: were the entry swapped for a fifo, open must not hang;
	// sameInode then refuses it.
	s, err := unix.Openat(srcDir, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /%s: %w", rel, err)
	}
	sf := os.NewFile(uintptr(s), rel)
	defer sf.Close()
	if err := sameInode(s, st, rel); err != nil {
		return err
	}
	d, err := unix.Openat(dstDir, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("create copy of /%s: %w", rel, err)
	}
	df := os.NewFile(uintptr(d), rel)
	defer df.Close()
	if _, err := io.Copy(df, sf); err != nil {
		return fmt.Errorf("copy /%s: %w", rel, err)
	}
	return c.setAttrs(s, d, st, "/"+rel)
}

func (c *copier) copySymlink(srcDir, dstDir int, name, rel string, st *unix.Stat_t) error {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(srcDir, name, buf)
	if err != nil {
		return fmt.Errorf("readlink /%s: %w", rel, err)
	}
	if err := unix.Symlinkat(string(buf[:n]), dstDir, name); err != nil {
		return fmt.Errorf("symlink /%s: %w", rel, err)
	}
	if err := unix.Fchownat(dstDir, name, int(st.Uid), int(st.Gid), unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("chown /%s: %w", rel, err)
	}
	ts := []unix.Timespec{st.Atim, st.Mtim}
	if err := unix.UtimesNanoAt(dstDir, name, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set times of /%s: %w", rel, err)
	}
	return nil
}

// sameInode checks that what was opened is what was stat'ed.
func sameInode(fd int, st *unix.Stat_t, rel string) error {
	var now unix.Stat_t
	if err := unix.Fstat(fd, &now); err != nil {
		return fmt.Errorf("stat /%s: %w", rel, err)
	}
	if now.Dev != st.Dev || now.Ino != st.Ino || now.Mode&unix.S_IFMT != st.Mode&unix.S_IFMT {
		return fmt.Errorf("/%s changed while it was copied", rel)
	}
	return nil
}

// setAttrs gives dst (an open file or directory) the owner, mode,
// extended attributes and times of st / src.
func (c *copier) setAttrs(src, dst int, st *unix.Stat_t, name string) error {
	if err := copyXattrs(src, dst); err != nil {
		return fmt.Errorf("extended attributes of %s: %w", name, err)
	}
	if err := unix.Fchown(dst, int(st.Uid), int(st.Gid)); err != nil {
		return fmt.Errorf("chown %s: %w", name, err)
	}
	// After chown, which clears setuid and setgid.
	if err := unix.Fchmod(dst, st.Mode&07777); err != nil {
		return fmt.Errorf("chmod %s: %w", name, err)
	}
	return setTimes(dst, st, strings.TrimPrefix(name, "/"))
}

func setTimes(fd int, st *unix.Stat_t, rel string) error {
	ts := []unix.Timespec{st.Atim, st.Mtim}
	if err := unix.UtimesNanoAt(fd, "", ts, unix.AT_EMPTY_PATH); err != nil {
		return fmt.Errorf("set times of /%s: %w", rel, err)
	}
	return nil
}

// copyXattrs copies every extended attribute of src that dst's filesystem
// takes; one the kernel refuses to set here (security.* or trusted.*
// without the privilege, a name tmpfs does not support) is skipped.
func copyXattrs(src, dst int) error {
	size, err := unix.Flistxattr(src, nil)
	if err != nil {
		if errors.Is(err, unix.ENOTSUP) {
			return nil
		}
		return err
	}
	if size == 0 {
		return nil
	}
	list := make([]byte, size)
	if size, err = unix.Flistxattr(src, list); err != nil {
		return err
	}
	for _, name := range strings.Split(strings.TrimRight(string(list[:size]), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		n, err := unix.Fgetxattr(src, name, nil)
		if err != nil {
			return fmt.Errorf("get %s: %w", name, err)
		}
		val := make([]byte, n)
		if n, err = unix.Fgetxattr(src, name, val); err != nil {
			return fmt.Errorf("get %s: %w", name, err)
		}
		if err := unix.Fsetxattr(dst, name, val[:n], 0); err != nil {
			if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EPERM) {
				continue
			}
			return fmt.Errorf("set %s: %w", name, err)
		}
	}
	return nil
}
