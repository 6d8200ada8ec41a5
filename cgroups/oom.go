package cgroups

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ErrCgroupGone is what OOMWatcher.Wait returns once the watched memory
// cgroup was removed: no more events will come.
var ErrCgroupGone = errors.New("memory cgroup removed")

// OOMWatcher reports the OOM kills in a container's memory cgroup, over
// one pollable fd: on v1 an eventfd the kernel signals on each OOM through
// cgroup.event_control; on v2 an inotify watch on memory.events, whose
// oom_kill counter is compared with the last value read.
type OOMWatcher struct {
	fd  int
	dir string
	v2  bool
	// killed is the last oom_kill count read (v2).
	killed uint64
}

// NotifyOOM starts watching the memory cgroup of paths: the v1 memory
// hierarchy when there is one (v1 and hybrid hosts), else the v2 dir.
// It returns nil, nil when no memory controller governs the container.
// Only kills from now on are reported; Close stops the watch.
func NotifyOOM(paths Paths) (*OOMWatcher, error) {
	if d, ok := paths.V1["memory"]; ok {
		return watchOOMv1(d)
	}
	if d := paths.V2; d != "" {
		if _, err := os.Stat(filepath.Join(d, "memory.events")); err == nil {
			return watchOOMv2(d)
		}
	}
	return nil, nil
}

func watchOOMv1(dir string) (*OOMWatcher, error) {
	ctl := filepath.Join(dir, "memory.oom_control")
	f, err := os.Open(ctl)
	if err != nil {
		return nil, fmt.Errorf("watch OOM: %w", err)
	}
	defer f.Close() // the registration holds its own reference
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("watch OOM: eventfd: %w", err)
	}
	reg := fmt.Sprintf("%d %d", efd, f.Fd())
	if err := os.WriteFile(filepath.Join(dir, "cgroup.event_control"), []byte(reg), 0); err != nil {
		unix.Close(efd)
		return nil, fmt.Errorf("watch OOM: register %s: %w", ctl, err)
	}
	return &OOMWatcher{fd: efd, dir: dir}, nil
}

func watchOOMv2(dir string) (*OOMWatcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("watch OOM: inotify: %w", err)
	}
	p := filepath.Join(dir, "memory.events")
	if _, err := unix.InotifyAddWatch(fd, p, unix.IN_MODIFY); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("watch OOM: inotify %s: %w", p, err)
	}
	w := &OOMWatcher{fd: fd, dir: dir, v2: true}
	// Count only what happens from now on.
	if w.killed, err = readOOMKill(p); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("watch OOM: %w", err)
	}
	return w, nil
}

// Close releases the fd (on v1 the kernel drops the registration with it).
func (w *OOMWatcher) Close() error { return unix.Close(w.fd) }

// Wait blocks up to timeout (0: only looks) and returns how many OOM kills
// happened since the previous call, or ErrCgroupGone once the cgroup was
// removed. Even after the container stopped, one more call still sees a
// kill whose notification was in flight.
func (w *OOMWatcher) Wait(timeout time.Duration) (int, error) {
	ready, err := pollIn(w.fd, timeout)
	if err != nil {
		return 0, err
	}
	if w.v2 {
		return w.checkV2(ready)
	}
	if !ready {
		return 0, nil
	}
	var buf [8]byte
	if _, err := unix.Read(w.fd, buf[:]); err != nil {
		if errors.Is(err, unix.EAGAIN) {
			return 0, nil
		}
		return 0, fmt.Errorf("watch OOM: read eventfd: %w", err)
	}
	// Removing the cgroup signals the eventfd as well.
	if _, err := os.Stat(filepath.Join(w.dir, "memory.oom_control")); err != nil {
		return 0, ErrCgroupGone
	}
	// The counter sums the notifications since the last read.
	return int(binary.NativeEndian.Uint64(buf[:])), nil
}

// checkV2 drains the inotify events and compares oom_kill. The counter is
// read even without an event, so a final call after the container stopped
// still sees a kill whose notification is in flight.
func (w *OOMWatcher) checkV2(ready bool) (int, error) {
	if ready {
		buf := make([]byte, 4096)
		for {
			n, err := unix.Read(w.fd, buf)
			if err != nil || n <= 0 {
				break
			}
			if hasInotifyIgnored(buf[:n]) {
				return 0, ErrCgroupGone
			}
		}
	}
	n, err := readOOMKill(filepath.Join(w.dir, "memory.events"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, ErrCgroupGone
		}
		return 0, fmt.Errorf("watch OOM: %w", err)
	}
	if n <= w.killed {
		return 0, nil
	}
	d := n - w.killed
	w.killed = n
	return int(d), nil
}

// hasInotifyIgnored reports an IN_IGNORED event: the watched file is gone.
func hasInotifyIgnored(b []byte) bool {
	for len(b) >= unix.SizeofInotifyEvent {
		mask := binary.NativeEndian.Uint32(b[4:8])
		nameLen := binary.NativeEndian.Uint32(b[12:16])
		if mask&unix.IN_IGNORED != 0 {
			return true
		}
		next := unix.SizeofInotifyEvent + int(nameLen)
		if next > len(b) {
			break
		}
		b = b[next:]
	}
	return false
}

// readOOMKill reads the oom_kill counter of a v2 memory.events file.
func readOOMKill(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, " ")
		if ok && k == "oom_kill" {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: oom_kill %q: %w", path, v, err)
			}
			return n, nil
		}
	}
	return 0, nil
}

// pollIn waits up to timeout for fd to become readable.
func pollIn(fd int, timeout time.Duration) (bool, error) {
	deadline := time.Now().Add(timeout)
	for {
		ms := int(time.Until(deadline).Milliseconds())
		if ms < 0 {
			ms = 0
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, ms)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("watch OOM: poll: %w", err)
		}
		return n > 0 && fds[0].Revents&unix.POLLIN != 0, nil
	}
}
