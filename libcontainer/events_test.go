package libcontainer

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

func decodeEvents(t *testing.T, b []byte) []Event {
	t.Helper()
	var out []Event
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var e Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}

func encodeTo(buf *bytes.Buffer) func(Event) error {
	enc := json.NewEncoder(buf)
	return func(e Event) error { return enc.Encode(e) }
}

func noWarn(error) {}

func TestStreamEventsOOMAndStop(t *testing.T) {
	var buf bytes.Buffer
	// Two OOMs in the first wait, one more in the wait after alive turns
	// false (the kill that stopped the container): all three are printed.
	oom := &fakeOOM{counts: []int{2, 0, 1}}
	checks := 0
	alive := func() bool { checks++; return checks < 2 }
	stats := func() (*cgroups.Stats, error) { return &cgroups.Stats{}, nil }
	if err := streamEvents("c1", time.Hour, alive, stats, oom, encodeTo(&buf), noWarn); err != nil {
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
	// The container goes once three samples were taken: the stream sends
	// those three, in order, and nothing after.
	alive := func() bool { return samples < 3 }
	if err := streamEvents("c2", time.Millisecond, alive, stats, nil, encodeTo(&buf), noWarn); err != nil {
		t.Fatal(err)
	}
	ev := decodeEvents(t, buf.Bytes())
	if len(ev) != 3 {
		t.Fatalf("%d stats samples, want 3: %s", len(ev), buf.String())
	}
	for i, e := range ev {
		if e.Type != "stats" || e.ID != "c2" || e.Data == nil || e.Data.Pids.Current != uint64(i+1) {
			t.Errorf("event %d: %+v", i, e)
		}
	}
	if !strings.HasPrefix(buf.String(), `{"type":"stats","id":"c2","data":{`) {
		t.Errorf("stats line is not runc's layout: %s", buf.String())
	}
}

func TestStreamEventsStatsErrorAfterStop(t *testing.T) {
	var buf bytes.Buffer
	stats := func() (*cgroups.Stats, error) { return nil, errors.New("cgroup gone") }
	if err := streamEvents("c3", time.Millisecond, func() bool { return false }, stats, nil, encodeTo(&buf), noWarn); err != nil {
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
	if err := streamEvents("c4", time.Hour, alive, stats, oom, encodeTo(&buf), noWarn); err != nil {
		t.Fatal(err)
	}
	if n := len(decodeEvents(t, buf.Bytes())); n != 1 {
		t.Errorf("%d events, want the one OOM before the cgroup went", n)
	}
	if oom.calls > 3 {
		t.Errorf("the source was polled %d times after it reported the cgroup gone", oom.calls)
	}
}
