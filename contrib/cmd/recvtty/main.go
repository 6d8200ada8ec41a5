// Command recvtty is the other end of a --console-socket: it listens on a
// unix socket, receives the pty master of one terminal container (sent
// with SCM_RIGHTS), and either proxies it to its own stdio or drains it.
// It exits when the container side of the pty is gone. Tests and manual
// runs use it the way a shim would.
package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"
)

func main() {
	app := &cli.App{
		Name:      "recvtty",
		Usage:     "receive the pty master of a terminal container over a unix socket",
		ArgsUsage: "<socket-path>",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "mode", Aliases: []string{"m"}, Value: "single", Usage: "single: proxy the pty to stdio; null: discard its output"},
			&cli.StringFlag{Name: "pid-file", Usage: "write recvtty's pid here once the socket listens"},
			&cli.BoolFlag{Name: "no-stdin", Usage: "in single mode, do not copy stdin to the pty"},
		},
		Action: run,
	}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "recvtty:", err)
		os.Exit(1)
	}
}

func run(c *cli.Context) error {
	if c.NArg() != 1 {
		return errors.New("expects one argument: <socket-path>")
	}
	mode := c.String("mode")
	if mode != "single" && mode != "null" {
		return fmt.Errorf("--mode: unknown mode %q (single or null)", mode)
	}
	path := c.Args().First()
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	ul := ln.(*net.UnixListener)
	// Close would unlink the socket; we unlink it ourselves after the one
	// connection, so a second runtime cannot connect to a dead listener.
	ul.SetUnlinkOnClose(false)
	defer os.Remove(path)
	defer ul.Close()
	if p := c.String("pid-file"); p != "" {
		if err := writePidFile(p, os.Getpid()); err != nil {
			return err
		}
	}
	master, err := acceptConsole(ul)
	if err != nil {
		return err
	}
	defer master.Close()
	os.Remove(path)
	if mode == "null" {
		return drain(io.Discard, master)
	}
	if !c.Bool("no-stdin") {
		// Ends on stdin EOF; the pty stays open until the container closes it.
		go io.Copy(master, os.Stdin)
	}
	return drain(os.Stdout, master)
}

// acceptConsole takes one connection and returns the pty master sent on it.
func acceptConsole(ln *net.UnixListener) (*os.File, error) {
	conn, err := ln.AcceptUnix()
	if err != nil {
		return nil, fmt.Errorf("accept: %w", err)
	}
	defer conn.Close()
	f, _, err := recvFd(conn)
	return f, err
}

// recvFd reads one message carrying exactly one fd (SCM_RIGHTS) and
// returns the fd as a file named by the message's payload (the runtime
// sends "/dev/ptmx"). Any extra fds that arrive are closed.
func recvFd(conn *net.UnixConn) (*os.File, string, error) {
	buf := make([]byte, 4096)
	// Room for a few fds, so a misbehaving sender's extras are seen and closed.
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, flags, _, err := conn.ReadMsgUnix(buf, oob)
	if errors.Is(err, io.EOF) || (err == nil && n == 0 && oobn == 0) {
		return nil, "", errors.New("receive pty: the runtime closed the connection without sending one")
	}
	if err != nil {
		return nil, "", fmt.Errorf("receive pty: %w", err)
	}
	fds, err := parseRights(oob[:oobn])
	if err != nil {
		return nil, "", err
	}
	if flags&unix.MSG_CTRUNC != 0 {
		closeAll(fds)
		return nil, "", errors.New("receive pty: control message truncated (too many fds)")
	}
	switch len(fds) {
	case 0:
		return nil, "", fmt.Errorf("receive pty: message %q carried no fd", buf[:n])
	case 1:
	default:
		closeAll(fds)
		return nil, "", fmt.Errorf("receive pty: expected one fd, got %d", len(fds))
	}
	name := string(buf[:n])
	if name == "" {
		name = "pty-master"
	}
	return os.NewFile(uintptr(fds[0]), name), name, nil
}

func parseRights(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("receive pty: parse control message: %w", err)
	}
	var fds []int
	for i := range msgs {
		got, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			closeAll(fds)
			return nil, fmt.Errorf("receive pty: parse SCM_RIGHTS: %w", err)
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// drain copies the pty master to w until the slave side is closed by
// every process of the container, which the master reports as EIO.
func drain(w io.Writer, master *os.File) error {
	_, err := io.Copy(w, master)
	if err == nil || errors.Is(err, unix.EIO) {
		return nil
	}
	return fmt.Errorf("copy from pty: %w", err)
}

// writePidFile writes the pid atomically (temp file + rename), so a
// reader never sees a partial number.
func writePidFile(path string, pid int) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("pid file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("pid file: %w", err)
	}
	return nil
}
