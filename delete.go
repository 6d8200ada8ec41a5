package main

import (
	"errors"

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
		ct, err := libcontainer.Load(c.String("root"), c.Args().First(), logger)
		if err != nil {
			// runc: delete --force of a missing container is not an error.
			// A dir without state is a create killed midway: remove
			// what it made.
			if c.Bool("force") && errors.Is(err, libcontainer.ErrNotExist) {
				return libcontainer.DeleteHalfMade(c.String("root"), c.Args().First(), logger)
			}
			return err
		}
		return ct.Delete(c.Bool("force"))
	},
}
