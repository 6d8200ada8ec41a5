package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/rt-runtime/rt/cgroups"
	"github.com/rt-runtime/rt/libcontainer"
)

// event is one line of `events` output, runc's layout: {"type":"stats",
// "id":ID,"data":{...}} or {"type":"oom","id":ID}.
type event struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data any    `json:"data,omitempty"`
}

// livenessEvery is how often the event stream checks that the container
// still runs, between stats samples.
const livenessEvery = 200 * time.Millisecond

var eventsCommand = &cli.Command{
	Name:      "events",
	Usage:     "print a container's resource usage and OOM events as JSON lines",
	ArgsUsage: "<container-id>",
	Description: `Without --stats, prints a stats sample every --interval and an
{"type":"oom"} line on each out-of-memory event, until the container is
deleted (a stopped container's cgroup still reports, as with runc).`,
	Flags: []cli.Flag{
		&cli.DurationFlag{Name: "interval", Value: 5 * time.Second, Usage: "time between stats samples"},
		&cli.BoolFlag{Name: "stats", Usage: "print one stats sample and exit"},
	},
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, exactArgs); err != nil {
			return err
		}
		interval := c.Duration("interval")
		if interval <= 0 {
			return fmt.Errorf("events: --interval must be positive, got %v", interval)
		}
		root, id := c.String("root"), c.Args().First()
		ct, err := libcontainer.Load(root, id, logger)
		if err != nil {
			return err
		}
		if ct.State.Status == specs.StateStopped {
			return fmt.Errorf("container with id %s is not running", id)
		}
		enc := json.NewEncoder(os.Stdout)
		if c.Bool("stats") {
			s, err := ct.Stats()
			if err != nil {
				return fmt.Errorf("events: %w", err)
			}
			return writeEvent(enc, event{Type: "stats", ID: id, Data: s})
		}
		var oom oomSource // nil without a memory controller
		w, err := cgroups.NotifyOOM(ct.State.CgroupPaths)
		if err != nil {
			return fmt.Errorf("events: %s: %w", id, err)
		}
		if w != nil {
			defer w.Close()
			oom = w
		}
		// As runc's: the stream goes on while the container exists, stopped
		// or not (its cgroup still answers), and ends once it is deleted.
		alive := func() bool {
			_, err := libcontainer.Load(root, id, logger)
			return err == nil
		}
		return streamEvents(enc, id, interval, alive, ct.Stats, oom)
	},
}

func writeEvent(enc *json.Encoder, e event) error {
	if err := enc.Encode(e); err != nil {
		return fmt.Errorf("events: write: %w", err)
	}
	return nil
}

// oomSource reports OOM events as cgroups.OOMWatcher does: Wait blocks up
// to timeout and returns how many happened since the previous call;
// cgroups.ErrCgroupGone once the memory cgroup was removed.
type oomSource interface {
	Wait(timeout time.Duration) (int, error)
}

// streamEvents prints a stats sample every interval (the first after one
// interval, as runc) and the OOM events as they come, until alive says the
// container stopped; the OOM events that led to the stop are printed
// before it returns. oom may be nil (no memory controller).
func streamEvents(enc *json.Encoder, id string, interval time.Duration, alive func() bool,
	stats func() (*cgroups.Stats, error), oom oomSource) error {
	nextStats := time.Now().Add(interval)
	emitOOM := func(timeout time.Duration) (bool, error) {
		if oom == nil {
			time.Sleep(timeout)
			return true, nil
		}
		n, err := oom.Wait(timeout)
		for ; n > 0; n-- {
			if err := writeEvent(enc, event{Type: "oom", ID: id}); err != nil {
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
				if err := writeEvent(enc, event{Type: "stats", ID: id, Data: s}); err != nil {
					return err
				}
			case !alive():
				return nil
			default:
				logger.Warn("events: read stats", "id", id, "error", err)
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
