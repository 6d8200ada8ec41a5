// Command seccomp-agent is a seccomp user-notification agent for OCI
// runtimes: a container whose profile has linux.seccomp.listenerPath set to
// this agent's socket gets its SCMP_ACT_NOTIFY syscalls answered here.
//
// The runtime connects to the socket and sends, in one message, the
// specs.ContainerProcessState JSON with the seccomp listener fd in
// SCM_RIGHTS; the state's fds[] names it "seccompFd". The agent then
// answers every mkdir/mkdirat with an errno (--mkdir-errno, default EPERM)
// or with success without doing anything (--fake-success), and lets every
// other notified syscall continue (SECCOMP_USER_NOTIF_FLAG_CONTINUE).
//
//	seccomp-agent --socket /run/seccomp-agent.sock --mkdir-errno 38
package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "seccomp-agent:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("seccomp-agent", flag.ContinueOnError)
	socket := fs.String("socket", "", "unix socket path to listen on (linux.seccomp.listenerPath)")
	errno := fs.Int("mkdir-errno", int(unix.EPERM), "errno that mkdir and mkdirat fail with")
	fake := fs.Bool("fake-success", false, "answer mkdir and mkdirat with success, without creating anything")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if *socket == "" {
		return errors.New("--socket is required")
	}
	errnoSet := false
	fs.Visit(func(f *flag.Flag) { errnoSet = errnoSet || f.Name == "mkdir-errno" })
	if *fake && errnoSet {
		return errors.New("--fake-success and --mkdir-errno exclude each other")
	}
	if *errno <= 0 || *errno > 4095 {
		return fmt.Errorf("--mkdir-errno %d: not an errno (1..4095)", *errno)
	}
	var h slog.Handler
	switch *logFormat {
	case "text":
		h = slog.NewTextHandler(os.Stderr, nil)
	case "json":
		h = slog.NewJSONHandler(os.Stderr, nil)
	default:
		return fmt.Errorf("--log-format %q: want text or json", *logFormat)
	}
	log := slog.New(h)

	l, err := listen(*socket)
	if err != nil {
		return err
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, unix.SIGINT, unix.SIGTERM)
	go func() {
		<-sigs
		l.Close() // serve returns; the socket file is removed by Close
	}()
	log.Info("listening", "socket", *socket, "fake-success", *fake, "mkdir-errno", *errno)
	return serve(l, policy{fakeSuccess: *fake, errno: int32(*errno)}, log)
}

// listen creates the socket, replacing a stale socket file (never any
// other kind of file), reachable by root only.
func listen(path string) (*net.UnixListener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove stale socket: %w", err)
		}
	}
	old := unix.Umask(0o077)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	unix.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	l.SetUnlinkOnClose(true)
	return l, nil
}
