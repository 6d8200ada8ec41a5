package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/rt-runtime/rt/libcontainer"
)

var execCommand = &cli.Command{
	Name:      "exec",
	Usage:     "run a new process inside a running container",
	ArgsUsage: "<container-id> <command> [args...]",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master"},
		&cli.StringFlag{Name: "cwd", Usage: "working directory inside the container"},
		&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set an environment variable (KEY=VALUE)"},
		&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "allocate a pseudo-TTY"},
		&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "uid[:gid]"},
		&cli.Int64SliceFlag{Name: "additional-gids", Aliases: []string{"g"}, Usage: "additional gids"},
		&cli.StringFlag{Name: "process", Aliases: []string{"p"}, Usage: "path to a process.json (OCI process)"},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "do not wait for the process"},
		&cli.StringFlag{Name: "pid-file", Usage: "file to write the process's pid to"},
		&cli.StringFlag{Name: "pidfd-socket", Usage: "unix socket that receives a pidfd of the process"},
		&cli.StringFlag{Name: "process-label", Usage: "SELinux label of the process"},
		&cli.StringFlag{Name: "apparmor", Usage: "AppArmor profile of the process"},
		&cli.BoolFlag{Name: "no-new-privs", Usage: "set no_new_privileges for the process"},
		&cli.StringSliceFlag{Name: "cap", Aliases: []string{"c"}, Usage: "add a capability"},
		&cli.IntFlag{Name: "preserve-fds", Usage: "pass this many fds beyond stdio to the process"},
		&cli.BoolFlag{Name: "ignore-paused", Usage: "allow exec in a paused container"},
		&cli.StringSliceFlag{Name: "cgroup", Usage: "run in an existing sub-cgroup of the container's: [<controller>[,<controller>]:]<path>, repeatable"},
	},
	SkipFlagParsing: false,
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, minArgs); err != nil {
			return err // exit status 1, as runc's
		}
		if err := execAction(c); err != nil {
			var ee *exitError
			if errors.As(err, &ee) {
				return err
			}
			// As runc: rt's own failure exits 255, the process's status
			// is passed through.
			return &codeError{err: fmt.Errorf("exec failed: %w", err), code: 255}
		}
		return nil
	},
}

func execAction(c *cli.Context) error {
	ct, err := libcontainer.Load(c.String("root"), c.Args().First(), logger)
	if err != nil {
		return err
	}
	proc, err := execProcess(c, ct.State.Spec)
	if err != nil {
		return err
	}
	code, err := ct.ExecWait(libcontainer.ExecOpts{
		Process:       proc,
		ConsoleSocket: c.String("console-socket"),
		PidfdSocket:   c.String("pidfd-socket"),
		PidFile:       c.String("pid-file"),
		Detach:        c.Bool("detach"),
		PreserveFds:   c.Int("preserve-fds"),
		IgnorePaused:  c.Bool("ignore-paused"),
		SubCgroups:    c.StringSlice("cgroup"),
		AddCaps:       c.StringSlice("cap"),
		Log:           logger,
	})
	if err != nil {
		return err
	}
	if code != 0 {
		return &exitError{code}
	}
	return nil
}

// execProcess builds the process: from --process, or from the container's
// own process with the command line and flags applied.
func execProcess(c *cli.Context, spec *specs.Spec) (*specs.Process, error) {
	var p specs.Process
	if path := c.String("process"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("--process: %w", err)
		}
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, fmt.Errorf("--process %s: %w", path, err)
		}
	} else {
		if c.NArg() < 2 {
			return nil, errors.New("exec: no command given (and no --process)")
		}
		p = *spec.Process
		p.Args = c.Args().Slice()[1:]
		p.Terminal = false
		p.ConsoleSize = nil
	}
	if c.String("process") == "" {
		if err := applyProcessFlags(c, &p); err != nil {
			return nil, err
		}
	}
	if c.Bool("no-new-privs") {
		p.NoNewPrivileges = true
	}
	if v := c.String("apparmor"); v != "" {
		p.ApparmorProfile = v
	}
	if v := c.String("process-label"); v != "" {
		p.SelinuxLabel = v
	}
	return &p, nil
}

// applyProcessFlags applies --tty, --cwd, --env, --user and
// --additional-gids to the container's process. As in runc they describe
// the process only in the flag form: a --process file is taken as it is
// for these (runc ignores them there), and its env alone is the
// environment.
func applyProcessFlags(c *cli.Context, p *specs.Process) error {
	if c.IsSet("tty") {
		p.Terminal = c.Bool("tty")
	}
	if v := c.String("cwd"); v != "" {
		p.Cwd = v
	}
	p.Env = append(append([]string(nil), p.Env...), c.StringSlice("env")...)
	if u := c.String("user"); u != "" {
		uid, gid, err := parseUser(u)
		if err != nil {
			return err
		}
		p.User.UID, p.User.GID = uid, gid
	}
	for _, g := range c.Int64Slice("additional-gids") {
		if g < 0 || g > 1<<32-1 {
			return fmt.Errorf("--additional-gids: %d is not a gid", g)
		}
		p.User.AdditionalGids = append(p.User.AdditionalGids, uint32(g))
	}
	return nil
}

func parseUser(s string) (uint32, uint32, error) {
	us, gs, hasGid := strings.Cut(s, ":")
	uid, err := strconv.ParseUint(us, 10, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("--user %q: uid must be a number", s)
	}
	gid := uint64(0)
	if hasGid {
		if gid, err = strconv.ParseUint(gs, 10, 32); err != nil {
			return 0, 0, fmt.Errorf("--user %q: gid must be a number", s)
		}
	}
	return uint32(uid), uint32(gid), nil
}
