package libcontainer

import (
	"errors"
	"fmt"
	"time"

	"github.com/rt-runtime/rt/cgroups"
)

// Event is one line of `rt events`, in runc's layout: {"type":"stats",
// "id":ID,"data":{...}} or {"type":"oom","id":ID}.
type Event struct {
	Type string         `json:"type"`
	ID   string         `json:"id"`
	Data *cgroups.Stats `json:"data,omitempty"`
}

// EventsOpts are the flags of rt events.
type EventsOpts struct {
	// Interval is the time between stats samples (the first comes after
	// one interval, as in runc).
	Interval time.Duration
	// Once sends one stats sample at once and returns (--stats).
	Once bool
}

// livenessEvery is how often the event stream checks that the container
// still exists, between stats samples.
const livenessEvery = 200 * time.Millisecond

// NotifyOOM watches the container's memory cgroup for OOM kills; it
// returns nil, nil when no memory controller governs the container.
func (c *Container) NotifyOOM() (*cgroups.OOMWatcher, error) {
	w, err := cgroups.NotifyOOM(c.State.CgroupPaths)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.State.ID, err)
	}
	return w, nil
}

// Events calls emit with a stats sample every o.Interval and an "oom"
// event for each OOM kill in the container's cgroup. As runc's, the stream
// goes on while the container exists, stopped or not (its cgroup still
// answers), and ends once it is deleted; the OOM events that led to the
// stop are sent before it returns. A container that is stopped when the
// stream begins is refused (ErrNotRunning).
func (c *Container) Events(o EventsOpts, emit func(Event) error) error {
	if !o.Once && o.Interval <= 0 {
		return fmt.Errorf("events: the interval must be positive, got %v", o.Interval)
	}
	c.State.Refresh(c.Root)
	if err := c.allowed("events", false); err != nil {
		return err
	}
	id := c.State.ID
	if o.Once {
		s, err := c.Stats()
		if err != nil {
			return err
		}
		return emit(Event{Type: "stats", ID: id, Data: s})
	}
	var oom oomSource // nil without a memory controller
	w, err := c.NotifyOOM()
	if err != nil {
		return err
	}
	if w != nil {
		defer w.Close()
		oom = w
	}
	alive := func() bool {
		_, _, err := loadStateFile(c.Root, id)
		return err == nil
	}
	warn := func(err error) {
		if c.log != nil {
			c.log.Warn("events: read stats", "id", id, "error", err)
		}
	}
	return streamEvents(id, o.Interval, alive, c.Stats, oom, emit, warn)
}

// oomSource reports OOM events as cgroups.OOMWatcher does: Wait blocks up
// to timeout and returns how many happened since the previous call;
// cgroups.ErrCgroupGone once the memory cgroup was removed.
type oomSource interface {
	Wait(timeout time.Duration) (int, error)
}

// streamEvents emits a stats sample every interval and the OOM events as
// they come, until alive says the container is gone. oom may be nil (no
// memory controller); warn gets the stats errors of a live container.
func streamEvents(id string, interval time.Duration, alive func() bool,
	stats func() (*cgroups.Stats, error), oom oomSource, emit func(Event) error, warn func(error)) error {
	nextStats := time.Now().Add(interval)
	emitOOM := func(timeout time.Duration) (bool, error) {
		if oom == nil {
			time.Sleep(timeout)
			return true, nil
		}
		n, err := oom.Wait(timeout)
		for ; n > 0; n-- {
			if err := emit(Event{Type: "oom", ID: id}); err != nil {
				return false, err
			}
		}
		if errors.Is(err, cgroups.ErrCgroupGone) {
			return false, nil
		}
		return true, err
	}
	for {
		if !time.Now().Before(nextStats) {
			s, err := stats()
			switch {
			case err == nil:
				if err := emit(Event{Type: "stats", ID: id, Data: s}); err != nil {
					return err
				}
			case !alive():
				return nil
			default:
				warn(err)
			}
			nextStats = time.Now().Add(interval)
		}
		watching, err := emitOOM(max(0, min(time.Until(nextStats), livenessEvery)))
		if err != nil {
			return err
		}
		if !alive() {
			if watching {
				// An OOM kill of the init is signalled before it is gone.
				_, err = emitOOM(0)
			}
			return err
		}
		if !watching {
			oom = nil // the cgroup went away: nothing more will come
		}
	}
}
