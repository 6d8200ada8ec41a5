package fs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestDenied(t *testing.T) {
	for _, err := range []error{os.ErrPermission, unix.EACCES, unix.EPERM, unix.EROFS,
		fmt.Errorf("mkdir /sys/fs/cgroup/memory/x: %w", &os.PathError{Op: "mkdir", Err: unix.EACCES})} {
		if !Denied(err) {
			t.Errorf("Denied(%v) = false", err)
		}
	}
	for _, err := range []error{unix.ENOENT, unix.EBUSY, unix.EINVAL} {
		if Denied(err) {
			t.Errorf("Denied(%v) = true", err)
		}
	}
}

// A rootless manager drops the hierarchy it was denied, records that, and
// refuses a limit there in runc's words; device rules are never an error.
func TestSkipDenied(t *testing.T) {
	root := t.TempDir()
	mem, pids := filepath.Join(root, "memory", "c"), filepath.Join(root, "pids", "c")
	m := New(map[string]string{"memory": mem, "pids": pids, "devices": filepath.Join(root, "devices", "c")})
	if m.skip(mem, unix.EACCES) {
		t.Fatal("skip without SkipDenied")
	}
	m.Rootless, m.SkipDenied = true, true
	if m.skip(pids, unix.ENOENT) {
		t.Fatal("skip of an error that is not a denial")
	}
	if !m.skip(mem, unix.EACCES) {
		t.Fatal("denied hierarchy not skipped")
	}
	if m.Has("memory") || !m.Has("pids") {
		t.Fatalf("paths after skip: %v", m.Paths())
	}
	limit := int64(1 << 20)
	err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}})
	if err == nil || !strings.Contains(err.Error(), "cannot set memory limit: container could not join or create cgroup") ||
		!errors.Is(err, unix.EACCES) {
		t.Errorf("memory limit on a skipped hierarchy: %v (want runc's words, wrapping the denial)", err)
	}
	// The devices dir does not even exist: its rules are still no error.
	if err := m.Set(&specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}}); err != nil {
		t.Errorf("rootless device rules: %v", err)
	}
	m.Rootless = false
	if err := m.Set(&specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}}); err == nil {
		t.Error("device rules into a missing dir accepted without rootless")
	}
}

func TestWanted(t *testing.T) {
	limit := int64(10)
	if w := Wanted(&specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Access: "rwm"}}}); w != "" {
		t.Errorf("devices only: %q", w)
	}
	if w := Wanted(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}, Memory: &specs.LinuxMemory{Limit: &limit}}); w != "memory" {
		t.Errorf("memory and pids: %q, want memory (Set's order)", w)
	}
	if w := Wanted(nil); w != "" {
		t.Errorf("nil: %q", w)
	}
}
