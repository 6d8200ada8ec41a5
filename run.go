package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/rt-runtime/rt/libcontainer"
)

var runCommand = &cli.Command{
	Name:      "run",
	Usage:     "create and start a container; in the foreground, wait for it and delete it",
	ArgsUsage: "<container-id> | <bundle-dir>",
	Flags: append(append([]cli.Flag{}, createFlags...),
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "do not wait for the container"},
		&cli.BoolFlag{Name: "keep", Usage: "do not delete the container after it exits"},
	),
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, exactArgs); err != nil {
			return err
		}
		id, bundle := runTarget(c)
		detach := c.Bool("detach")
		if detach && c.Bool("keep") {
			return fmt.Errorf("run: --keep cannot be used with --detach")
		}
		o, err := createOpts(c, id, bundle, detach)
		if err != nil {
			return commandFailed(c, err)
		}
		code, err := libcontainer.Run(libcontainer.RunOpts{
			CreateOpts: o,
			Keep:       c.Bool("keep"),
		})
		if err != nil {
			var ie *libcontainer.InitStartError
			if errors.As(err, &ie) {
				return &codeError{err: commandFailed(c, err), code: 255}
			}
			return commandFailed(c, err)
		}
		if code != 0 {
			return &exitError{code}
		}
		return nil
	},
}

// runTarget applies rt's one extension: `rt run DIR` where DIR holds a
// config.json runs that bundle, with DIR's base name as the id.
func runTarget(c *cli.Context) (id, bundle string) {
	arg := c.Args().First()
	if !c.IsSet("bundle") {
		if fi, err := os.Stat(filepath.Join(arg, "config.json")); err == nil && fi.Mode().IsRegular() {
			abs, err := filepath.Abs(arg)
			if err == nil {
				return filepath.Base(abs), abs
			}
		}
	}
	return arg, c.String("bundle")
}
