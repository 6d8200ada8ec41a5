package cgroups

import (
	"fmt"

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
}

// NewSystemd is the systemd driver (--systemd-cgroup): Apply starts a
// transient unit holding the pid, and the unit's cgroup dirs are driven by
// the file drivers of the host's mode. It touches nothing until Apply,
// and refuses a host whose init is not systemd.
func NewSystemd(c SystemdConfig) (Manager, error) {
	if !systemd.IsRunning() {
		return nil, systemd.ErrNotRunning
	}
	u, err := systemd.ParseCgroupsPath(c.CgroupsPath, c.ID)
	if err != nil {
		return nil, err
	}
	extra, err := systemd.AnnotationProps(c.Annotations)
	if err != nil {
		return nil, err
	}
	files, err := systemdFiles(u.Path())
	if err != nil {
		return nil, err
	}
	return zeroIsUnset{unitManager{systemd.New(u, files, dropZeros(c.Resources), extra, Mode() == Unified), files}}, nil
}

// LoadSystemd rebuilds the manager of a unit started by NewSystemd from
// the unit name and the Paths() that state.json kept.
func LoadSystemd(unit string, paths Paths) (Manager, error) {
	files, err := load(paths)
	if err != nil {
		return nil, err
	}
	return zeroIsUnset{unitManager{systemd.Load(unit, files, Mode() == Unified), files}}, nil
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

// systemdFiles is the file driver for the unit's cgroup path, taken from
// each hierarchy's root as systemd lays units out.
func systemdFiles(p string) (Manager, error) {
	layout, err := hier.Host()
	if err != nil {
		return nil, err
	}
	m, err := newFor(Mode(), layout, hier.Own{}, p, "")
	if err != nil {
		return nil, fmt.Errorf("systemd unit cgroup %s: %w", p, err)
	}
	return m, nil
}

var _ Manager = unitManager{}
