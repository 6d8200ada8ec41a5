package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/rt-runtime/rt/libcontainer"
)

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
		ct, err := libcontainer.Load(c.String("root"), c.Args().First(), logger)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(os.Stdout)
		err = ct.Events(libcontainer.EventsOpts{Interval: interval, Once: c.Bool("stats")},
			func(e libcontainer.Event) error {
				if err := enc.Encode(e); err != nil {
					return fmt.Errorf("write: %w", err)
				}
				return nil
			})
		var se *libcontainer.StateError
		if err != nil && !errors.As(err, &se) && !errors.Is(err, libcontainer.ErrNotExist) {
			return fmt.Errorf("events: %w", err)
		}
		return err
	},
}
