package libcontainer

import (
	"os"
	"os/exec"
	"os/signal"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func subreaper(t *testing.T) int32 {
	t.Helper()
	var v int32
	if err := unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&v)), 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestBecomeSubreaperRestores(t *testing.T) {
	if subreaper(t) != 0 {
		t.Skip("the test process is a subreaper already")
	}
	restore, err := becomeSubreaper()
	if err != nil {
		t.Fatal(err)
	}
	if subreaper(t) != 1 {
		t.Fatal("not a subreaper after becomeSubreaper")
	}
	restore()
	if subreaper(t) != 0 {
		t.Fatal("still a subreaper after restore")
	}
}

// startWaited starts argv with signals already caught, as Run does.
func startWaited(t *testing.T, argv ...string) (int, chan os.Signal) {
	t.Helper()
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs)
	t.Cleanup(func() { signal.Stop(sigs) })
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid, sigs
}

func TestWaitForProcessStatus(t *testing.T) {
	pid, sigs := startWaited(t, "/bin/sh", "-c", "exit 3")
	if code := waitForProcess(pid, sigs); code != 3 {
		t.Fatalf("exit 3: got status %d", code)
	}
	pid, sigs = startWaited(t, "/bin/sh", "-c", "kill -9 $$")
	if code := waitForProcess(pid, sigs); code != 128+9 {
		t.Fatalf("killed by SIGKILL: got status %d, want 137", code)
	}
}

// A signal rt receives reaches the process; SIGWINCH (the terminal
// proxy's) does not.
func TestWaitForProcessForwards(t *testing.T) {
	pid, sigs := startWaited(t, "/bin/sh", "-c", "trap 'exit 7' USR1; trap 'exit 8' WINCH; while :; do sleep 0.05; done")
	time.Sleep(200 * time.Millisecond) // let the shell set its traps
	// Not forwarded: the shell would loop forever; end it as a failure.
	defer time.AfterFunc(5*time.Second, func() { unix.Kill(pid, unix.SIGKILL) }).Stop()
	sigs <- unix.SIGWINCH
	sigs <- unix.SIGUSR1
	if code := waitForProcess(pid, sigs); code != 7 {
		t.Fatalf("after SIGWINCH and SIGUSR1: status %d, want 7 (USR1's trap)", code)
	}
}
