package libcontainer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rt-runtime/rt/cgroups"
	"github.com/rt-runtime/rt/internal/smallfile"
)

const (
	stateFile = "state.json"
	// specFile holds the container's spec beside state.json, read only by
	// the commands that need it (see LoadState): list and state read the
	// small state.json alone.
	specFile = "spec.json"
	fifoName = "exec.fifo"
	// resultFifoName carries what became of the start: see Start.
	resultFifoName = "exec.result"
)

// Status values beyond the OCI ones.
const StatusPaused = "paused"

// State is what <root>/<id>/state.json holds: the OCI state plus what later
// commands need.
type State struct {
	specs.State
	// InitStart is field 22 of /proc/<pid>/stat when the init started:
	// a pid with another start time is another process.
	InitStart   uint64        `json:"initStartTime"`
	Rootfs      string        `json:"rootfs"`
	Created     time.Time     `json:"created"`
	Owner       string        `json:"owner"`
	NoPivot     bool          `json:"noPivot,omitempty"`
	CgroupPaths cgroups.Paths `json:"cgroupPaths,omitzero"`
	// SystemdUnit is the container's unit under --systemd-cgroup.
	SystemdUnit string `json:"systemdUnit,omitempty"`
	// Rootless: made in rootless cgroup mode (CreateOpts.Rootless).
	Rootless bool `json:"rootless,omitempty"`
	// Spec is the container's spec, in spec.json; nil when the state was
	// loaded without it (LoadStatus, List). State dirs of rt before
	// spec.json hold it in state.json under "spec" (specEmbedded), and
	// are written back so, for an rt of that time to read them still.
	Spec *specs.Spec `json:"-"`
	// NotifySocket is the caller's NOTIFY_SOCKET that rt start forwards to.
	NotifySocket string `json:"notifySocket,omitempty"`

	specEmbedded bool // the dir's spec is state.json's "spec"
	// specOnDisk: spec.json holds Spec as it is; MarkSpecChanged clears it.
	specOnDisk bool
	noSpec     bool // loaded without the spec: must not be saved
}

// MarkSpecChanged says Spec was changed in memory (update's resources):
// the next save writes spec.json again.
func (s *State) MarkSpecChanged() { s.specOnDisk = false }

var idRegexp = regexp.MustCompile(`^[A-Za-z0-9_+.-]+$`)

// ValidateID checks a container id as runc does.
func ValidateID(id string) error {
	if id == "" || id == "." || id == ".." || !idRegexp.MatchString(id) || len(id) > 1024 {
		return fmt.Errorf("invalid container id %q: must be [A-Za-z0-9_+.-], not \".\" or \"..\"", id)
	}
	return nil
}

// Reported is the OCI state as rt state and rt list print it: a stopped
// container's pid reads 0, as runc's does (the pid may be another
// process's by now).
func (s *State) Reported() specs.State {
	st := s.State
	if st.Status == specs.StateStopped {
		st.Pid = 0
	}
	return st
}

func stateDir(root, id string) string { return filepath.Join(root, id) }

// LoadState reads a container's state with its spec (spec.json, or the
// spec in state.json of a dir made by an earlier rt).
func LoadState(root, id string) (*State, error) {
	s, b, err := loadStateFile(root, id)
	if err != nil {
		return nil, err
	}
	sb, err := os.ReadFile(filepath.Join(stateDir(root, id), specFile))
	switch {
	case err == nil:
		var spec specs.Spec
		if err := json.Unmarshal(sb, &spec); err != nil {
			return nil, fmt.Errorf("decode spec of %q: %w", id, err)
		}
		s.Spec, s.specOnDisk = &spec, true
	case os.IsNotExist(err):
		var old struct {
			Spec *specs.Spec `json:"spec"`
		}
		if err := json.Unmarshal(b, &old); err != nil {
			return nil, fmt.Errorf("decode state of %q: %w", id, err)
		}
		// A state saved without a spec (none in memory) has neither.
		s.Spec, s.specEmbedded = old.Spec, old.Spec != nil
	default:
		return nil, fmt.Errorf("read spec of %q: %w", id, err)
	}
	return s, nil
}

// LoadStatus reads a container's state without its spec and refreshes its
// status: all that `state` and `list` print. The result cannot be saved.
func LoadStatus(root, id string) (*State, error) {
	s, _, err := loadStateFile(root, id)
	if err != nil {
		return nil, err
	}
	s.noSpec = true
	s.Refresh(root)
	return s, nil
}

