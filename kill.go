package main

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/rt-runtime/rt/libcontainer"
	"github.com/rt-runtime/rt/libcontainer/signals"
)

var killCommand = &cli.Command{
	Name:      "kill",
	Usage:     "send a signal (default SIGTERM) to a container's init",
	ArgsUsage: "<container-id> [signal]",
	Description: `Signal 0 checks that the init is alive. SIGKILL to a container without a pid
namespace of its own kills every process of its cgroup, as runc 1.2+ does.`,
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "(obsolete, as in runc: no error for a stopped container)"},
	},
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, minArgs); err != nil {
			return err
		}
		if err := checkArgs(c, 2, maxArgs); err != nil {
			return err
		}
		sigName := "SIGTERM"
		if c.NArg() == 2 {
			sigName = c.Args().Get(1)
		}
		ct, err := libcontainer.Load(c.String("root"), c.Args().First(), logger)
		if err != nil {
			return err
		}
		sig, err := signals.ParseSignal(sigName)
		if err != nil {
			return err
		}
		err = ct.Signal(sig)
		if errors.Is(err, libcontainer.ErrNotRunning) && c.Bool("all") {
			return nil
		}
		return err
	},
}
