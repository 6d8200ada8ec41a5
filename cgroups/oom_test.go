package cgroups

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The v2 watcher works on any file named memory.events: a plain file in
// a temp dir stands in for the cgroup's.
func TestNotifyOOMv2(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "memory.events")
	write := func(kills int) {
		t.Helper()
		s := "low 0\nhigh 0\nmax 3\noom 2\noom_kill " + string(rune('0'+kills)) + "\noom_group_kill 0\n"
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(1)
	w, err := NotifyOOM(Paths{V2: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if n, err := w.Wait(10 * time.Millisecond); n != 0 || err != nil {
		t.Fatalf("kills before the watch started are not events: %d, %v", n, err)
	}
	write(3)
	if n, err := w.Wait(time.Second); n != 2 || err != nil {
		t.Fatalf("after oom_kill 1 -> 3: %d, %v; want 2", n, err)
	}
	write(3)
	if n, err := w.Wait(10 * time.Millisecond); n != 0 || err != nil {
		t.Fatalf("unchanged counter: %d, %v", n, err)
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Wait(time.Second); !errors.Is(err, ErrCgroupGone) {
		t.Fatalf("after memory.events went: %v, want ErrCgroupGone", err)
	}
}

func TestNotifyOOMNoMemoryController(t *testing.T) {
	w, err := NotifyOOM(Paths{V2: t.TempDir(), V1: map[string]string{"pids": "/nonexistent"}})
	if w != nil || err != nil {
		t.Errorf("no memory.events and no v1 memory dir: got %v, %v; want nil, nil", w, err)
	}
	if _, err := NotifyOOM(Paths{V1: map[string]string{"memory": filepath.Join(t.TempDir(), "missing")}}); err == nil {
		t.Error("a v1 memory dir without memory.oom_control must fail")
	}
}

func TestHasInotifyIgnored(t *testing.T) {
	ev := func(mask uint32, name string) []byte {
		b := make([]byte, unix.SizeofInotifyEvent+len(name))
		binary.NativeEndian.PutUint32(b[4:], mask)
		binary.NativeEndian.PutUint32(b[12:], uint32(len(name)))
		copy(b[unix.SizeofInotifyEvent:], name)
		return b
	}
	if hasInotifyIgnored(ev(unix.IN_MODIFY, "")) {
		t.Error("IN_MODIFY read as IN_IGNORED")
	}
	if !hasInotifyIgnored(append(ev(unix.IN_MODIFY, "abcd"), ev(unix.IN_IGNORED, "")...)) {
		t.Error("IN_IGNORED after a named event not found")
	}
}

func TestReadOOMKill(t *testing.T) {
	p := filepath.Join(t.TempDir(), "memory.events")
	os.WriteFile(p, []byte("oom 4\noom_kill 17\n"), 0o644)
	if n, err := readOOMKill(p); n != 17 || err != nil {
		t.Errorf("readOOMKill = %d, %v; want 17", n, err)
	}
	os.WriteFile(p, []byte("oom_kill x\n"), 0o644)
	if _, err := readOOMKill(p); err == nil {
		t.Error("a bad counter parsed")
	}
}
