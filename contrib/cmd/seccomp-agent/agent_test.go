package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) {
	if sock := os.Getenv("_AGENT_TEST_CHILD"); sock != "" {
		os.Exit(child(sock, os.Getenv("_AGENT_TEST_DIR")))
	}
	os.Exit(m.Run())
}

func nr(t *testing.T, name string) libseccomp.ScmpSyscall {
	t.Helper()
	s, err := libseccomp.GetSyscallFromName(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPolicyRespond(t *testing.T) {
	for _, tc := range []struct {
		p        policy
		sys      string
		wantCont bool
		wantErr  int32
	}{
		{policy{errno: 38}, "mkdir", false, 38},
		{policy{errno: 38}, "mkdirat", false, 38},
		{policy{fakeSuccess: true}, "mkdir", false, 0},
		{policy{errno: 38}, "getpid", true, 0},
		{policy{fakeSuccess: true}, "openat", true, 0},
	} {
		req := &libseccomp.ScmpNotifReq{ID: 7, Data: libseccomp.ScmpNotifData{Syscall: nr(t, tc.sys), Arch: libseccomp.ArchNative}}
		resp, name := tc.p.respond(req)
		if name != tc.sys || resp.ID != 7 {
			t.Errorf("%+v %s: name %q id %d", tc.p, tc.sys, name, resp.ID)
		}
		if cont := resp.Flags&libseccomp.NotifRespFlagContinue != 0; cont != tc.wantCont {
			t.Errorf("%+v %s: continue = %v", tc.p, tc.sys, cont)
		}
		if resp.Error != tc.wantErr || resp.Val != 0 {
			t.Errorf("%+v %s: error %d val %d, want error %d", tc.p, tc.sys, resp.Error, resp.Val, tc.wantErr)
		}
	}
}

// sendState is what a runtime does: one message, state JSON plus fds.
func sendState(conn *net.UnixConn, st *specs.ContainerProcessState, fds []int) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	_, _, err = conn.WriteMsgUnix(b, oob, nil)
	return err
}

func connPair(t *testing.T) (*net.UnixConn, *net.UnixConn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(fd int) *net.UnixConn {
		f := os.NewFile(uintptr(fd), "sock")
		defer f.Close()
		c, err := net.FileConn(f)
		if err != nil {
			t.Fatal(err)
		}
		return c.(*net.UnixConn)
	}
	a, b := mk(fds[0]), mk(fds[1])
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func TestReceiveState(t *testing.T) {
	open := func() int {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		return fd
	}
	for _, tc := range []struct {
		name    string
		names   []string
		nfds    int
		raw     string
		wantErr string
		wantIdx int
	}{
		{name: "one fd", names: []string{"seccompFd"}, nfds: 1, wantIdx: 0},
		{name: "seccompFd second", names: []string{"other", "seccompFd"}, nfds: 2, wantIdx: 1},
		{name: "no seccompFd name", names: []string{"other"}, nfds: 1, wantErr: `no "seccompFd"`},
		{name: "names without fds", names: []string{"seccompFd"}, nfds: 0, wantErr: "message carries 0"},
		{name: "not JSON", raw: "{nope", nfds: 1, wantErr: "decode container process state"},
	} {
		a, b := connPair(t)
		var sent []int
		for i := 0; i < tc.nfds; i++ {
			sent = append(sent, open())
		}
		st := &specs.ContainerProcessState{Version: specs.Version, Fds: tc.names, Pid: 42, Metadata: "m",
			State: specs.State{ID: "c1", Status: specs.StateCreating, Pid: 42}}
		var err error
		if tc.raw != "" {
			_, _, err = a.WriteMsgUnix([]byte(tc.raw), unix.UnixRights(sent...), nil)
		} else {
			err = sendState(a, st, sent)
		}
		for _, fd := range sent {
			unix.Close(fd)
		}
		if err != nil {
			t.Fatal(err)
		}
		got, fd, err := receiveState(b)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: got %v, want error with %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got.State.ID != "c1" || got.Pid != 42 || got.Metadata != "m" {
			t.Errorf("%s: state %+v", tc.name, got)
		}
		var s unix.Stat_t
		if err := unix.Fstat(fd, &s); err != nil || s.Rdev != unix.Mkdev(1, 3) {
			t.Errorf("%s: fd %d is not the /dev/null sent: %v", tc.name, fd, err)
		}
		unix.Close(fd)
	}
}

// child loads a filter that notifies mkdir, mkdirat and uname, sends the
// listener to the agent like a runtime, then reports what those syscalls
// did: "mkdir=<errno> exists=<bool> uname=<errno> sysname=<s>".
func child(sock, dir string) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "child:", err); return 2 }
	f, err := libseccomp.NewFilter(libseccomp.ActAllow)
	if err != nil {
		return fail(err)
	}
	for _, n := range []string{"mkdir", "mkdirat", "uname"} {
		s, err := libseccomp.GetSyscallFromName(n)
		if err != nil {
			return fail(err)
		}
		if err := f.AddRule(s, libseccomp.ActNotify); err != nil {
			return fail(err)
		}
	}
	if err := f.Load(); err != nil {
		return fail(err)
	}
	nfd, err := f.GetNotifFd()
	if err != nil {
		return fail(err)
	}
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		return fail(err)
	}
	st := &specs.ContainerProcessState{Version: specs.Version, Fds: []string{specs.SeccompFdName},
		Pid: os.Getpid(), State: specs.State{ID: "agent-test", Status: specs.StateCreating, Pid: os.Getpid()}}
	if err := sendState(c, st, []int{int(nfd)}); err != nil {
		return fail(err)
	}
	c.Close()
	unix.Close(int(nfd))
	target := filepath.Join(dir, "made")
	var e1 unix.Errno
	errors.As(unix.Mkdirat(unix.AT_FDCWD, target, 0o755), &e1)
	_, statErr := os.Stat(target)
	var u unix.Utsname
	e2 := unix.Uname(&u)
	var e2n unix.Errno
	errors.As(e2, &e2n)
	fmt.Printf("mkdir=%d exists=%v uname=%d sysname=%s\n", int(e1), statErr == nil, int(e2n), unix.ByteSliceToString(u.Sysname[:]))
	return 0
}

