package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rt-runtime/rt/cgroups"
)

// fakeOOM hands out scripted OOM counts, one per wait call.
type fakeOOM struct {
	counts []int
	err    error // returned once the counts run out
	calls  int
}

func (f *fakeOOM) Wait(timeout time.Duration) (int, error) {
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
	oom := &fakeOOM{counts: []int{1}, err: cgroups.ErrCgroupGone}
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
