package libcontainer

import (
	"bytes"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// cgroup2Mount is where this host's cgroup2 hierarchy is (v2 or hybrid).
func cgroup2Mount(t *testing.T) string {
	t.Helper()
	for _, d := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		var st unix.Statfs_t
		if unix.Statfs(d, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
			return d
		}
	}
	t.Skip("no cgroup2 mount")
	return ""
}

// v2Cgroup is the 0:: line of /proc/pid/cgroup.
func v2Cgroup(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "0::"); ok {
			return rest
		}
	}
	t.Fatalf("no cgroup2 line in %q", b)
	return ""
}

func startSleep(t *testing.T, b *cgroupBirth, log *slog.Logger) *exec.Cmd {
	t.Helper()
	cmd, err := b.start(exec.Command("sleep", "100"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

// A child started with a birth cgroup is in it from the start; when the
// kernel refuses the clone3 (here: an fd that is no cgroup's), it is
// started as without one, and the debug line says which way it went.
func TestCgroupBirth(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a cgroup")
	}
	mnt := cgroup2Mount(t)
	dir := filepath.Join(mnt, "rt-unit-clone3-"+strconv.Itoa(os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(dir) })
	own := v2Cgroup(t, os.Getpid())

	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := &cgroupBirth{dir: dir, fd: fd}
	cmd := startSleep(t, b, log)
	b.close()
	if !b.Born() {
		t.Fatalf("not born in the cgroup: %s", logs.String())
	}
	if got, want := v2Cgroup(t, cmd.Process.Pid), "/"+filepath.Base(dir); got != want {
		t.Fatalf("child's cgroup %q, want %q", got, want)
	}
	if !strings.Contains(logs.String(), "clone3 CLONE_INTO_CGROUP") {
		t.Fatalf("log: %s", logs.String())
	}

	logs.Reset()
	notCgroup, err := unix.Open(t.TempDir(), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	b = &cgroupBirth{dir: "a tmp dir", fd: notCgroup}
	cmd = startSleep(t, b, log)
	b.close()
	if b.Born() {
		t.Fatal("born in a dir that is no cgroup")
	}
	if got := v2Cgroup(t, cmd.Process.Pid); got != own {
		t.Fatalf("child's cgroup %q, want the parent's %q", got, own)
	}
	if !strings.Contains(logs.String(), "through cgroup.procs") || !strings.Contains(logs.String(), "clone3 into a tmp dir") {
		t.Fatalf("log: %s", logs.String())
	}

	logs.Reset()
	b = noBirthCgroup("not a cgroup v2 host")
	startSleep(t, b, log)
	if b.Born() || !strings.Contains(logs.String(), "not a cgroup v2 host") {
		t.Fatalf("born %v, log: %s", b.Born(), logs.String())
	}
	// No birth cgroup at all (nil): started, nothing said.
	logs.Reset()
	var none *cgroupBirth
	startSleep(t, none, log)
	if none.Born() || logs.Len() != 0 {
		t.Fatalf("log: %s", logs.String())
	}
}
