package libcontainer

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// sd_notify proxy. With NOTIFY_SOCKET in rt's environment, the container
// gets a socket of rt's at /run/notify/notify.sock (a bind of
// <state>/notify), and rt start forwards what the workload sends there to
// the caller's socket, returning once READY=1 has come through: the
// caller hears "ready" only when the workload says so.

const (
	notifyDir       = "notify"
	notifySock      = "notify.sock"
	notifyMountPath = "/run/notify"
)

// setupNotify adds the notify dir mount and NOTIFY_SOCKET to the spec.
func setupNotify(dir string, s *specs.Spec) error {
	d := filepath.Join(dir, notifyDir)
	if err := os.Mkdir(d, 0o755); err != nil {
		return fmt.Errorf("notify socket dir: %w", err)
	}
	s.Mounts = append(s.Mounts, specs.Mount{
		Destination: notifyMountPath, Type: "bind", Source: d,
		// Read-only: the container may send to the socket (a socket
		// takes writes on a read-only mount) but not plant files or
		// links in rt's state dir.
		Options: []string{"bind", "ro", "nosuid", "noexec", "nodev"},
	})
	s.Process.Env = append(s.Process.Env, "NOTIFY_SOCKET="+notifyMountPath+"/"+notifySock)
	return nil
}

// listenNotify binds the container's notify socket (before the workload
// runs, so its first message is not lost).
func listenNotify(dir string) (*net.UnixConn, error) {
	p := filepath.Join(dir, notifyDir, notifySock)
	os.Remove(p)
	// The workload may run as any user: the socket is made 0777 by bind
	// itself (umask 0 for that call), never chmod'ed by path afterwards.
	old := unix.Umask(0)
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: p, Net: "unixgram"})
	unix.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("notify socket: %w", err)
	}
	return c, nil
}

// forwardNotify relays messages to the host socket until one holds
// READY=1, or the container's init is gone.
func forwardNotify(c *net.UnixConn, host string, alive func() bool) error {
	defer c.Close()
	buf := make([]byte, 64<<10)
	for {
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := c.Read(buf)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				if !alive() {
					return nil
				}
				continue
			}
			return fmt.Errorf("notify socket: %w", err)
		}
		msg := buf[:n]
		out, err := net.Dial("unixgram", host)
		if err != nil {
			return fmt.Errorf("NOTIFY_SOCKET %s: %w", host, err)
		}
		_, err = out.Write(msg)
		out.Close()
		if err != nil {
			return fmt.Errorf("NOTIFY_SOCKET %s: %w", host, err)
		}
		for _, line := range bytes.Split(msg, []byte("\n")) {
			if string(line) == "READY=1" {
				return nil
			}
		}
	}
}
