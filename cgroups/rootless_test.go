package cgroups

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The manager of a rootless container with no cgroup: nothing to join or
// remove, limits and the freezer refused in runc's words.
func TestNone(t *testing.T) {
	m := None()
	if !IsNone(m) || IsNone(zeroIsUnset{m}) {
		t.Error("IsNone")
	}
	if err := m.Apply(1); err != nil {
		t.Error(err)
	}
	if err := m.Destroy(); err != nil {
		t.Error(err)
	}
	if !m.Paths().IsZero() {
		t.Error("paths")
	}
	if err := m.Set(&specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Access: "rwm"}}}); err != nil {
		t.Errorf("device rules: %v", err)
	}
	limit := int64(1 << 20)
	err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}})
	if err == nil || err.Error() != "cannot set memory limit: container could not join or create cgroup" {
		t.Errorf("memory limit: %v", err)
	}
	if err := m.Freeze(); err == nil || !strings.Contains(err.Error(), "cgroups not configured for container") {
		t.Errorf("freeze: %v", err)
	}
}
