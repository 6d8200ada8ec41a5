package libcontainer

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// --pidfd-socket (create, run, exec): a pidfd of the container's init, or
// of the exec'd process, goes to a unix socket with SCM_RIGHTS, as runc
// 1.3+ sends it. A pidfd names one process for good: whoever holds it can
// signal and wait for that process without the pid-reuse race.
//
// The socket is connected before anything is made, so a bad path fails
// at once; the pidfd is opened and sent as soon as the process's pid is
// known (it is then blocked in the sync protocol, waiting for us), before
// the rest of its set-up, as runc sends it: a receiver that signals at
// once ends a create or exec that has not finished.

// The payloads runc sends with the fd: the kinds of its init process.
const (
	pidfdNameInit = "standard"
	pidfdNameExec = "setns"
)

// pidfdSocket is a connected --pidfd-socket; nil when none was asked for.
type pidfdSocket struct {
	path string
	conn *net.UnixConn
}

func dialPidfdSocket(path string) (*pidfdSocket, error) {
	if path == "" {
		return nil, nil
	}
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("--pidfd-socket %s: %w", path, err)
	}
	return &pidfdSocket{path: path, conn: conn}, nil
}

func (s *pidfdSocket) close() {
	if s != nil && s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

// openPidfd opens a pidfd for pid and checks it names the process that
// started at startTime (field 22 of /proc/<pid>/stat): the pid is then
// held by the live process the pidfd pins, not by a later one.
func openPidfd(pid int, startTime uint64) (int, error) {
	fd, err := unix.PidfdOpen(pid, 0) // close-on-exec, as every pidfd
	if err != nil {
		return -1, fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	st, _, err := processStartTime(pid)
	if err == nil && st != startTime {
		err = fmt.Errorf("pid %d was reused", pid)
	}
	if err == nil {
		// Alive after the check: the pid was still the pidfd's.
		err = unix.PidfdSendSignal(fd, 0, nil, 0)
	}
	if err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("pidfd of %d: %w", pid, err)
	}
	return fd, nil
}

// sendPidfd opens a pidfd of pid (started at startTime) and sends it with
// its name, then closes the connection; the receiver holds its own copy.
// A nil socket sends nothing.
func (s *pidfdSocket) sendPidfd(pid int, startTime uint64, name string) error {
	if s == nil {
		return nil
	}
	defer s.close()
	fd, err := openPidfd(pid, startTime)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if _, _, err := s.conn.WriteMsgUnix([]byte(name), unix.UnixRights(fd), nil); err != nil {
		return fmt.Errorf("--pidfd-socket %s: send pidfd: %w", s.path, err)
	}
	return nil
}
