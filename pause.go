package main

import (
	"github.com/urfave/cli/v2"

	"github.com/rt-runtime/rt/libcontainer"
)

var pauseCommand = freezerCommand("pause", "suspend every process of a running container (cgroup freezer)",
	(*libcontainer.Container).Pause)

var resumeCommand = freezerCommand("resume", "resume every process of a paused container",
	(*libcontainer.Container).Resume)

// freezerCommand is pause or resume: one library call on the container.
func freezerCommand(name, usage string, act func(*libcontainer.Container) error) *cli.Command {
	return &cli.Command{
		Name:      name,
		Usage:     usage,
		ArgsUsage: "<container-id>",
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, 1, exactArgs); err != nil {
				return err
			}
			ct, err := libcontainer.Load(c.String("root"), c.Args().First(), logger)
			if err != nil {
				return err
			}
			return act(ct)
		},
	}
}
