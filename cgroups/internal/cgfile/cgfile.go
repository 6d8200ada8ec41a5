// Package cgfile reads and writes cgroup control files. Every error names the
// file and, for writes, the value the kernel refused, because that line is
// what a user sees when `rt update` fails.
package cgfile

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/rt-runtime/rt/internal/smallfile"
)

// Write writes value to dir/file in one write(2), as the kernel parses each
// write to a control file separately. It uses plain open(2), write(2) and
// close(2): an *os.File would make the fd non-blocking and add it to Go's
// netpoller (fcntl twice and an epoll_ctl, which cgroupfs accepts, waking
// the netpoller's thread with the new fd's events) and take it out again
// at close: four system calls and a thread wake-up more for each of the
// ~26 control files an rt create writes on cgroup v1.
func Write(dir, file, value string) error {
	path := filepath.Join(dir, file)
	fd, err := openWrite(path)
	if err != nil {
		return fmt.Errorf("write %s: %q: %w", path, value, err)
	}
	defer unix.Close(fd)
	var n int
	for {
		n, err = unix.Write(fd, []byte(value))
		if err != unix.EINTR {
			break
		}
	}
	if err == nil && n != len(value) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return fmt.Errorf("write %s: %q: %w", path, value, err)
	}
	return nil
}

func openWrite(path string) (int, error) {
	for {
		fd, err := unix.Open(path, unix.O_WRONLY|unix.O_TRUNC|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// unwrapPath drops the *os.PathError layer so the message does not repeat
// the operation and path that Read already names.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Read returns the content of dir/file without the trailing newline.
func Read(dir, file string) (string, error) {
	path := filepath.Join(dir, file)
	b, err := smallfile.Read(path)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, unwrapPath(err))
	}
	return strings.TrimRight(string(b), "\n"), nil
}

// Exists reports whether dir/file exists; controllers differ between kernels.
func Exists(dir, file string) bool {
	_, err := os.Stat(filepath.Join(dir, file))
	return err == nil
}

// ParseUint parses a counter; "max" (v2) becomes math.MaxUint64 and a
// negative value reads as 0.
func ParseUint(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if s == "max" {
		return math.MaxUint64, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		// Counters can go negative transiently in some kernels (v1 usage).
		if iv, ierr := strconv.ParseInt(s, 10, 64); ierr == nil && iv < 0 {
			return 0, nil
		}
		return 0, fmt.Errorf("parse %q as unsigned integer: %w", s, err)
	}
	return v, nil
}

// ReadUint reads dir/file holding a single number (or "max").
func ReadUint(dir, file string) (uint64, error) {
	s, err := Read(dir, file)
	if err != nil {
		return 0, err
	}
	v, err := ParseUint(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", filepath.Join(dir, file), err)
	}
	return v, nil
}

// ReadKeyValues reads a flat-keyed file ("key value" per line), e.g.
// memory.stat or cpu.stat.
func ReadKeyValues(dir, file string) (map[string]uint64, error) {
	s, err := Read(dir, file)
	if err != nil {
		return nil, err
	}
	out := make(map[string]uint64)
	for _, line := range strings.Split(s, "\n") {
		fields := strings.Fields(line)
		if len(fields) != 2 {
			continue
		}
		v, err := ParseUint(fields[1])
		if err != nil {
			return nil, fmt.Errorf("%s: key %s: %w", filepath.Join(dir, file), fields[0], err)
		}
		out[fields[0]] = v
	}
	return out, nil
}

// ReadProcs lists the pids in dir/cgroup.procs.
func ReadProcs(dir string) ([]int, error) {
	s, err := Read(dir, "cgroup.procs")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range strings.Fields(s) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("%s: bad pid %q: %w", filepath.Join(dir, "cgroup.procs"), f, err)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// ReadProcsRecursive lists the pids of dir and every cgroup below it.
func ReadProcsRecursive(dir string) ([]int, error) {
	var pids []int
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			if path != dir && errors.Is(err, os.ErrNotExist) {
				return nil // a nested cgroup went away while walking
			}
			return fmt.Errorf("walk %s: %w", path, err)
		}
		if !d.IsDir() {
			return nil
		}
		p, err := ReadProcs(path)
		if err != nil {
			if path != dir && errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		pids = append(pids, p...)
		return nil
	})
	return pids, err
}
