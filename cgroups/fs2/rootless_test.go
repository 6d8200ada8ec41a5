package fs2

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestNeedsController(t *testing.T) {
	limit := int64(100)
	for _, c := range []struct {
		r    *specs.LinuxResources
		want bool
	}{
		{nil, false},
		{&specs.LinuxResources{}, false},
		{&specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}}, false},
		{&specs.LinuxResources{CPU: &specs.LinuxCPU{}, Memory: &specs.LinuxMemory{}}, false},
		{&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}}, true},
		{&specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0"}}, true},
		{&specs.LinuxResources{Unified: map[string]string{"memory.high": "1"}}, true},
	} {
		if got := NeedsController(c.r); got != c.want {
			t.Errorf("NeedsController(%+v) = %v, want %v", c.r, got, c.want)
		}
	}
}

// A skipped cgroup takes no limit, and nothing when none is asked.
func TestSkippedSet(t *testing.T) {
	m := &Manager{Root: "/nonexistent", Dir: "/nonexistent/c", Skipped: true}
	if err := m.Set(&specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}}); err != nil {
		t.Errorf("device rules only: %v", err)
	}
	limit := int64(100)
	if err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}}); err == nil {
		t.Error("pids limit on a skipped cgroup accepted")
	}
	m.SkipErr = unix.EACCES
	if err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}}); !errors.Is(err, unix.EACCES) {
		t.Errorf("the error does not wrap the denial: %v", err)
	}
}

// A cgroup left out is not the container's: nothing reads, joins or
// removes it, even when a dir of that name exists.
func TestSkippedLeavesDirAlone(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "c")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte("4242\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := &Manager{Root: root, Dir: dir, Skipped: true}
	if pids, err := m.Pids(); err != nil || len(pids) != 0 {
		t.Errorf("Pids = %v, %v", pids, err)
	}
	if err := m.Apply(1); err != nil {
		t.Error(err)
	}
	if err := m.Destroy(); err != nil {
		t.Error(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs")); err != nil || string(b) != "4242\n" {
		t.Errorf("dir touched: %q, %v", b, err)
	}
	if f, err := m.Frozen(); err != nil || f {
		t.Errorf("Frozen = %v, %v", f, err)
	}
}
