package main

import (
	"github.com/urfave/cli/v2"

	"github.com/rt-runtime/rt/libcontainer"
)

var restoreCommand = &cli.Command{
	Name:  "restore",
	Usage: "restore a container from a previous checkpoint",
	ArgsUsage: `<container-id>

Where "<container-id>" is the name for the instance of the container to be
restored.`,
	Description: `Restores the saved state of the container instance that was previously saved
using the runc checkpoint command.`,
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "console-socket", Usage: "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal"},
		&cli.StringFlag{Name: "image-path", Usage: "path to criu image files for restoring"},
		&cli.StringFlag{Name: "work-path", Usage: "path for saving work files and logs"},
		&cli.BoolFlag{Name: "tcp-established", Usage: "allow open tcp connections"},
		&cli.BoolFlag{Name: "ext-unix-sk", Usage: "allow external unix sockets"},
		&cli.BoolFlag{Name: "shell-job", Usage: "allow shell jobs"},
		&cli.BoolFlag{Name: "file-locks", Usage: "handle file locks, for safety"},
		&cli.StringFlag{Name: "manage-cgroups-mode", Value: "soft", Usage: "cgroups mode: soft|full|strict|ignore"},
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Usage: "path to the root of the bundle directory"},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "detach from the container's process"},
		&cli.StringFlag{Name: "pid-file", Usage: "specify the file to write the process id to"},
		&cli.BoolFlag{Name: "no-subreaper", Usage: "disable the use of the subreaper used to reap reparented processes"},
		&cli.BoolFlag{Name: "no-pivot", Usage: "do not use pivot root to jail process inside rootfs.  This should be used whenever the rootfs is on top of a ramdisk"},
		&cli.StringFlag{Name: "empty-ns", Usage: "create a namespace, but don't restore its properties"},
		&cli.BoolFlag{Name: "auto-dedup", Usage: "enable auto deduplication of memory images"},
		&cli.BoolFlag{Name: "lazy-pages", Usage: "use userfaultfd to lazily restore memory pages"},
		&cli.StringFlag{Name: "lsm-profile", Usage: "Specify an LSM profile to be used during restore in the form of TYPE:NAME."},
		&cli.StringFlag{Name: "lsm-mount-context", Usage: "Specify an LSM mount context to be used during restore."},
	},
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, exactArgs); err != nil {
			return err
		}
		mode, emptyNs, err := criuModes(c)
		if err != nil {
			return err
		}
		bundle := c.String("bundle")
		if bundle == "" {
			bundle = "."
		}
		code, err := libcontainer.RestoreWait(libcontainer.RestoreOpts{
			Root:            c.String("root"),
			ID:              c.Args().First(),
			Bundle:          bundle,
			CriuPath:        c.String("criu"),
			ImagePath:       c.String("image-path"),
			WorkPath:        c.String("work-path"),
			PidFile:         c.String("pid-file"),
			ConsoleSocket:   c.String("console-socket"),
			Detach:          c.Bool("detach"),
			NoSubreaper:     c.Bool("no-subreaper"),
			NoPivot:         c.Bool("no-pivot"),
			TCPEstablished:  c.Bool("tcp-established"),
			ExtUnixSk:       c.Bool("ext-unix-sk"),
			ShellJob:        c.Bool("shell-job"),
			FileLocks:       c.Bool("file-locks"),
			AutoDedup:       c.Bool("auto-dedup"),
			LazyPages:       c.Bool("lazy-pages"),
			EmptyNs:         emptyNs,
			CgroupMode:      mode,
			LsmProfile:      c.String("lsm-profile"),
			LsmMountContext: c.String("lsm-mount-context"),
			SystemdCgroup:   c.Bool("systemd-cgroup"),
			Log:             logger,
		})
		if err != nil {
			return err
		}
		if code != 0 {
			return &exitError{code}
		}
		return nil
	},
}
