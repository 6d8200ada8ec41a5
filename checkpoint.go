package main

import (
	"fmt"
	"os"

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
		Action: func(c *cli.Context) error {
			// Any flag is accepted so that the one line below is the
			// error, but -h/--help answers as for every command.
			for _, a := range c.Args().Slice() {
				if a == "--" {
					break
				}
				if a == "-h" || a == "--help" {
					cli.HelpPrinter(os.Stdout, cli.CommandHelpTemplate, c.Command)
					return nil
				}
			}
			return fmt.Errorf("%s: checkpoint/restore (CRIU) is not supported by rt yet", name)
		},
	}
}

var (
	checkpointCommand = unsupported("checkpoint", "checkpoint a running container")
	restoreCommand    = unsupported("restore", "restore a container from a checkpoint")
)
