package libcontainer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rt-runtime/rt/cgroups"
)

// oldStateJSON is a state.json as rt wrote it before cgroups.Paths (the
// cgroup2 dir under the key ""), with the spec cut and the v1 dirs moved
// to %[1]s; %[2]d and %[3]d are the pid and its start time. The unified
// dir stays where the host mounts cgroup2 (it is not read: the v1 freezer
// decides), since a Manager is only made for a dir inside that mount.
const oldStateJSON = `{"ociVersion":"1.3.0","id":"old","status":"creating","pid":%[2]d,"bundle":"/b",` +
	`"initStartTime":%[3]d,"rootfs":"/b/rootfs","created":"2026-12-02T18:25:21.138850082Z","owner":"root",` +
	`"cgroupPaths":{"":"/sys/fs/cgroup/unified/rt-compat-old","freezer":"%[1]s/freezer/old","memory":"%[1]s/memory/old",` +
	`"name=systemd":"%[1]s/systemd/old"},"spec":{"ociVersion":"1.3.0"}}`

// A container created by an earlier rt must still be listed, paused,
// killed and deleted: its state.json loads with the typed paths, and is
// written back in the same layout.
func TestStateLoadsOldCgroupPaths(t *testing.T) {
	root, cg := t.TempDir(), t.TempDir()
	start, _, err := processStartTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "old"), 0o700); err != nil {
		t.Fatal(err)
	}
	in := fmt.Sprintf(oldStateJSON, cg, os.Getpid(), start)
	if err := os.WriteFile(filepath.Join(root, "old", stateFile), []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := LoadState(root, "old")
	if err != nil {
		t.Fatal(err)
	}
	want := cgroups.Paths{V1: map[string]string{
		"freezer": cg + "/freezer/old", "memory": cg + "/memory/old", "name=systemd": cg + "/systemd/old",
	}, V2: "/sys/fs/cgroup/unified/rt-compat-old"}
	if !reflect.DeepEqual(s.CgroupPaths, want) {
		t.Errorf("CgroupPaths = %+v, want %+v", s.CgroupPaths, want)
	}

	// The status comes from the freezer the old paths name.
	freezer := filepath.Join(cg, "freezer", "old")
	if err := os.MkdirAll(freezer, 0o755); err != nil {
		t.Fatal(err)
	}
	for state, status := range map[string]specs.ContainerState{"FROZEN": StatusPaused, "FREEZING": StatusPaused, "THAWED": specs.StateRunning} {
		if err := os.WriteFile(filepath.Join(freezer, "freezer.state"), []byte(state+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		s.Refresh(root)
		if s.Status != status {
			t.Errorf("freezer.state %s: status %q, want %q", state, s.Status, status)
		}
	}

	if err := s.save(root); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "old", stateFile))
	if err != nil {
		t.Fatal(err)
	}
	var saved struct {
		CgroupPaths map[string]string `json:"cgroupPaths"`
	}
	if err := json.Unmarshal(b, &saved); err != nil {
		t.Fatal(err)
	}
	wantSaved := map[string]string{"": "/sys/fs/cgroup/unified/rt-compat-old", "freezer": cg + "/freezer/old",
		"memory": cg + "/memory/old", "name=systemd": cg + "/systemd/old"}
	if !reflect.DeepEqual(saved.CgroupPaths, wantSaved) {
		t.Errorf("saved cgroupPaths = %v, want %v", saved.CgroupPaths, wantSaved)
	}
	// A state without cgroups writes no cgroupPaths, as before.
	s.CgroupPaths = cgroups.Paths{}
	if err := s.save(root); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "old", stateFile)); strings.Contains(string(b), "cgroupPaths") {
		t.Errorf("zero paths were written: %s", b)
	}
}
