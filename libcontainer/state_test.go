package libcontainer

import (
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestStateSaveLoadRefresh(t *testing.T) {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "c1"), 0o700); err != nil {
		t.Fatal(err)
	}
	start, _, err := processStartTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	s := &State{State: specs.State{Version: specs.Version, ID: "c1", Pid: os.Getpid(), Bundle: "/b"}, InitStart: start}
	if err := s.save(root); err != nil {
		t.Fatal(err)
	}
	// No temp files are left next to state.json.
	ents, _ := os.ReadDir(filepath.Join(root, "c1"))
	if len(ents) != 1 || ents[0].Name() != stateFile {
		t.Fatalf("state dir holds %v", ents)
	}
	got, err := LoadState(root, "c1")
	if err != nil {
		t.Fatal(err)
	}
	got.Refresh(root)
	if got.Status != specs.StateRunning {
		t.Errorf("live pid without fifo: status %q, want running", got.Status)
	}
	if err := os.WriteFile(filepath.Join(root, "c1", fifoName), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	got.Refresh(root)
	if got.Status != specs.StateCreated {
		t.Errorf("live pid with fifo: status %q, want created", got.Status)
	}
	// The same pid with another start time is another process: stopped.
	got.InitStart++
	got.Refresh(root)
	if got.Status != specs.StateStopped {
		t.Errorf("reused pid: status %q, want stopped", got.Status)
	}
	if _, err := LoadState(root, "nope"); err == nil {
		t.Error("LoadState of a missing id: want error")
	}
	if _, err := LoadState(root, "../x"); err == nil {
		t.Error("LoadState of an invalid id: want error")
	}
	list, err := List(root)
	if err != nil || len(list) != 1 || list[0].ID != "c1" {
		t.Fatalf("List = %v, %v", list, err)
	}
}

func TestBuildBootstrap(t *testing.T) {
	s := validSpec()
	s.Linux.Namespaces = append(s.Linux.Namespaces,
		specs.LinuxNamespace{Type: specs.CgroupNamespace},
		specs.LinuxNamespace{Type: specs.UserNamespace})
	s.Linux.Namespaces[2].Path = "/proc/1/ns/net"
	b := buildBootstrap(s)
	for _, want := range []string{"ns 1073741824 /proc/1/ns/net\n", "cgroupns 1\n", "idmap 1\n"} {
		if !contains(b, want) {
			t.Errorf("bootstrap %q lacks %q", b, want)
		}
	}
}

func contains(s, sub string) bool {
	return len(s) >= len(sub) && (s == sub || len(sub) == 0 || indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// TestReported: a stopped container's pid reads 0; a live one's is kept.
func TestReported(t *testing.T) {
	s := &State{State: specs.State{ID: "c1", Pid: 1234, Status: specs.StateStopped}}
	if r := s.Reported(); r.Pid != 0 || r.ID != "c1" {
		t.Fatalf("stopped: %+v", r)
	}
	if s.Pid != 1234 {
		t.Fatal("Reported wrote into the state")
	}
	s.Status = specs.StateRunning
	if r := s.Reported(); r.Pid != 1234 {
		t.Fatalf("running: pid %d", r.Pid)
	}
}
