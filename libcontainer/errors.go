package libcontainer

import (
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The sentinel errors of the Container operations. Callers tell the cases
// apart with errors.Is; the texts are runc's, which engines match (the
// containerd shim looks for "container not running" and "does not exist").
var (
	// ErrExist: Create of an id that is taken.
	ErrExist = errors.New("container with given ID already exists")
	// ErrNotExist: an id with no state.
	ErrNotExist = errors.New("container does not exist")
	// ErrNotRunning: the init is gone (status stopped), or pause of a
	// container that is neither running nor created.
	ErrNotRunning = errors.New("container not running")
	// ErrRunning: the operation needs a container that is not running
	// (start of a started one, delete without force).
	ErrRunning = errors.New("container still running")
	// ErrPaused: the operation is refused while the cgroup is frozen.
	ErrPaused = errors.New("container paused")
	// ErrNotPaused: resume of a container that is not paused.
	ErrNotPaused = errors.New("container not paused")
)

// IDError is ErrNotExist or ErrExist for one id: the id is kept for a
// library caller, the text is runc's sentinel text (engines and scripts
// match it) and errors.Is matches the sentinel.
type IDError struct {
	ID  string
	Err error
}

func (e *IDError) Unwrap() error { return e.Err }

func (e *IDError) Error() string {
	switch e.Err {
	case ErrNotExist, ErrExist:
		return e.Err.Error()
	}
	return fmt.Sprintf("container %q: %v", e.ID, e.Err)
}

// StateError is an operation that the container's status does not allow.
// Its text is runc's for that operation and status; errors.Is matches Err.
type StateError struct {
	Op     string // "start", "pause", "resume", "delete", "exec", "update", "signal", "events"
	ID     string
	Status specs.ContainerState
	Err    error // one of the sentinels above
}

func (e *StateError) Unwrap() error { return e.Err }

func (e *StateError) Error() string {
	switch e.Op {
	case "start":
		switch e.Status {
		case specs.StateRunning:
			return "cannot start an already running container"
		case specs.StateStopped:
			return "cannot start a container that has stopped"
		case StatusPaused:
			return "cannot start a container in the paused state"
		}
		return fmt.Sprintf("cannot start a container that is %s", e.Status)
	case "delete":
		return fmt.Sprintf("cannot delete container %s that is not stopped: %s", e.ID, e.Status)
	case "exec":
		if e.Status == StatusPaused {
			return "cannot exec in a paused container (use --ignore-paused to override)"
		}
		return fmt.Sprintf("cannot exec in a %s container", e.Status)
	case "events":
		return fmt.Sprintf("container with id %s is not running", e.ID)
	}
	// pause, resume, update, signal: the sentinel's words, as runc's.
	return e.Err.Error()
}

// stateError is the refusal of op in c's current status.
func (c *Container) stateError(op string, sentinel error) error {
	return &StateError{Op: op, ID: c.State.ID, Status: c.State.Status, Err: sentinel}
}

// allowed checks op against the status (read under the lock by the
// caller) and returns the StateError that refuses it, or nil. These are
// runc 1.5's rules, measured against /tmp/ref/runc:
//
//	start   created only
//	pause   running or created (a frozen created container is "paused")
//	resume  paused only
//	delete  stopped or created; any status with force
//	exec    any but stopped; paused only with ignorePaused
//	update, signal, events  any but stopped
func (c *Container) allowed(op string, force bool) error {
	s := c.State.Status
	var refuse error
	switch op {
	case "start":
		switch s {
		case specs.StateCreated:
		case specs.StateStopped:
			refuse = ErrNotRunning
		case StatusPaused:
			refuse = ErrPaused
		default:
			refuse = ErrRunning
		}
	case "pause":
		if s != specs.StateRunning && s != specs.StateCreated {
			refuse = ErrNotRunning
		}
	case "resume":
		if s != StatusPaused {
			refuse = ErrNotPaused
		}
	case "delete":
		switch {
		case force || s == specs.StateStopped || s == specs.StateCreated:
		case s == StatusPaused:
			refuse = ErrPaused
		default:
			refuse = ErrRunning
		}
	case "exec":
		switch {
		case s == specs.StateStopped:
			refuse = ErrNotRunning
		case s == StatusPaused && !force:
			refuse = ErrPaused
		}
	case "update", "signal", "events":
		if s == specs.StateStopped {
			refuse = ErrNotRunning
		}
	default:
		return fmt.Errorf("unknown operation %q", op)
	}
	if refuse != nil {
		return c.stateError(op, refuse)
	}
	return nil
}
