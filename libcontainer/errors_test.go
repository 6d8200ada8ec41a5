package libcontainer

import (
	"errors"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The state rules and their words, as /tmp/ref/runc (1.5.3) answers.
func TestAllowed(t *testing.T) {
	const (
		created = specs.StateCreated
		running = specs.StateRunning
		stopped = specs.StateStopped
		paused  = StatusPaused
	)
	for _, tc := range []struct {
		op     string
		force  bool
		status specs.ContainerState
		want   error // nil: allowed
		msg    string
	}{
		{"start", false, created, nil, ""},
		{"start", false, running, ErrRunning, "cannot start an already running container"},
		{"start", false, stopped, ErrNotRunning, "cannot start a container that has stopped"},
		{"start", false, paused, ErrPaused, "cannot start a container in the paused state"},
		{"pause", false, running, nil, ""},
		{"pause", false, created, nil, ""},
		{"pause", false, paused, ErrNotRunning, "container not running"},
		{"pause", false, stopped, ErrNotRunning, "container not running"},
		{"resume", false, paused, nil, ""},
		{"resume", false, running, ErrNotPaused, "container not paused"},
		{"resume", false, created, ErrNotPaused, "container not paused"},
		{"resume", false, stopped, ErrNotPaused, "container not paused"},
		{"delete", false, stopped, nil, ""},
		{"delete", false, created, nil, ""},
		{"delete", false, running, ErrRunning, "cannot delete container c1 that is not stopped: running"},
		{"delete", false, paused, ErrPaused, "cannot delete container c1 that is not stopped: paused"},
		{"delete", true, running, nil, ""},
		{"delete", true, paused, nil, ""},
		{"exec", false, running, nil, ""},
		{"exec", false, created, nil, ""},
		{"exec", false, stopped, ErrNotRunning, "cannot exec in a stopped container"},
		{"exec", false, paused, ErrPaused, "cannot exec in a paused container (use --ignore-paused to override)"},
		{"exec", true, paused, nil, ""},
		{"update", false, paused, nil, ""},
		{"update", false, created, nil, ""},
		{"update", false, stopped, ErrNotRunning, "container not running"},
		{"signal", false, created, nil, ""},
		{"signal", false, stopped, ErrNotRunning, "container not running"},
		{"events", false, running, nil, ""},
		{"events", false, stopped, ErrNotRunning, "container with id c1 is not running"},
	} {
		c := &Container{State: &State{State: specs.State{ID: "c1", Status: tc.status}}}
		err := c.allowed(tc.op, tc.force)
		if tc.want == nil {
			if err != nil {
				t.Errorf("%s (force %v) of a %s container: %v", tc.op, tc.force, tc.status, err)
			}
			continue
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("%s of a %s container: error %v, want %v", tc.op, tc.status, err, tc.want)
			continue
		}
		var se *StateError
		if !errors.As(err, &se) || se.Status != tc.status || se.Op != tc.op {
			t.Errorf("%s of a %s container: %#v is no StateError of it", tc.op, tc.status, err)
		}
		if err.Error() != tc.msg {
			t.Errorf("%s of a %s container: %q, want %q", tc.op, tc.status, err, tc.msg)
		}
	}
	if err := (&Container{State: &State{}}).allowed("frobnicate", false); err == nil {
		t.Error("an unknown operation is allowed")
	}
}

func TestLoadStateNotExist(t *testing.T) {
	_, err := LoadState(t.TempDir(), "nope")
	if !errors.Is(err, ErrNotExist) {
		t.Fatalf("LoadState of a missing id: %v, want ErrNotExist", err)
	}
}

func TestIDError(t *testing.T) {
	err := error(&IDError{ID: "c1", Err: ErrExist})
	if !errors.Is(err, ErrExist) || errors.Is(err, ErrNotExist) || err.Error() != "container with given ID already exists" {
		t.Errorf("%v", err)
	}
	err = &IDError{ID: "c1", Err: ErrNotExist}
	if !errors.Is(err, ErrNotExist) || err.Error() != "container does not exist" {
		t.Errorf("%v", err)
	}
}
