package fs2

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
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
}