func runAgentWithChild(t *testing.T, p policy) string {
	t.Helper()
	dir := t.TempDir()
	sock := filepath.Join(dir, "agent.sock")
	l, err := listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serve(l, p, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	defer func() {
		l.Close()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if _, err := os.Lstat(sock); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("socket left after close: %v", err)
		}
	}()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "_AGENT_TEST_CHILD="+sock, "_AGENT_TEST_DIR="+dir)
	var out strings.Builder
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(20*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v (a notification never answered ends in the 20 s kill)", err)
	}
	return strings.TrimSpace(out.String())
}

func requireNotify(t *testing.T) {
	t.Helper()
	if api, err := libseccomp.GetAPI(); err != nil || api < 5 {
		t.Skipf("seccomp notify needs libseccomp API level 5 (have %d, %v)", api, err)
	}
}

func TestAgentAnswersErrno(t *testing.T) {
	requireNotify(t)
	got := runAgentWithChild(t, policy{errno: int32(unix.ENOSYS)})
	want := fmt.Sprintf("mkdir=%d exists=false uname=0 sysname=Linux", int(unix.ENOSYS))
	if got != want {
		t.Errorf("child saw %q, want %q", got, want)
	}
}

func TestAgentFakeSuccess(t *testing.T) {
	requireNotify(t)
	got := runAgentWithChild(t, policy{fakeSuccess: true})
	if want := "mkdir=0 exists=false uname=0 sysname=Linux"; got != want {
		t.Errorf("child saw %q, want %q", got, want)
	}
}

func TestListenRefusesNonSocket(t *testing.T) {
	p := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(p, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := listen(p); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("got %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "keep" {
		t.Error("the file was replaced")
	}
}

func TestRunFlags(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--socket", "/x", "--fake-success", "--mkdir-errno", "38"},
		{"--socket", "/x", "--mkdir-errno", "0"},
		{"--socket", "/x", "extra"},
		{"--socket", "/x", "--log-format", "xml"},
	} {
		if err := run(args); err == nil {
			t.Errorf("run(%q) accepted", args)
		}
	}
}
