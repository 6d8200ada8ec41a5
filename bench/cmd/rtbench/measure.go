package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// runner starts runtime invocations with fixed stdio and measures them.
// stdin and stdout are /dev/null; stderr goes to a regular file, not a pipe,
// so no goroutine copies output while we time, and a detached container that
// inherits the fd cannot keep a pipe open and hang the wait.
//
// Timed runs go through the launcher (bench/c/launch.c), which forks the
// runtime, times it and reads its tree's rusage: see launch.c for why
// rtbench cannot fork it itself.
type runner struct {
	devNull  *os.File
	stderr   *os.File
	launcher string
}

func newRunner(dir, launcher string) (*runner, error) {
	devNull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", os.DevNull, err)
	}
	// O_APPEND: processes started at once (runConcurrent) add their
	// messages instead of writing over each other's.
	name := filepath.Join(dir, "stderr")
	stderr, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		devNull.Close()
		return nil, fmt.Errorf("create stderr file %s: %w", name, err)
	}
	return &runner{devNull: devNull, stderr: stderr, launcher: launcher}, nil
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

// run times argv (argv[0] an absolute path) through the launcher, which
// reports the wall time from its fork to its reap and the rusage of the
// runtime and all descendants reaped within its tree. A non-zero exit is an
// error carrying the process's stderr.
func (r *runner) run(argv []string) (sample, error) {
	if err := r.resetStderr(); err != nil {
		return sample{}, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return sample{}, fmt.Errorf("pipe: %w", err)
	}
	defer pr.Close()
	largv := append([]string{r.launcher}, argv...)
	attr := &os.ProcAttr{Files: []*os.File{r.devNull, r.devNull, r.stderr, pw}}
	p, err := os.StartProcess(r.launcher, largv, attr)
	pw.Close()
	if err != nil {
		return sample{}, fmt.Errorf("start %s: %w", strings.Join(largv, " "), err)
	}
	// The launcher closes its end before it exits; a detached container
	// never holds it (the launcher's child closes fd 3 before exec).
	out, rerr := io.ReadAll(pr)
	st, err := p.Wait()
	if err != nil {
		return sample{}, fmt.Errorf("wait for %s: %w", strings.Join(largv, " "), err)
	}
	if !st.Success() {
		return sample{}, fmt.Errorf("%s: %s; stderr:\n%s", strings.Join(argv, " "), st, r.stderrText())
	}
	if rerr != nil {
		return sample{}, fmt.Errorf("read launcher results: %w", rerr)
	}
	s, err := parseLaunch(string(out))
	if err != nil {
		return s, err
	}
	reapOrphans(&s)
	return s, nil
}

// parseLaunch reads the launcher's line "wall_ns cpu_ns maxrss_kib orphans".
func parseLaunch(line string) (sample, error) {
	var wall, cpu, rss int64
	var orphans int
	n, err := fmt.Sscanf(line, "%d %d %d %d\n", &wall, &cpu, &rss, &orphans)
	if err != nil || n != 4 || wall < 0 || cpu < 0 || rss < 0 || orphans < 0 {
		return sample{}, fmt.Errorf("launcher results %q: want four non-negative numbers", line)
	}
	return sample{wall: time.Duration(wall), cpu: time.Duration(cpu), rssKiB: rss, orphans: orphans}, nil
}

// runConcurrent is run for several processes at once (goroutines): it reaps
// only its own child, never orphans (a wait for any pid could take another
// goroutine's child), and its error carries the stderr file of every process
// started since the last run.
func (r *runner) runConcurrent(argv []string) (sample, error) {
	s, st, err := r.startWait(argv)
	if err != nil {
		return s, err
	}
	if !st.Success() {
		return s, fmt.Errorf("%s: %s; stderr:\n%s", strings.Join(argv, " "), st, r.stderrText())
	}
	return s, nil
}

// startWait forks argv from rtbench itself (no launcher): for untimed runs
// and the parallel mode, whose figure is wall time only.
func (r *runner) startWait(argv []string) (sample, *os.ProcessState, error) {
	attr := &os.ProcAttr{Files: []*os.File{r.devNull, r.devNull, r.stderr}}

	start := time.Now()
	p, err := os.StartProcess(argv[0], argv, attr)
	if err != nil {
		return sample{}, nil, fmt.Errorf("start %s: %w", strings.Join(argv, " "), err)
	}
	st, err := p.Wait()
	wall := time.Since(start)
	if err != nil {
		return sample{}, nil, fmt.Errorf("wait for %s: %w", strings.Join(argv, " "), err)
	}

	s := sample{wall: wall}
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		s.cpu = tvDuration(ru.Utime) + tvDuration(ru.Stime)
		s.rssKiB = ru.Maxrss
	}
	return s, st, nil
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
