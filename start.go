package main

import (
	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/rt-runtime/rt/libcontainer"
)

var startCommand = &cli.Command{
	Name:      "start",
	Usage:     "start the process of a created container",
	ArgsUsage: "<container-id>",
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, exactArgs); err != nil {
			return err
		}
		ct, err := libcontainer.Load(c.String("root"), c.Args().First(), logger)
		if err != nil {
			return err
		}
		return ct.Start()
	},
}

func closeFd(fd int) { unix.Close(fd) }
