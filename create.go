package main

import (
	"os"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/rt-runtime/rt/libcontainer"
)

var createFlags = []cli.Flag{
	&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Value: ".", Usage: "path to the bundle directory"},
	&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master of a terminal container"},
	&cli.StringFlag{Name: "pid-file", Usage: "file to write the container's init pid to"},
	&cli.StringFlag{Name: "pidfd-socket", Usage: "unix socket that receives a pidfd of the container's init"},
	&cli.BoolFlag{Name: "no-pivot", Usage: "do not use pivot_root (for a rootfs on ramfs)"},
	&cli.BoolFlag{Name: "no-new-keyring", Usage: "do not give the container its own session keyring"},
	&cli.IntFlag{Name: "preserve-fds", Usage: "pass this many fds beyond stdio (3, 4, ...) to the container"},
}

var createCommand = &cli.Command{
	Name:      "create",
	Usage:     "create a container (its process waits for start)",
	ArgsUsage: "<container-id>",
	Flags:     createFlags,
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, exactArgs); err != nil {
			return err
		}
		o, err := createOpts(c, c.Args().First(), c.String("bundle"), true)
		if err != nil {
			return commandFailed(c, err)
		}
		ct, err := libcontainer.Create(o)
		if err != nil {
			return commandFailed(c, err)
		}
		if ct.Console >= 0 {
			closeFd(ct.Console)
		}
		return nil
	},
}

func createOpts(c *cli.Context, id, bundle string, detach bool) (libcontainer.CreateOpts, error) {
	rootless, err := rootlessCgroups(c)
	if err != nil {
		return libcontainer.CreateOpts{}, err
	}
	return libcontainer.CreateOpts{
		Root:          c.String("root"),
		ID:            id,
		Bundle:        bundle,
		PidFile:       c.String("pid-file"),
		ConsoleSocket: c.String("console-socket"),
		PidfdSocket:   c.String("pidfd-socket"),
		NoPivot:       c.Bool("no-pivot"),
		NoNewKeyring:  c.Bool("no-new-keyring"),
		PreserveFds:   c.Int("preserve-fds"),
		ListenFds:     listenFds(),
		NotifySocket:  os.Getenv("NOTIFY_SOCKET"),
		Detach:        detach,
		SystemdCgroup: c.Bool("systemd-cgroup"),
		Rootless:      rootless,
		Log:           logger,
	}, nil
}

// listenFds is how many fds systemd socket activation handed rt: LISTEN_FDS,
// when LISTEN_PID names this process.
func listenFds() int {
	if os.Getenv("LISTEN_PID") != strconv.Itoa(os.Getpid()) {
		return 0
	}
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n < 0 {
		return 0
	}
	return n
}