// loadStateFile reads and decodes state.json alone (a "spec" in it, from
// an earlier rt, is skipped: Spec is not decoded from state.json), and
// returns its bytes too.
func loadStateFile(root, id string) (*State, []byte, error) {
	if err := ValidateID(id); err != nil {
		return nil, nil, err
	}
	b, err := smallfile.Read(filepath.Join(stateDir(root, id), stateFile))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil, &IDError{ID: id, Err: ErrNotExist}
		}
		return nil, nil, fmt.Errorf("read state of %q: %w", id, err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, nil, fmt.Errorf("decode state of %q: %w", id, err)
	}
	return &s, b, nil
}

// save writes the state: spec.json first when it does not hold Spec yet
// (so a state.json never names a spec that is not there), then
// state.json, each atomically (a temp file in the same dir, then rename).
// A dir of an earlier rt keeps its spec in state.json.
func (s *State) save(root string) error {
	if s.noSpec {
		return fmt.Errorf("write state of %q: it was loaded without its spec", s.ID)
	}
	dir := stateDir(root, s.ID)
	var b []byte
	var err error
	if s.specEmbedded {
		type plain State // without the methods, so no recursion
		b, err = json.Marshal(struct {
			*plain
			Spec *specs.Spec `json:"spec"`
		}{(*plain)(s), s.Spec})
	} else {
		if s.Spec != nil && !s.specOnDisk {
			sb, err := json.Marshal(s.Spec)
			if err != nil {
				return fmt.Errorf("encode spec: %w", err)
			}
			if err := writeAtomic(dir, specFile, sb); err != nil {
				return fmt.Errorf("write spec: %w", err)
			}
			s.specOnDisk = true
		}
		b, err = json.Marshal(s)
	}
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	if err := writeAtomic(dir, stateFile, b); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// writeAtomic writes dir/name through a temp file in dir and a rename.
func writeAtomic(dir, name string, b []byte) error {
	tmp, err := os.CreateTemp(dir, "."+name+"-")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// processStartTime reads field 22 (starttime) of /proc/<pid>/stat and
// whether the process is a zombie or dead.
func processStartTime(pid int) (start uint64, zombie bool, err error) {
	b, err := smallfile.Read("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false, err
	}
	// comm may hold spaces and parens: fields start after the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0, false, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	return start, f[0] == "Z" || f[0] == "X", err
}

// initAlive says whether the recorded init is still the same, live process.
func (s *State) initAlive() bool {
	if s.Pid <= 0 {
		return false
	}
	start, zombie, err := processStartTime(s.Pid)
	return err == nil && !zombie && start == s.InitStart
}

// Refresh computes the current status from the processes and files, not
// from what was last written. A frozen cgroup reads as paused whether the
// init has been started or not, as in runc (which pauses a created
// container; resume makes it created again).
func (s *State) Refresh(root string) {
	switch {
	case !s.initAlive():
		s.Status = specs.StateStopped
	case s.paused():
		s.Status = StatusPaused
	case fileExists(filepath.Join(stateDir(root, s.ID), fifoName)):
		s.Status = specs.StateCreated
	default:
		s.Status = specs.StateRunning
	}
}

// paused says whether the container's cgroup is frozen or freezing; a
// cgroup that cannot be read is not.
func (s *State) paused() bool {
	cg, err := cgroups.Load(s.CgroupPaths)
	return err == nil && frozen(cg)
}

func frozen(cg cgroups.Manager) bool {
	f, err := cg.Frozen()
	return err == nil && f
}

func fileExists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// lockDir takes an exclusive flock on the container's dir; mutating
// commands hold it for their whole run.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(dir, os.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return f, nil
}

// List returns the states of every container under root, without their
// specs (LoadStatus).
func List(root string) ([]*State, error) {
	// A root that does not exist is an error, as in runc (a mistyped
	// --root must not read as "no containers"), and is not created.
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var out []*State
	for _, e := range ents {
		if !e.IsDir() || ValidateID(e.Name()) != nil {
			continue
		}
		s, err := LoadStatus(root, e.Name())
		if err != nil {
			continue // being created or deleted
		}
		out = append(out, s)
	}
	return out, nil
}
