package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// runner starts runtime invocations with fixed stdio and measures them.
// stdin and stdout are /dev/null; stderr goes to a regular file, not a pipe,
// so no goroutine copies output while we time, and a detached container that
// inherits the fd cannot keep a pipe open and hang the wait.
type runner struct {
	devNull *os.File
	stderr  *os.File
}

func newRunner(dir string) (*runner, error) {
	devNull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", os.DevNull, err)
	}
	stderr, err := os.CreateTemp(dir, "stderr-")
	if err != nil {
		devNull.Close()
		return nil, fmt.Errorf("create stderr file in %s: %w", dir, err)
	}
	return &runner{devNull: devNull, stderr: stderr}, nil
}

func (r *runner) close() {
	r.devNull.Close()
	name := r.stderr.Name()
	r.stderr.Close()
	os.Remove(name)
}

// becomeSubreaper makes rtbench the reaper of any process that escapes the
// runtime's own tree (a double fork, a helper left behind): such a process
// would otherwise be reparented to init and its CPU time lost to the figures.
func becomeSubreaper() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_CHILD_SUBREAPER): %w", err)
	}
	return nil
}

// run starts argv[0] (an absolute path) with argv and waits for it. It returns
// the cost from the rusage the kernel hands back with the reap, which covers
// the child and all descendants reaped within its tree. A non-zero exit is an
// error carrying the process's stderr.
func (r *runner) run(argv []string) (sample, error) {
	if err := r.resetStderr(); err != nil {
		return sample{}, err
	}
	attr := &os.ProcAttr{Files: []*os.File{r.devNull, r.devNull, r.stderr}}

	start := time.Now()
	p, err := os.StartProcess(argv[0], argv, attr)
	if err != nil {
		return sample{}, fmt.Errorf("start %s: %w", strings.Join(argv, " "), err)
	}
	st, err := p.Wait()
	wall := time.Since(start)
	if err != nil {
		return sample{}, fmt.Errorf("wait for %s: %w", strings.Join(argv, " "), err)
	}

	s := sample{wall: wall}
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		s.cpu = tvDuration(ru.Utime) + tvDuration(ru.Stime)
		s.rssKiB = ru.Maxrss
	}
	reapOrphans(&s)

	if !st.Success() {
		return s, fmt.Errorf("%s: %s; stderr:\n%s", strings.Join(argv, " "), st, r.stderrText())
	}
	return s, nil
}

// reapOrphans collects, without blocking, descendants that were reparented to
// rtbench and have exited, and charges them to s. Long-lived orphans (the
// init of a detached container) are left alone until they exit.
func reapOrphans(s *sample) {
	for {
		var ws unix.WaitStatus
		var ru unix.Rusage
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, &ru)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
		if s == nil {
			continue
		}
		s.orphans++
		s.cpu += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		s.rssKiB = max(s.rssKiB, ru.Maxrss)
	}
}

func tvDuration(tv syscall.Timeval) time.Duration {
	return time.Duration(tv.Nano())
}

func (r *runner) resetStderr() error {
	if err := r.stderr.Truncate(0); err != nil {
		return fmt.Errorf("truncate %s: %w", r.stderr.Name(), err)
	}
	if _, err := r.stderr.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("seek %s: %w", r.stderr.Name(), err)
	}
	return nil
}

// stderrText is what the last process wrote to stderr, cut to a readable size.
func (r *runner) stderrText() string {
	const limit = 16 << 10
	b, err := os.ReadFile(r.stderr.Name())
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", r.stderr.Name(), err)
	}
	if len(b) > limit {
		b = append(b[:limit], "\n...(cut)"...)
	}
	if len(b) == 0 {
		return "(empty)"
	}
	return strings.TrimRight(string(b), "\n")
}
