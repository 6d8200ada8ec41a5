package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/rt-runtime/rt/libcontainer"
)

var stateCommand = &cli.Command{
	Name:      "state",
	Usage:     "print the OCI state of a container",
	ArgsUsage: "<container-id>",
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, exactArgs); err != nil {
			return err
		}
		// The state without the spec: state.json alone.
		st, err := libcontainer.LoadStatus(c.String("root"), c.Args().First())
		if err != nil {
			return err
		}
		b, err := json.MarshalIndent(st.Reported(), "", "  ")
		if err != nil {
			return fmt.Errorf("encode state: %w", err)
		}
		os.Stdout.Write(append(b, '\n'))
		return nil
	},
}
