// Command pidfd-kill is the other end of a --pidfd-socket: it listens on a
// unix socket, receives one pidfd (sent with SCM_RIGHTS) of a container's
// init or of an exec'd process, reports which process it names, and then,
// on SIGTERM (or at once with --now), signals that process through the
// pidfd and waits until it has exited. A pidfd names one process for its
// whole life: the signal cannot reach a later process that reused the pid.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/rt-runtime/rt/libcontainer/signals"
)

func main() {
	app := &cli.App{
		Name:      "pidfd-kill",
		Usage:     "receive a process's pidfd over a unix socket and signal the process through it",
		ArgsUsage: "<socket-path>",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "signal", Aliases: []string{"s"}, Value: "SIGKILL", Usage: "signal to send (name or number)"},
			&cli.StringFlag{Name: "pid-file", Usage: "write pidfd-kill's pid here once the socket listens"},
			&cli.StringFlag{Name: "info", Usage: "write \"<name> <pid>\" of the received pidfd here (default: stdout)"},
			&cli.BoolFlag{Name: "now", Usage: "signal as soon as the pidfd arrives instead of on SIGTERM"},
		},
		Action: run,
	}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "pidfd-kill:", err)
		os.Exit(1)
	}
}

func run(c *cli.Context) error {
	if c.NArg() != 1 {
		return errors.New("expects one argument: <socket-path>")
	}
	sig, err := signals.ParseSignal(c.String("signal"))
	if err != nil {
		return err
	}
	// Before the pid file says we listen: a SIGTERM from then on is ours.
	term := make(chan os.Signal, 1)
	signal.Notify(term, unix.SIGTERM)
	path := c.Args().First()
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	ul := ln.(*net.UnixListener)
	ul.SetUnlinkOnClose(false)
	defer os.Remove(path)
	defer ul.Close()
	if p := c.String("pid-file"); p != "" {
		if err := writeFileAtomic(p, strconv.Itoa(os.Getpid())); err != nil {
			return err
		}
	}
	type received struct {
		fd   int
		name string
		err  error
	}
	got := make(chan received, 1)
	go func() {
		fd, name, err := accept(ul)
		got <- received{fd, name, err}
	}()
	var r received
	select {
	case r = <-got:
	case <-term:
		return errors.New("terminated before a pidfd arrived")
	}
	pidfd, name, err := r.fd, r.name, r.err
	if err != nil {
		return err
	}
	defer unix.Close(pidfd)
	os.Remove(path)
	pid, err := pidfdPid(pidfd)
	if err != nil {
		return err
	}
	info := fmt.Sprintf("%s %d\n", name, pid)
	if p := c.String("info"); p != "" {
		err = writeFileAtomic(p, info)
	} else {
		_, err = io.WriteString(os.Stdout, info)
	}
	if err != nil {
		return err
	}
	if !c.Bool("now") {
		<-term
	}
	if err := unix.PidfdSendSignal(pidfd, sig, nil, 0); err != nil {
		return fmt.Errorf("pidfd_send_signal %d (%s): %w", pid, unix.SignalName(sig), err)
	}
	return waitExit(pidfd)
}

// accept takes one connection and returns the one fd sent on it, with the
// message's payload as its name.
func accept(ln *net.UnixListener) (int, string, error) {
	conn, err := ln.AcceptUnix()
	if err != nil {
		return -1, "", fmt.Errorf("accept: %w", err)
	}
	defer conn.Close()
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, flags, _, err := conn.ReadMsgUnix(buf, oob)
	if errors.Is(err, io.EOF) || (err == nil && n == 0 && oobn == 0) {
		return -1, "", errors.New("receive pidfd: the runtime closed the connection without sending one")
	}
	if err != nil {
		return -1, "", fmt.Errorf("receive pidfd: %w", err)
	}
	var fds []int
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return -1, "", fmt.Errorf("receive pidfd: parse control message: %w", err)
	}
	for i := range msgs {
		got, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			closeAll(fds)
			return -1, "", fmt.Errorf("receive pidfd: parse SCM_RIGHTS: %w", err)
		}
		fds = append(fds, got...)
	}
	if flags&unix.MSG_CTRUNC != 0 || len(fds) != 1 {
		closeAll(fds)
		return -1, "", fmt.Errorf("receive pidfd: expected one fd, got %d (truncated: %v)", len(fds), flags&unix.MSG_CTRUNC != 0)
	}
	name := string(buf[:n])
	if name == "" {
		name = "-"
	}
	return fds[0], name, nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// pidfdPid reads the pid a pidfd names from its fdinfo; an fd that has no
// "Pid:" line there is not a pidfd.
func pidfdPid(fd int) (int, error) {
	f, err := os.Open("/proc/self/fdinfo/" + strconv.Itoa(fd))
	if err != nil {
		return 0, fmt.Errorf("fdinfo of the received fd: %w", err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "Pid:"); ok {
			pid, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return 0, fmt.Errorf("fdinfo Pid %q: %w", v, err)
			}
			return pid, nil
		}
	}
	return 0, errors.New("the received fd is not a pidfd (no Pid: in its fdinfo)")
}

// waitExit blocks until the process exits: a pidfd polls readable then.
func waitExit(fd int) error {
	for {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		_, err := unix.Poll(fds, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("poll pidfd: %w", err)
		}
		return nil
	}
}

func writeFileAtomic(path, data string) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
