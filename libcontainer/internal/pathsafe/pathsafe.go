// Package pathsafe opens and creates paths inside a container's rootfs
// with openat2(RESOLVE_IN_ROOT): symlinks and ".." resolve as if the rootfs
// were /, so nothing the image or a racing container puts in the way can
// lead outside it. One syscall per open, which matters on the start path.
package pathsafe

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

const inRoot = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS

func openat2(dirfd int, path string, flags uint64, resolve uint64) (int, error) {
	how := unix.OpenHow{Flags: flags | unix.O_CLOEXEC, Resolve: resolve}
	for {
		fd, err := unix.Openat2(dirfd, path, &how)
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		return fd, err
	}
}

// OpenInRoot opens path (absolute or not, it is taken inside root) as an
// O_PATH handle, following symlinks inside the root.
func OpenInRoot(root *os.File, path string) (*os.File, error) {
	return OpenInRootFlags(root, path, unix.O_PATH)
}

// OpenInRootFlags is OpenInRoot with open flags of the caller's.
func OpenInRootFlags(root *os.File, path string, flags int) (*os.File, error) {
	fd, err := openat2(int(root.Fd()), clean(path), uint64(flags), inRoot)
	if err != nil {
		return nil, &os.PathError{Op: "open in rootfs", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// MkdirAllInRoot makes path and its missing parents inside root and
// returns an O_PATH handle to it. An existing non-directory is an error.
func MkdirAllInRoot(root *os.File, path string, mode os.FileMode) (*os.File, error) {
	fd, err := mkdirAll(int(root.Fd()), clean(path), uint32(mode.Perm()), 0)
	if err != nil {
		return nil, &os.PathError{Op: "mkdir in rootfs", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// mkdirAll walks up to the deepest existing directory and makes the rest.
// A dangling symlink on the way is followed inside the root (its target is
// made), as mkdir -p would in a chroot.
func mkdirAll(rootfd int, p string, mode uint32, links int) (int, error) {
	fd, err := openat2(rootfd, p, unix.O_PATH|unix.O_DIRECTORY, inRoot)
	if err == nil || !errors.Is(err, unix.ENOENT) {
		return fd, err
	}
	if p == "." {
		return -1, err
	}
	dir, base := filepath.Dir(p), filepath.Base(p)
	parent, err := mkdirAll(rootfd, dir, mode, links)
	if err != nil {
		return -1, err
	}
	defer unix.Close(parent)
	if err := unix.Mkdirat(parent, base, mode); err != nil && !errors.Is(err, unix.EEXIST) {
		return -1, err
	}
	// The new entry is opened beneath its parent, refusing a symlink that
	// something swapped in since the mkdir.
	fd, err = openat2(parent, base, unix.O_PATH|unix.O_DIRECTORY, unix.RESOLVE_BENEATH|unix.RESOLVE_NO_SYMLINKS|unix.RESOLVE_NO_XDEV)
	if !errors.Is(err, unix.ELOOP) {
		return fd, err
	}
	if links >= 40 {
		return -1, unix.ELOOP
	}
	buf := make([]byte, unix.PathMax)
	n, rerr := unix.Readlinkat(parent, base, buf)
	if rerr != nil {
		return -1, err
	}
	target := string(buf[:n])
	if !filepath.IsAbs(target) {
		target = filepath.Join(dir, target)
	}
	return mkdirAll(rootfd, clean(target), mode, links+1)
}

// CreateFileInRoot makes sure path exists inside root as a file (a mount
// target for a file bind mount) and returns an O_PATH handle to it.
func CreateFileInRoot(root *os.File, path string, mode os.FileMode) (*os.File, error) {
	if f, err := OpenInRoot(root, path); err == nil {
		return f, nil
	}
	p := clean(path)
	parent, err := mkdirAll(int(root.Fd()), filepath.Dir(p), 0o755, 0)
	if err != nil {
		return nil, &os.PathError{Op: "mkdir in rootfs", Path: filepath.Dir(path), Err: err}
	}
	defer unix.Close(parent)
	fd, err := unix.Openat(parent, filepath.Base(p), unix.O_CREAT|unix.O_EXCL|unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(mode.Perm()))
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return nil, &os.PathError{Op: "create in rootfs", Path: path, Err: err}
	}
	if err == nil {
		unix.Close(fd)
	}
	return OpenInRoot(root, path)
}

// clean makes path relative to the root: "/a/../b" -> "b", "/" -> ".".
func clean(p string) string {
	c := filepath.Clean("/" + p)
	if c == "/" {
		return "."
	}
	return strings.TrimPrefix(c, "/")
}
