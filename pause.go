package main

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/rt-runtime/rt/libcontainer"
)

func init() {
	registerCommand(pauseCommand)
	registerCommand(resumeCommand)
}

var pauseCommand = &cli.Command{
	Name:      "pause",
	Usage:     "suspend every process of a running container (cgroup freezer)",
	ArgsUsage: "<container-id>",
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, "<container-id>"); err != nil {
			return err
		}
		ct, err := libcontainer.Load(c.String("root"), c.Args().First(), logger)
		if err != nil {
			return err
		}
		return pauseContainer(ct)
	},
}

var resumeCommand = &cli.Command{
	Name:      "resume",
	Usage:     "resume every process of a paused container",
	ArgsUsage: "<container-id>",
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, "<container-id>"); err != nil {
			return err
		}
		ct, err := libcontainer.Load(c.String("root"), c.Args().First(), logger)
		if err != nil {
			return err
		}
		return resumeContainer(ct)
	},
}

// pauseContainer freezes a running container; the status then reads
// "paused" (State.Refresh looks at the freezer).
func pauseContainer(ct *libcontainer.Container) error {
	unlock, err := ct.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	if err := pauseAllowed(ct.State.ID, ct.State.Status); err != nil {
		return err
	}
	cg, err := ct.Cgroup()
	if err != nil {
		return err
	}
	if err := cg.Freeze(); err != nil {
		return fmt.Errorf("pause %s: %w", ct.State.ID, err)
	}
	return nil
}

func resumeContainer(ct *libcontainer.Container) error {
	unlock, err := ct.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	if err := resumeAllowed(ct.State.ID, ct.State.Status); err != nil {
		return err
	}
	cg, err := ct.Cgroup()
	if err != nil {
		return err
	}
	if err := cg.Thaw(); err != nil {
		return fmt.Errorf("resume %s: %w", ct.State.ID, err)
	}
	return nil
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
