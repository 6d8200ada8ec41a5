package seccomp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// A filter can never be unloaded, so every test that loads one does it in
// a re-exec'd copy of the test binary (TestSeccompChild), which loads the
// profile, makes the probe syscalls from the same thread, reports on
// stdout and then exits or execs a command under the filter.

const childEnv = "RT_SECCOMP_TEST_CHILD"

// probe is one raw syscall; with buf, argument 0 points to a 4 KiB buffer.
type probe struct {
	Nr   uintptr    `json:"nr"`
	Args [3]uintptr `json:"args"`
	Buf  bool       `json:"buf"`
}

type childRequest struct {
	Profile specs.LinuxSeccomp `json:"profile"`
	Probes  []probe            `json:"probes"`
	// NotifyErrno is what the child's own notify handler answers.
	NotifyErrno int32 `json:"notifyErrno"`
	// Exec is run under the filter after the probes.
	Exec []string `json:"exec"`
	// Program: load what Program compiles, with seccomp(2), as the C
	// executor of a plan does, instead of calling Load.
	Program bool `json:"program"`
}

type childResult struct {
	Error    string   `json:"error"`
	Skipped  []string `json:"skipped"`
	NotifyFd int      `json:"notifyFd"`
	Errnos   []int    `json:"errnos"`
}

func TestSeccompChild(t *testing.T) {
	raw := os.Getenv(childEnv)
	if raw == "" {
		t.Skip("helper for the tests that load a filter")
	}
	var req childRequest
	if err := json.Unmarshal([]byte(raw), &req); err != nil {
		fmt.Fprintln(os.Stderr, "child: decode request:", err)
		os.Exit(3)
	}
	res := runChild(&req)
	out, err := json.Marshal(res)
	if err == nil {
		_, err = os.Stdout.Write(append(out, '\n'))
	}
	if err != nil {
		os.Exit(4)
	}
	if res.Error == "" && len(req.Exec) > 0 {
		err := unix.Exec(req.Exec[0], req.Exec, []string{"PATH=/bin"})
		fmt.Fprintln(os.Stderr, "child: exec:", err)
		os.Exit(5)
	}
	os.Exit(0)
}

func runChild(req *childRequest) childResult {
	runtime.LockOSThread() // never unlocked: the thread dies with the process
	var fd int
	var skipped []string
	var err error
	if req.Program {
		fd, skipped, err = loadProgram(&req.Profile)
	} else {
		fd, skipped, err = Load(&req.Profile)
	}
	res := childResult{Skipped: skipped, NotifyFd: fd}
	if err != nil {
		res.Error = err.Error()
		return res
	}
	if fd >= 0 {
		go answerNotifications(libseccomp.ScmpFd(fd), req.NotifyErrno)
	}
	buf := make([]byte, 4096)
	for _, p := range req.Probes {
		args := p.Args
		if p.Buf {
			args[0] = uintptr(unsafe.Pointer(&buf[0]))
		}
		_, _, e := unix.Syscall(p.Nr, args[0], args[1], args[2])
		res.Errnos = append(res.Errnos, int(e))
	}
	runtime.KeepAlive(buf)
	return res
}

// loadProgram loads Program's output the way a plan's executor does.
func loadProgram(s *specs.LinuxSeccomp) (int, []string, error) {
	flags, bpf, skipped, err := Program(s)
	if err != nil {
		return -1, skipped, err
	}
	insns := unsafe.Slice((*unix.SockFilter)(unsafe.Pointer(&bpf[0])), len(bpf)/int(unsafe.Sizeof(unix.SockFilter{})))
	prog := unix.SockFprog{Len: uint16(len(insns)), Filter: &insns[0]}
	if _, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(flags), uintptr(unsafe.Pointer(&prog))); e != 0 {
		return -1, skipped, e
	}
	runtime.KeepAlive(bpf)
	return -1, skipped, nil
}

func answerNotifications(fd libseccomp.ScmpFd, errno int32) {
	for {
		req, err := libseccomp.NotifReceive(fd)
		if err != nil {
			return
		}
		resp := &libseccomp.ScmpNotifResp{ID: req.ID, Error: errno}
		if err := libseccomp.NotifRespond(fd, resp); err != nil {
			return
		}
	}
}

// runChild starts the helper with req; it returns the report (nil when the
// child died before writing one) and how the child ended.
func startChild(t *testing.T, req childRequest) (*childResult, *os.ProcessState) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("loading a filter without no_new_privs needs CAP_SYS_ADMIN (root)")
	}
	raw, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	// A child that hangs (a filter that blocks what its exit needs) is
	// killed and fails the test in a minute, not at go test's timeout.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSeccompChild$", "-test.count=1")
	// As for rt init (docs/ARCHITECTURE.md): glibc aborts a thread started
	// under the filter whose rseq registration the profile refuses.
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw), "GLIBC_TUNABLES=glibc.pthread.rseq=0")
	cmd.Dir = "/"
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("child did not finish within a minute: %v\nstderr: %s", err, stderr.String())
	}
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("start child: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("child stdout: %s\nchild stderr: %s", stdout.String(), stderr.String())
		}
	})
	line, _, _ := bytes.Cut(stdout.Bytes(), []byte("\n"))
	if len(line) == 0 {
		return nil, cmd.ProcessState
	}
	var res childResult
	if err := json.Unmarshal(line, &res); err != nil {
		t.Fatalf("decode child report %q: %v", line, err)
	}
	return &res, cmd.ProcessState
}

// mustRun runs the child and requires a clean exit and a loaded filter.
func mustRun(t *testing.T, req childRequest) *childResult {
	t.Helper()
	res, st := startChild(t, req)
	if res == nil || !st.Success() {
		t.Fatalf("child ended %v without a report", st)
	}
	if res.Error != "" {
		t.Fatalf("load: %s", res.Error)
	}
	return res
}

// diedOf reports whether the child was killed by sig.
func diedOf(st *os.ProcessState, sig syscall.Signal) bool {
	ws, ok := st.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == sig
}

func getcwdProbe(size uintptr) probe {
	return probe{Nr: unix.SYS_GETCWD, Args: [3]uintptr{0, size}, Buf: true}
}

func uintp(v uint) *uint { return &v }
