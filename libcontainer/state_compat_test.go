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

// stateKeys is the set of top-level keys of dir's state.json.
func stateKeys(t *testing.T, dir string) map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// A new state dir holds the spec in spec.json and a state.json without it;
// LoadState reads both, LoadStatus (list, state) only state.json, and a
// changed spec is written again on the next save.
func TestStateSpecInItsOwnFile(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "c")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	spec := validSpec()
	spec.Annotations = map[string]string{"a": "b"}
	s := &State{State: specs.State{Version: specs.Version, ID: "c", Bundle: "/b", Annotations: spec.Annotations}, Spec: spec}
	if err := s.save(root); err != nil {
		t.Fatal(err)
	}
	keys := stateKeys(t, dir)
	if _, ok := keys["spec"]; ok {
		t.Errorf("state.json still embeds the spec")
	}
	if _, ok := keys["annotations"]; !ok {
		t.Errorf("state.json lost the OCI state's annotations: %v", keys)
	}
	if _, err := os.Stat(filepath.Join(dir, specFile)); err != nil {
		t.Fatalf("no %s: %v", specFile, err)
	}

	got, err := LoadState(root, "c")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Spec, spec) {
		t.Errorf("LoadState spec = %+v, want %+v", got.Spec, spec)
	}
	// Without spec.json (were it removed) LoadStatus still reads the state:
	// it never opens the spec.
	if err := os.Rename(filepath.Join(dir, specFile), filepath.Join(dir, "moved")); err != nil {
		t.Fatal(err)
	}
	st, err := LoadStatus(root, "c")
	if err != nil {
		t.Fatal(err)
	}
	if st.Spec != nil || st.ID != "c" || st.Bundle != "/b" || st.Status != specs.StateStopped {
		t.Errorf("LoadStatus = %+v", st)
	}
	if err := st.save(root); err == nil {
		t.Error("a state loaded without its spec was saved")
	}
	if err := os.Rename(filepath.Join(dir, "moved"), filepath.Join(dir, specFile)); err != nil {
		t.Fatal(err)
	}

	// A save without a spec change leaves spec.json alone; a change marked
	// with MarkSpecChanged writes it.
	if err := os.WriteFile(filepath.Join(dir, specFile), []byte(`{"ociVersion":"marker"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := got.save(root); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, specFile)); string(b) != `{"ociVersion":"marker"}` {
		t.Errorf("an unchanged spec was written again: %s", b)
	}
	got.Spec.Hostname = "changed"
	got.MarkSpecChanged()
	if err := got.save(root); err != nil {
		t.Fatal(err)
	}
	again, err := LoadState(root, "c")
	if err != nil {
		t.Fatal(err)
	}
	if again.Spec.Hostname != "changed" {
		t.Errorf("changed spec not saved: hostname %q", again.Spec.Hostname)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("state dir holds %v, want state.json and spec.json only", ents)
	}
}

// A dir of an earlier rt (the spec inside state.json) loads with its spec,
// is listed without decoding it, and is written back with the spec still
// in state.json and no spec.json, so that the earlier rt reads it still.
func TestStateEmbeddedSpecKeptInPlace(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "old")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	in := `{"ociVersion":"1.3.0","id":"old","status":"running","pid":0,"bundle":"/b","initStartTime":1,` +
		`"rootfs":"/b/rootfs","created":"2026-12-02T18:25:21.138850082Z","owner":"root",` +
		`"spec":{"ociVersion":"1.3.0","hostname":"h","process":{"cwd":"/","args":["sh"]}}}`
	if err := os.WriteFile(filepath.Join(dir, stateFile), []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := LoadState(root, "old")
	if err != nil {
		t.Fatal(err)
	}
	if s.Spec == nil || s.Spec.Hostname != "h" || s.Spec.Process.Args[0] != "sh" {
		t.Fatalf("embedded spec = %+v", s.Spec)
	}
	list, err := List(root)
	if err != nil || len(list) != 1 || list[0].Spec != nil || list[0].Rootfs != "/b/rootfs" {
		t.Fatalf("List = %+v, %v", list, err)
	}
	s.Spec.Hostname = "h2"
	s.MarkSpecChanged()
	if err := s.save(root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, specFile)); !os.IsNotExist(err) {
		t.Errorf("an old dir got a %s: %v", specFile, err)
	}
	var old struct {
		ID   string      `json:"id"`
		Spec *specs.Spec `json:"spec"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, stateFile))
	if err := json.Unmarshal(b, &old); err != nil || old.ID != "old" || old.Spec == nil || old.Spec.Hostname != "h2" {
		t.Errorf("written back: %s (%v)", b, err)
	}
}
