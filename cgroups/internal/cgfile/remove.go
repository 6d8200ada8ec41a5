package cgfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// RemoveTree removes the cgroup dir and every cgroup below it, leaf first
// (a cgroup dir can only be removed once it has no children). Control files
// are not removed: rmdir of a cgroup dir takes them along. A missing dir is
// not an error. EBUSY (a task still exiting) is retried for a short while.
func RemoveTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("read dir %s: %w", dir, err)
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := RemoveTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return rmdirRetry(dir)
}

func rmdirRetry(dir string) error {
	delay := time.Millisecond
	deadline := time.Now().Add(2 * time.Second)
	for {
		err := unix.Rmdir(dir)
		switch {
		case err == nil, errors.Is(err, unix.ENOENT):
			return nil
		case errors.Is(err, unix.EBUSY) && time.Now().Before(deadline):
			time.Sleep(delay)
			delay = min(2*delay, 100*time.Millisecond)
		default:
			return fmt.Errorf("rmdir %s: %w", dir, err)
		}
	}
}

// RemoveEmpty removes dir if it is an empty cgroup; a dir still holding
// children or tasks (another container of the same pod) is left alone.
func RemoveEmpty(dir string) (removed bool, err error) {
	err = unix.Rmdir(dir)
	switch {
	case err == nil, errors.Is(err, unix.ENOENT):
		return true, nil
	case errors.Is(err, unix.EBUSY), errors.Is(err, unix.ENOTEMPTY), errors.Is(err, unix.EEXIST):
		return false, nil
	default:
		return false, fmt.Errorf("rmdir %s: %w", dir, err)
	}
}

// MkdirAll creates dir and any missing parents and returns the dirs it
// created, outermost first, so Destroy can remove exactly those.
func MkdirAll(dir string) ([]string, error) {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("stat %s: %w", d, err)
		}
		missing = append(missing, d)
		if d == "/" || d == "." {
			break
		}
	}
	var created []string
	for i := len(missing) - 1; i >= 0; i-- {
		if err := unix.Mkdir(missing[i], 0o755); err != nil {
			if errors.Is(err, unix.EEXIST) {
				continue // made concurrently by another container of the pod
			}
			return created, fmt.Errorf("mkdir %s: %w", missing[i], err)
		}
		created = append(created, missing[i])
	}
	return created, nil
}
