package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rt-runtime/rt/cgroups"
)

// fakeOOM hands out scripted OOM counts, one per wait call.
type fakeOOM struct {
	counts []int
	err    error // returned once the counts run out
	calls  int
}

func (f *fakeOOM) wait(timeout time.Duration) (int, error) {
	f.calls++
	if len(f.counts) == 0 {
		time.Sleep(min(timeout, time.Millisecond))
		return 0, f.err
	}
	n := f.counts[0]
	f.counts = f.counts[1:]
	return n, nil
}

func decodeEvents(t *testing.T, b []byte) []event {
	t.Helper()
	var out []event
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var e event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}

func TestStreamEventsOOMAndStop(t *testing.T) {
	var buf bytes.Buffer
	// Two OOMs in the first wait, one more in the wait after alive turns
	// false (the kill that stopped the container): all three are printed.
	oom := &fakeOOM{counts: []int{2, 0, 1}}
	checks := 0
	alive := func() bool { checks++; return checks < 2 }
	stats := func() (*cgroups.Stats, error) { return &cgroups.Stats{}, nil }
	if err := streamEvents(json.NewEncoder(&buf), "c1", time.Hour, alive, stats, oom); err != nil {
		t.Fatal(err)
	}
	ev := decodeEvents(t, buf.Bytes())
	if len(ev) != 3 {
		t.Fatalf("events %+v, want 3 oom events", ev)
	}
	for _, e := range ev {
		if e.Type != "oom" || e.ID != "c1" || e.Data != nil {
			t.Errorf("event %+v, want {oom c1}", e)
		}
	}
	if !strings.Contains(buf.String(), `{"type":"oom","id":"c1"}`) {
		t.Errorf("oom line is not runc's layout: %s", buf.String())
	}
}

func TestStreamEventsStatsEveryInterval(t *testing.T) {
	var buf bytes.Buffer
	samples := 0
	stats := func() (*cgroups.Stats, error) {
		samples++
		s := &cgroups.Stats{}
		s.Pids.Current = uint64(samples)
		return s, nil
	}
	deadline := time.Now().Add(130 * time.Millisecond)
	alive := func() bool { return time.Now().Before(deadline) }
	if err := streamEvents(json.NewEncoder(&buf), "c2", 20*time.Millisecond, alive, stats, nil); err != nil {
		t.Fatal(err)
	}
	ev := decodeEvents(t, buf.Bytes())
	if len(ev) < 3 || len(ev) > 7 {
		t.Fatalf("%d stats samples in 130ms at a 20ms interval: %s", len(ev), buf.String())
	}
	for i, e := range ev {
		data, _ := e.Data.(map[string]any)
		pids, _ := data["pids"].(map[string]any)
		if e.Type != "stats" || e.ID != "c2" || pids["current"] != float64(i+1) {
			t.Errorf("event %d: %+v", i, e)
		}
	}
}

func TestStreamEventsStatsErrorAfterStop(t *testing.T) {
	var buf bytes.Buffer
	stats := func() (*cgroups.Stats, error) { return nil, errors.New("cgroup gone") }
	if err := streamEvents(json.NewEncoder(&buf), "c3", time.Millisecond, func() bool { return false }, stats, nil); err != nil {
		t.Fatalf("a stopped container ends the stream quietly, got %v", err)
	}
	if buf.Len() != 0 {
		t.Errorf("output %q, want none", buf.String())
	}
}

func TestStreamEventsCgroupGone(t *testing.T) {
	var buf bytes.Buffer
	oom := &fakeOOM{counts: []int{1}, err: errCgroupGone}
	deadline := time.Now().Add(50 * time.Millisecond)
	alive := func() bool { return time.Now().Before(deadline) }
	stats := func() (*cgroups.Stats, error) { return &cgroups.Stats{}, nil }
	if err := streamEvents(json.NewEncoder(&buf), "c4", time.Hour, alive, stats, oom); err != nil {
		t.Fatal(err)
	}
	if n := len(decodeEvents(t, buf.Bytes())); n != 1 {
		t.Errorf("%d events, want the one OOM before the cgroup went", n)
	}
	if oom.calls > 3 {
		t.Errorf("the source was polled %d times after it reported the cgroup gone", oom.calls)
	}
}

// The v2 watcher works on any file named memory.events: a plain file in
// a temp dir stands in for the cgroup's.
func TestWatchOOMv2(t *testing.T) {
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
	w, err := watchOOM(map[string]string{"": dir})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if n, err := w.wait(10 * time.Millisecond); n != 0 || err != nil {
		t.Fatalf("kills before the watch started are not events: %d, %v", n, err)
	}
	write(3)
	if n, err := w.wait(time.Second); n != 2 || err != nil {
		t.Fatalf("after oom_kill 1 -> 3: %d, %v; want 2", n, err)
	}
	write(3)
	if n, err := w.wait(10 * time.Millisecond); n != 0 || err != nil {
		t.Fatalf("unchanged counter: %d, %v", n, err)
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if _, err := w.wait(time.Second); !errors.Is(err, errCgroupGone) {
		t.Fatalf("after memory.events went: %v, want errCgroupGone", err)
	}
}

func TestWatchOOMNoMemoryController(t *testing.T) {
	w, err := watchOOM(map[string]string{"": t.TempDir(), "pids": "/nonexistent"})
	if w != nil || err != nil {
		t.Errorf("no memory.events and no v1 memory dir: got %v, %v; want nil, nil", w, err)
	}
	if _, err := watchOOM(map[string]string{"memory": filepath.Join(t.TempDir(), "missing")}); err == nil {
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
