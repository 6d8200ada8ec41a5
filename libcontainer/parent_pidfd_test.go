package libcontainer

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestPidfdSocket(t *testing.T) {
	if _, err := dialPidfdSocket(filepath.Join(t.TempDir(), "none.sock")); err == nil ||
		!strings.Contains(err.Error(), "--pidfd-socket ") {
		t.Fatalf("dial of a missing socket: %v, want a --pidfd-socket error", err)
	}
	if s, err := dialPidfdSocket(""); s != nil || err != nil {
		t.Fatalf("no --pidfd-socket: %v %v, want nothing", s, err)
	}
	var nilSock *pidfdSocket
	if err := nilSock.sendPidfd(os.Getpid(), 0, "x"); err != nil {
		t.Fatalf("send on no socket: %v", err)
	}

	path := filepath.Join(t.TempDir(), "pidfd.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	start, _, err := processStartTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}

	// A start time that is not the process's: refused, nothing sent.
	s, err := dialPidfdSocket(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.sendPidfd(os.Getpid(), start+1, pidfdNameInit); err == nil || !strings.Contains(err.Error(), "reused") {
		t.Fatalf("send with a wrong start time: %v, want a reuse error", err)
	}

	s, err = dialPidfdSocket(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.sendPidfd(os.Getpid(), start, pidfdNameInit); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		conn, err := ln.AcceptUnix()
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		buf, oob := make([]byte, 64), make([]byte, unix.CmsgSpace(4*4))
		n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
		if i == 0 {
			if n != 0 || oobn != 0 {
				t.Fatalf("the refused send sent %q", buf[:n])
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil || len(msgs) != 1 {
			t.Fatalf("control messages %v: %v", msgs, err)
		}
		fds, err := unix.ParseUnixRights(&msgs[0])
		if err != nil || len(fds) != 1 {
			t.Fatalf("rights %v: %v", fds, err)
		}
		defer unix.Close(fds[0])
		if string(buf[:n]) != "standard" {
			t.Errorf("name %q, want standard", buf[:n])
		}
		info, err := os.ReadFile("/proc/self/fdinfo/" + strconv.Itoa(fds[0]))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(info), "\nPid:\t"+strconv.Itoa(os.Getpid())+"\n") {
			t.Errorf("received fd is not a pidfd of %d:\n%s", os.Getpid(), info)
		}
	}
}
