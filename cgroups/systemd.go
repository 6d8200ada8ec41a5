package cgroups

import (
	"errors"
	"fmt"
	"path"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rt-runtime/rt/cgroups/internal/hier"
	"github.com/rt-runtime/rt/cgroups/systemd"
)

// SystemdConfig is what the systemd driver needs to place a new container.
type SystemdConfig struct {
	// CgroupsPath is spec.Linux.CgroupsPath: "slice:prefix:name", or ""
	// for "system.slice:rt:<ID>".
	CgroupsPath string
	ID          string
	// Resources are the unit's properties at start (Set adds the rest).
	Resources *specs.LinuxResources
	// Annotations may set unit properties (org.systemd.property.*).
	Annotations map[string]string
	// Rootless puts the unit under the calling user's own systemd (the
	// user bus) instead of the system's, as runc does for a rootless
	// container: cgroup v2 only, the default slice user.slice, the
	// unit's cgroup under the user manager's (which delegates it).
	Rootless bool
}

// errRootlessV1 is runc's refusal of the user's systemd on a host without
// the unified hierarchy (a user manager delegates nothing on v1).
var errRootlessV1 = errors.New("cannot use rootless systemd cgroups manager on cgroup v1")

// NewSystemd is the systemd driver (--systemd-cgroup): Apply starts a
// transient unit holding the pid, and the unit's cgroup dirs are driven by
// the file drivers of the host's mode. It touches nothing until Apply,
// and refuses a host whose init is not systemd.
func NewSystemd(c SystemdConfig) (Manager, error) {
	if !systemd.IsRunning() {
		return nil, systemd.ErrNotRunning
	}
	bus, slice := systemd.SystemBus, systemd.DefaultSlice
	if c.Rootless {
		if Mode() != Unified {
			return nil, errRootlessV1
		}
		bus, slice = systemd.UserBus, systemd.DefaultUserSlice
	}
	u, err := systemd.ParseCgroupsPathIn(c.CgroupsPath, c.ID, slice)
	if err != nil {
		return nil, err
	}
	extra, err := systemd.AnnotationProps(c.Annotations)
	if err != nil {
		return nil, err
	}
	sm := systemd.New(u, nil, dropZeros(c.Resources), extra, Mode() == Unified, bus)
	// A user manager's units live in its own cgroup (runc asks it the
	// same way, before anything is made).
	base, err := sm.ManagerCgroup()
	if err != nil {
		sm.Close()
		return nil, err
	}
	files, err := systemdFiles(path.Join(base, u.Path()), c.Rootless)
	if err != nil {
		sm.Close()
		return nil, err
	}
	sm.SetFiles(files)
	return zeroIsUnset{unitManager{sm, files}}, nil
}

// LoadSystemd rebuilds the manager of a unit started by NewSystemd from
// the unit name and the Paths() that state.json kept.
// A unit of the user's systemd (user) is driven through the user bus, its
// files as a rootless container's.
func LoadSystemd(unit string, user bool, paths Paths) (Manager, error) {
	files, err := load(paths)
	if err != nil {
		return nil, err
	}
	bus := systemd.SystemBus
	if user {
		bus = systemd.UserBus
		setRootless(files)
	}
	return zeroIsUnset{unitManager{systemd.Load(unit, files, Mode() == Unified, bus), files}}, nil
}

// unitManager is a systemd unit's Manager: package systemd does what
// involves the unit, the file driver of its cgroup the rest (package
// systemd cannot name this package's Paths).
type unitManager struct {
	*systemd.Manager
	files Manager
}

func (m unitManager) Paths() Paths            { return m.files.Paths() }
func (m unitManager) Frozen() (bool, error)   { return m.files.Frozen() }
func (m unitManager) JoinProcs(pid int) error { return m.files.JoinProcs(pid) }

// UnitName is the systemd unit of a manager from NewSystemd/LoadSystemd,
// or "" for the fs driver's.
func UnitName(m Manager) string {
	if z, ok := m.(zeroIsUnset); ok {
		m = z.Manager
	}
	if u, ok := m.(unitManager); ok {
		return u.UnitName()
	}
	return ""
}

// UserUnit says whether m's unit belongs to the user's systemd.
func UserUnit(m Manager) bool {
	if z, ok := m.(zeroIsUnset); ok {
		m = z.Manager
	}
	u, ok := m.(unitManager)
	return ok && u.Bus() == systemd.UserBus
}

// systemdFiles is the file driver for the unit's cgroup path, taken from
// each hierarchy's root as systemd lays units out; rootless, it loads no
// device program (which takes privileges a user lacks).
func systemdFiles(p string, rootless bool) (Manager, error) {
	layout, err := hier.Host()
	if err != nil {
		return nil, err
	}
	m, err := newFor(Mode(), layout, hier.Own{}, p, "")
	if err != nil {
		return nil, fmt.Errorf("systemd unit cgroup %s: %w", p, err)
	}
	if rootless {
		setRootless(m)
	}
	return m, nil
}

// setRootless turns on rootless mode in a v2 file driver (the only one a
// user's unit has).
func setRootless(m Manager) {
	if d, ok := m.(v2Manager); ok {
		d.Rootless = true
	}
}

var _ Manager = unitManager{}
