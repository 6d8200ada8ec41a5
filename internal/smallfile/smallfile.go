// Package smallfile reads whole small files (state.json, /proc/<pid>/stat,
// a cgroup file) with plain open/read/close. os.ReadFile does more per
// file: an fstat for the size, and registering the fd with the Go
// runtime's poller (an epoll_ctl that regular files refuse). `rt list`
// reads three files per container, so that is most of its cost at 500
// containers.
package smallfile

import (
	"io/fs"

	"golang.org/x/sys/unix"
)

// Read returns the content of path. Errors are *fs.PathError, as
// os.ReadFile's (os.IsNotExist and errors.Is(err, fs.ErrNotExist) hold).
func Read(path string) ([]byte, error) {
	fd, err := openRetry(path)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	b := make([]byte, 0, 512)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := unix.Read(fd, b[len(b):cap(b)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return b, nil
		}
		b = b[:len(b)+n]
	}
}

func openRetry(path string) (int, error) {
	for {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}
