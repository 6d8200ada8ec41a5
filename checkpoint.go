package main

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/rt-runtime/rt/libcontainer"
)

// checkpoint and restore (CRIU) carry runc 1.5's flags, names, defaults
// and usage words; libcontainer's Checkpoint and Restore do the work.
var checkpointCommand = &cli.Command{
	Name:  "checkpoint",
	Usage: "checkpoint a running container",
	ArgsUsage: `<container-id>

Where "<container-id>" is the name for the instance of the container to be
checkpointed.`,
	Description: "The checkpoint command saves the state of the container instance.",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "image-path", Usage: "path for saving criu image files"},
		&cli.StringFlag{Name: "work-path", Usage: "path for saving work files and logs"},
		&cli.StringFlag{Name: "parent-path", Usage: "path for previous criu image files in pre-dump"},
		&cli.BoolFlag{Name: "leave-running", Usage: "leave the process running after checkpointing"},
		&cli.BoolFlag{Name: "tcp-established", Usage: "allow open tcp connections"},
		&cli.BoolFlag{Name: "tcp-skip-in-flight", Usage: "skip in-flight tcp connections"},
		&cli.BoolFlag{Name: "link-remap", Usage: "allow one to link unlinked files back when possible"},
		&cli.BoolFlag{Name: "ext-unix-sk", Usage: "allow external unix sockets"},
		&cli.BoolFlag{Name: "shell-job", Usage: "allow shell jobs"},
		&cli.BoolFlag{Name: "lazy-pages", Usage: "use userfaultfd to lazily restore memory pages"},
		&cli.IntFlag{Name: "status-fd", Value: -1, Usage: `criu writes \0 to this FD once lazy-pages is ready`},
		&cli.StringFlag{Name: "page-server", Usage: "ADDRESS:PORT of the page server"},
		&cli.BoolFlag{Name: "file-locks", Usage: "handle file locks, for safety"},
		&cli.BoolFlag{Name: "pre-dump", Usage: "dump container's memory information only, leave the container running after this"},
		&cli.StringFlag{Name: "manage-cgroups-mode", Value: "soft", Usage: "cgroups mode: soft|full|strict|ignore"},
		&cli.StringFlag{Name: "empty-ns", Usage: "create a namespace, but don't restore its properties"},
		&cli.BoolFlag{Name: "auto-dedup", Usage: "enable auto deduplication of memory images"},
	},
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, exactArgs); err != nil {
			return err
		}
		mode, emptyNs, err := criuModes(c)
		if err != nil {
			return err
		}
		ct, err := libcontainer.Load(c.String("root"), c.Args().First(), logger)
		if err != nil {
			return err
		}
		return ct.Checkpoint(libcontainer.CheckpointOpts{
			CriuPath:        c.String("criu"),
			ImagePath:       c.String("image-path"),
			WorkPath:        c.String("work-path"),
			ParentPath:      c.String("parent-path"),
			LeaveRunning:    c.Bool("leave-running"),
			TCPEstablished:  c.Bool("tcp-established"),
			TCPSkipInFlight: c.Bool("tcp-skip-in-flight"),
			LinkRemap:       c.Bool("link-remap"),
			ExtUnixSk:       c.Bool("ext-unix-sk"),
			ShellJob:        c.Bool("shell-job"),
			LazyPages:       c.Bool("lazy-pages"),
			StatusFd:        c.Int("status-fd"),
			PageServer:      c.String("page-server"),
			FileLocks:       c.Bool("file-locks"),
			PreDump:         c.Bool("pre-dump"),
			CgroupMode:      mode,
			EmptyNs:         emptyNs,
			AutoDedup:       c.Bool("auto-dedup"),
		})
	},
}

// criuModes checks what checkpoint and restore share before either calls
// the library: runc's warning for a caller who is not root, and the
// --manage-cgroups-mode and --empty-ns values.
func criuModes(c *cli.Context) (libcontainer.CgroupMode, uint32, error) {
	if os.Geteuid() != 0 {
		// runc's warning: CRIU's unprivileged mode is not what runs here.
		logger.Warn("rt " + c.Command.Name + " is untested with rootless containers")
	}
	mode, err := libcontainer.ParseCgroupMode(c.String("manage-cgroups-mode"))
	if err != nil {
		return "", 0, err
	}
	emptyNs, err := libcontainer.ParseEmptyNs(c.String("empty-ns"))
	if err != nil {
		return "", 0, err
	}
	return mode, emptyNs, nil
}
