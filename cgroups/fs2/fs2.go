// Package fs2 drives cgroup v2: one directory in the unified hierarchy,
// controllers enabled in the ancestors' cgroup.subtree_control, devices
// governed by an eBPF program.
//
// The mount point is a field (Root) so tests can point the manager at a
// fake tree of plain files.
package fs2

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rt-runtime/rt/cgroups/internal/cgfile"
)

// DefaultRoot is where the unified hierarchy is mounted on a v2 host.
const DefaultRoot = "/sys/fs/cgroup"

// Manager is a container's v2 cgroup.
type Manager struct {
	// Root is the mount point of the unified hierarchy.
	Root string
	// Dir is the container's cgroup dir, inside Root.
	Dir string
	// EnableAll makes Apply enable every available controller in each
	// ancestor's subtree_control, as a v2 host needs. The hybrid layout
	// leaves it off: there the cgroup2 mount holds only what v1 lacks.
	EnableAll bool
	// created is what Apply made, outermost first.
	created []string
	// Rootless is runc's rootless cgroup mode: device rules are not
	// enforced (loading the eBPF program needs privileges the user
	// lacks), and with SkipDenied a cgroup the user may not create or
	// join is left out.
	Rootless, SkipDenied bool
	// Skipped: Apply left the cgroup out (see SkipDenied), for SkipErr.
	Skipped bool
	SkipErr error
}

// New returns a manager for dir inside the hierarchy mounted at root.
func New(root, dir string, enableAll bool) (*Manager, error) {
	root, dir = filepath.Clean(root), filepath.Clean(dir)
	rel, err := filepath.Rel(root, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, fmt.Errorf("cgroup dir %s is not inside the cgroup2 mount %s", dir, root)
	}
	return &Manager{Root: root, Dir: dir, EnableAll: enableAll}, nil
}

// Apply creates the dir, enables controllers above it and moves pid in
// (a pid <= 0 only creates). An existing dir is joined.
func (m *Manager) Apply(pid int) error {
	if m.Skipped {
		return nil
	}
	err := m.apply(pid)
	if err != nil && m.SkipDenied && denied(err) {
		for i := len(m.created) - 1; i >= 0; i-- {
			if removed, _ := cgfile.RemoveEmpty(m.created[i]); !removed {
				break
			}
		}
		m.created = nil
		m.Skipped, m.SkipErr = true, err
		return nil
	}
	return err
}

// denied says whether err is what the kernel answers a user who may not
// write a cgroup.
func denied(err error) bool {
	return errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EROFS)
}

func (m *Manager) apply(pid int) error {
	if m.EnableAll {
		// Enable down to the parent first: the kernel creates a child's
		// interface files from the parent's subtree_control.
		if err := m.EnableControllers(nil); err != nil {
			return err
		}
	}
	made, err := cgfile.MkdirAll(m.Dir)
	if len(made) > 0 {
		m.created = made
	}
	if err != nil {
		return err
	}
	if m.EnableAll && len(made) > 1 {
		// Parents made just now need their subtree_control too.
		if err := m.EnableControllers(nil); err != nil {
			return err
		}
	}
	if pid <= 0 {
		return nil
	}
	return m.JoinProcs(pid)
}

// JoinProcs moves pid into the dir (cgroup.procs), which must exist; it
// enables no controller.
func (m *Manager) JoinProcs(pid int) error {
	if m.Skipped {
		return nil
	}
	return cgfile.Write(m.Dir, "cgroup.procs", strconv.Itoa(pid))
}

// ancestors lists Root and every dir between it and Dir's parent.
func (m *Manager) ancestors() []string {
	rel, _ := filepath.Rel(m.Root, m.Dir)
	out := []string{m.Root}
	if rel == "." {
		return nil
	}
	d := m.Root
	parts := strings.Split(rel, "/")
	for _, p := range parts[:len(parts)-1] {
		d = filepath.Join(d, p)
		out = append(out, d)
	}
	return out
}

// EnableControllers writes "+name" into the subtree_control of Root and of
// every existing ancestor of Dir, for want (nil: every controller each
// level offers). With want nil a controller the kernel refuses at some
// level (a level with its own processes) is skipped; an explicit want
// returns the error.
func (m *Manager) EnableControllers(want []string) error {
	for _, d := range m.ancestors() {
		if !cgfile.Exists(d, "cgroup.controllers") {
			break // not made yet; Apply calls again after mkdir
		}
		avail, err := cgfile.Read(d, "cgroup.controllers")
		if err != nil {
			return err
		}
		enabled, err := cgfile.Read(d, "cgroup.subtree_control")
		if err != nil {
			return err
		}
		on := strings.Fields(enabled)
		for _, c := range strings.Fields(avail) {
			if want != nil && !contains(want, c) || contains(on, c) {
				continue
			}
			if err := cgfile.Write(d, "cgroup.subtree_control", "+"+c); err != nil && want != nil {
				return err
			}
		}
		for _, w := range want {
			if !contains(strings.Fields(avail), w) {
				return fmt.Errorf("cgroup v2 controller %s is not available in %s", w, d)
			}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

// Pids lists the pids of the cgroup and its descendants.
func (m *Manager) Pids() ([]int, error) {
	if m.Skipped {
		return nil, nil // not the container's: left out (SkipDenied)
	}
	return cgfile.ReadProcsRecursive(m.Dir)
}

// Destroy removes the dir with nested cgroups, then the empty parents
// Apply made. A missing dir is not an error.
func (m *Manager) Destroy() error {
	if m.Skipped {
		return nil
	}
	if err := cgfile.RemoveTree(m.Dir); err != nil {
		return err
	}
	for i := len(m.created) - 1; i >= 0; i-- {
		if m.created[i] == m.Dir {
			continue
		}
		removed, err := cgfile.RemoveEmpty(m.created[i])
		if err != nil {
			return err
		}
		if !removed {
			break
		}
	}
	m.created = nil
	return nil
}

// freezeTimeout bounds the wait for cgroup.events to report the new state.
const freezeTimeout = 5 * time.Second

// Freeze writes cgroup.freeze and waits for "frozen 1" in cgroup.events.
func (m *Manager) Freeze() error { return m.setFrozen(true) }

// Thaw writes cgroup.freeze 0 and waits for "frozen 0".
func (m *Manager) Thaw() error { return m.setFrozen(false) }

// Frozen reports whether cgroup.freeze asks for the cgroup to be frozen
// (cgroup.events may still be on the way there).
func (m *Manager) Frozen() (bool, error) {
	if m.Skipped {
		return false, nil
	}
	v, err := cgfile.Read(m.Dir, "cgroup.freeze")
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(v) == "1", nil
}

func (m *Manager) setFrozen(frozen bool) error {
	want := "0"
	if frozen {
		want = "1"
	}
	if err := cgfile.Write(m.Dir, "cgroup.freeze", want); err != nil {
		return err
	}
	deadline := time.Now().Add(freezeTimeout)
	for {
		ev, err := cgfile.ReadKeyValues(m.Dir, "cgroup.events")
		if err != nil {
			return err
		}
		if strconv.FormatUint(ev["frozen"], 10) == want {
			return nil
		}
		if time.Now().After(deadline) {
			err := fmt.Errorf("%s: cgroup.events still reads frozen %d after %v", m.Dir, ev["frozen"], freezeTimeout)
			if frozen {
				err = errors.Join(err, cgfile.Write(m.Dir, "cgroup.freeze", "0"))
			}
			return err
		}
		time.Sleep(time.Millisecond)
	}
}
