package main

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/rt-runtime/rt/cgroups"
	"github.com/rt-runtime/rt/libcontainer"
)

var pauseCommand = freezerCommand("pause", "suspend every process of a running container (cgroup freezer)",
	pauseAllowed, func(cg cgroups.Manager) error { return cg.Freeze() })

var resumeCommand = freezerCommand("resume", "resume every process of a paused container",
	resumeAllowed, func(cg cgroups.Manager) error { return cg.Thaw() })

// freezerCommand is pause or resume: under the container's lock, check the
// state allows it, then freeze or thaw the cgroup. The status then follows
// (State.Refresh reads the freezer).
func freezerCommand(name, usage string, allowed func(string, specs.ContainerState) error,
	act func(cgroups.Manager) error) *cli.Command {
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
			unlock, err := ct.Lock()
			if err != nil {
				return err
			}
			defer unlock()
			if err := allowed(ct.State.ID, ct.State.Status); err != nil {
				return err
			}
			cg, err := ct.Cgroup()
			if err != nil {
				return err
			}
			if err := act(cg); err != nil {
				return fmt.Errorf("%s %s: %w", name, ct.State.ID, err)
			}
			return nil
		},
	}
}

func pauseAllowed(id string, status specs.ContainerState) error {
	switch status {
	case specs.StateRunning:
		return nil
	case libcontainer.StatusPaused:
		return fmt.Errorf("cannot pause container %q: it is already paused", id)
	}
	return fmt.Errorf("cannot pause container %q: it is not running (%s)", id, status)
}

func resumeAllowed(id string, status specs.ContainerState) error {
	if status == libcontainer.StatusPaused {
		return nil
	}
	return fmt.Errorf("cannot resume container %q: it is not paused (%s)", id, status)
}
