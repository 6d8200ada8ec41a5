package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// socketPair returns both ends of a SOCK_STREAM unix socketpair as
// UnixConns; the test closes them.
func socketPair(t *testing.T) (*net.UnixConn, *net.UnixConn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socketpair: %v", err)
	}
	conns := make([]*net.UnixConn, 2)
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socketpair")
		c, err := net.FileConn(f)
		f.Close() // FileConn dups it
		if err != nil {
			t.Fatalf("FileConn: %v", err)
		}
		conns[i] = c.(*net.UnixConn)
		t.Cleanup(func() { c.Close() })
	}
	return conns[0], conns[1]
}

// openFds counts the entries of /proc/self/fd, to catch leaked fds.
func openFds(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("read /proc/self/fd: %v", err)
	}
	return len(ents)
}

func pipe(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatalf("pipe: %v", err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

func TestRecvFdGetsTheSentFile(t *testing.T) {
	a, b := socketPair(t)
	r, w := pipe(t)
	if _, _, err := a.WriteMsgUnix([]byte("/dev/ptmx"), unix.UnixRights(int(w.Fd())), nil); err != nil {
		t.Fatalf("send: %v", err)
	}
	got, name, err := recvFd(b)
	if err != nil {
		t.Fatalf("recvFd: %v", err)
	}
	defer got.Close()
	if name != "/dev/ptmx" || got.Name() != "/dev/ptmx" {
		t.Errorf("name = %q, file name %q; want /dev/ptmx", name, got.Name())
	}
	if got.Fd() == w.Fd() {
		t.Fatalf("received fd %d is the sender's own", got.Fd())
	}
	// Proof it is the same open file: what we write through it comes out
	// of the pipe's read end.
	if _, err := got.Write([]byte("hello")); err != nil {
		t.Fatalf("write through received fd: %v", err)
	}
	buf := make([]byte, 5)
	if _, err := r.Read(buf); err != nil || string(buf) != "hello" {
		t.Fatalf("read pipe: %q, %v", buf, err)
	}
	flags, err := unix.FcntlInt(got.Fd(), unix.F_GETFD, 0)
	if err != nil {
		t.Fatalf("F_GETFD: %v", err)
	}
	if flags&unix.FD_CLOEXEC == 0 {
		t.Errorf("received fd is not close-on-exec")
	}
}

func TestRecvFdOfARealPty(t *testing.T) {
	a, b := socketPair(t)
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no /dev/ptmx: %v", err)
	}
	defer ptmx.Close()
	if _, _, err := a.WriteMsgUnix([]byte("/dev/ptmx"), unix.UnixRights(int(ptmx.Fd())), nil); err != nil {
		t.Fatalf("send: %v", err)
	}
	got, _, err := recvFd(b)
	if err != nil {
		t.Fatalf("recvFd: %v", err)
	}
	defer got.Close()
	want, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("TIOCGPTN of sent: %v", err)
	}
	n, err := unix.IoctlGetInt(int(got.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("TIOCGPTN of received: %v", err)
	}
	if n != want {
		t.Errorf("received pty %d, sent %d", n, want)
	}
}

func TestRecvFdErrors(t *testing.T) {
	tests := []struct {
		name  string
		nfds  int
		close bool
		want  string
	}{
		{name: "no fd", nfds: 0, want: "carried no fd"},
		{name: "two fds", nfds: 2, want: "expected one fd, got 2"},
		{name: "peer closed", close: true, want: "closed the connection without sending"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := socketPair(t)
			_, w := pipe(t)
			if tt.close {
				a.Close()
			}
			before := openFds(t)
			if !tt.close {
				var oob []byte
				if tt.nfds > 0 {
					fds := make([]int, tt.nfds)
					for i := range fds {
						fds[i] = int(w.Fd())
					}
					oob = unix.UnixRights(fds...)
				}
				if _, _, err := a.WriteMsgUnix([]byte("/dev/ptmx"), oob, nil); err != nil {
					t.Fatalf("send: %v", err)
				}
			}
			f, _, err := recvFd(b)
			if err == nil {
				f.Close()
				t.Fatalf("recvFd succeeded, want error %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if after := openFds(t); after != before {
				t.Errorf("%d fds open before, %d after: received fds leaked", before, after)
			}
		})
	}
}

func TestAcceptConsoleOverAPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	r, w := pipe(t)
	sent := make(chan error, 1)
	go func() {
		c, err := net.Dial("unix", path)
		if err != nil {
			sent <- err
			return
		}
		defer c.Close()
		_, _, err = c.(*net.UnixConn).WriteMsgUnix([]byte("/dev/ptmx"), unix.UnixRights(int(w.Fd())), nil)
		sent <- err
	}()
	got, err := acceptConsole(ln)
	if err != nil {
		t.Fatalf("acceptConsole: %v", err)
	}
	defer got.Close()
	if err := <-sent; err != nil {
		t.Fatalf("send: %v", err)
	}
	w.Close()
	// r gets EOF only once every copy of the write end is closed.
	got.Write([]byte("x"))
	got.Close()
	buf := make([]byte, 2)
	n, _ := r.Read(buf)
	if string(buf[:n]) != "x" {
		t.Errorf("read %q through the accepted fd, want x", buf[:n])
	}
}

func TestWritePidFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "pid")
	if err := writePidFile(p, 1234); err != nil {
		t.Fatalf("writePidFile: %v", err)
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "1234" {
		t.Fatalf("pid file = %q, %v; want 1234", b, err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("temp file left: %v", ents)
	}
	if err := writePidFile(filepath.Join(dir, "missing", "pid"), 1); err == nil {
		t.Errorf("writePidFile into a missing dir succeeded")
	}
}
