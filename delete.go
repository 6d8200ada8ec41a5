package main

import (
	"github.com/urfave/cli/v2"

	"github.com/rt-runtime/rt/libcontainer"
)

var deleteCommand = &cli.Command{
	Name:      "delete",
	Usage:     "delete a container and what it holds",
	ArgsUsage: "<container-id>",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "kill the container first if it is not stopped"},
	},
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, exactArgs); err != nil {
			return err
		}
		return libcontainer.DeleteByID(c.String("root"), c.Args().First(), c.Bool("force"), logger)
	},
}
