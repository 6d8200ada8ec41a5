package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// checkpoint and restore are runc commands that engines may call (docker
// checkpoint, podman container checkpoint). rt has no CRIU support yet, so
// they exist to fail with one clear line instead of a usage error.
func unsupported(name, usage string) *cli.Command {
	return &cli.Command{
		Name:            name,
		Usage:           usage + " (not supported yet)",
		ArgsUsage:       "<container-id>",
		SkipFlagParsing: true,
		Action: func(*cli.Context) error {
			return fmt.Errorf("%s: checkpoint/restore (CRIU) is not supported by rt yet", name)
		},
	}
}

func init() {
	registerCommand(unsupported("checkpoint", "checkpoint a running container"))
	registerCommand(unsupported("restore", "restore a container from a checkpoint"))
}
