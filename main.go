// Command rt is an OCI container runtime: runc's command line, flag for
// flag, over libcontainer.
package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	_ "github.com/rt-runtime/rt/internal/oneproc"
	"github.com/rt-runtime/rt/libcontainer"
	_ "github.com/rt-runtime/rt/libcontainer/nsenter"
)

// version and commit are set at build time (-ldflags -X).
var (
	version = "0.1.0-dev"
	commit  = ""
)

func init() {
	// GOMAXPROCS is 1 already (internal/oneproc, early in package init).
	// rt init must stay on the main thread: nsenter left it in the
	// container's namespaces, and execve happens from this thread.
	if len(os.Args) > 1 && os.Args[1] == "init" {
		runtime.LockOSThread()
		// The init execs within milliseconds: no garbage worth a collection.
		debug.SetGCPercent(-1)
	}
}

// logger is set up by the global flags before any command runs.
var logger = slog.New(newLogrusHandler(os.Stderr, false, slog.LevelWarn))

// logToFile says whether --log was given: an error then goes there as a
// log line and to stderr as its bare message, as runc does; without --log
// the log line itself goes to stderr.
var logToFile bool

func main() {
	if len(os.Args) > 1 && os.Args[1] == "init" {
		libcontainer.Init() // never returns
	}
	app := newApp()
	if err := app.Run(reorderCommandArgs(app, os.Args)); err != nil {
		fatal(err)
	}
}

func newApp() *cli.App {
	cli.VersionPrinter = func(c *cli.Context) {
		fmt.Printf("rt version %s\n", version)
		if commit != "" {
			fmt.Printf("commit: %s\n", commit)
		}
		fmt.Printf("spec: %s\n", specs.Version)
		fmt.Printf("go: %s\n", runtime.Version())
	}
	app := &cli.App{
		Name:                 "rt",
		Usage:                "OCI container runtime",
		Version:              version,
		EnableBashCompletion: false,
		// runc's urfave/cli v1 never splits a repeated flag's value at commas:
		// "--env A=x,y" and "--cgroup pids,memory:sub" are one value each.
		DisableSliceFlagSeparator: true,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "debug", Usage: "enable debug logging"},
			&cli.StringFlag{Name: "log", Usage: "write the log to this file (default: stderr)"},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "log format: text or json"},
			&cli.StringFlag{Name: "root", Value: defaultRoot(), Usage: "directory holding container state"},
			&cli.StringFlag{Name: "criu", Value: "criu", Usage: "path to the criu binary used for checkpoint and restore"},
			&cli.BoolFlag{Name: "systemd-cgroup", Usage: "put containers in transient systemd units (cgroupsPath \"slice:prefix:name\")"},
			&cli.StringFlag{Name: "rootless", Value: "auto", Usage: "ignore cgroup permission errors ('true', 'false', or 'auto')"},
		},
		Before: setupGlobal,
		// Every command, in the order runc's --help lists them.
		Commands: []*cli.Command{
			checkpointCommand, createCommand, deleteCommand, eventsCommand,
			execCommand, killCommand, listCommand, pauseCommand, psCommand,
			restoreCommand, resumeCommand, runCommand, specCommand,
			startCommand, stateCommand, updateCommand, featuresCommand,
		},
		ExitErrHandler: func(*cli.Context, error) {},
	}
	for _, c := range app.Commands {
		// runc has no "help" sub-command under each command: "rt run -d h"
		// runs a container named h.
		c.HideHelpCommand = true
	}
	return app
}

func defaultRoot() string {
	if d := xdgRoot(); d != "" {
		return d
	}
	return "/run/rt"
}

func setupGlobal(c *cli.Context) error {
	level := slog.LevelInfo
	if c.Bool("debug") {
		level = slog.LevelDebug
		os.Setenv("_RT_DEBUG", "1")
	}
	var w io.Writer = os.Stderr
	if p := c.String("log"); p != "" {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_SYNC, 0o644)
		if err != nil {
			return fmt.Errorf("open log file: %w", err)
		}
		w = f
		logToFile = true
	}
	switch c.String("log-format") {
	case "text":
		logger = slog.New(newLogrusHandler(w, false, level))
	case "json":
		logger = slog.New(newLogrusHandler(w, true, level))
	default:
		return fmt.Errorf("--log-format: unknown format %q (text or json)", c.String("log-format"))
	}
	if d := xdgRoot(); d != "" && !c.IsSet("root") {
		return makeXDGRoot(d)
	}
	return nil
}

// exitError carries an exit code without a message (a container's).
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// codeError is a failure of rt's own that exits with a status other than
// 1: runc's exec exits 255 when it fails itself, so that a caller can tell
// that from the status of the process it ran.
type codeError struct {
	err  error
	code int
}

func (e *codeError) Error() string { return e.err.Error() }
func (e *codeError) Unwrap() error { return e.err }

// commandFailed prefixes a failed create or run as runc does ("runc create
// failed: ..."), with rt's name: scripts and people see the same line.
func commandFailed(c *cli.Context, err error) error {
	return fmt.Errorf("rt %s failed: %w", c.Command.Name, err)
}

// fatal prints the one line the user sees and logs it as an error.
func fatal(err error) {
	var ee *exitError
	if errors.As(err, &ee) {
		os.Exit(ee.code)
	}
	code := 1
	var ce *codeError
	if errors.As(err, &ce) {
		code = ce.code
	}
	msg := strings.TrimSpace(err.Error())
	logger.Error(msg)
	if logToFile {
		fmt.Fprintln(os.Stderr, msg)
	}
	os.Exit(code)
}
