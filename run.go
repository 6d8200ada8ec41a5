package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

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
		if !detach {
			// The init is a grandchild (stage 0 forks it into the pid
			// namespace): be its subreaper so we can wait for it.
			if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
				return fmt.Errorf("prctl(PR_SET_CHILD_SUBREAPER): %w", err)
			}
		}
		// Catch signals before the container exists, to forward them.
		sigs := make(chan os.Signal, 64)
		if !detach {
			signal.Notify(sigs)
		}
		ct, err := libcontainer.Create(createOpts(c, id, bundle, detach))
		if err != nil {
			return err
		}
		var waitConsole func()
		if ct.Console >= 0 {
			if waitConsole, err = libcontainer.ProxyConsole(ct.Console); err != nil {
				ct.Delete(true)
				return err
			}
		}
		if err := ct.Start(); err != nil {
			ct.Delete(true)
			var ie *libcontainer.InitStartError
			if errors.As(err, &ie) {
				return &codeError{err: err, code: 255}
			}
			return err
		}
		if detach {
			return nil
		}
		code := waitForInit(ct.State.Pid, sigs)
		if waitConsole != nil {
			waitConsole()
		}
		if !c.Bool("keep") {
			if err := ct.Delete(true); err != nil {
				return err
			}
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

// waitForInit forwards signals to the init and reaps children until the
// init exits; it returns the exit code (128+N for death by signal N).
func waitForInit(pid int, sigs chan os.Signal) int {
	if code, done := reap(pid); done {
		return code
	}
	for {
		select {
		case s := <-sigs:
			sig := s.(unix.Signal)
			switch sig {
			case unix.SIGCHLD:
				if code, done := reap(pid); done {
					return code
				}
			case unix.SIGURG, unix.SIGWINCH, unix.SIGPIPE:
				// SIGURG is the Go runtime's own; SIGWINCH is the pty proxy's.
			default:
				unix.Kill(pid, sig)
			}
		}
	}
}

func reap(pid int) (int, bool) {
	for {
		var ws unix.WaitStatus
		p, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || p <= 0 {
			if err == unix.ECHILD {
				// Not ours to wait for (another reaper adopted it): poll.
				if unix.Kill(pid, 0) != nil {
					return 255, true
				}
			}
			return 0, false
		}
		if p == pid {
			switch {
			case ws.Exited():
				return ws.ExitStatus(), true
			case ws.Signaled():
				return 128 + int(ws.Signal()), true
			}
		}
	}
}
