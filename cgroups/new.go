package cgroups

import (
	"fmt"
	"path"

	"github.com/rt-runtime/rt/cgroups/fs"
	"github.com/rt-runtime/rt/cgroups/fs2"
	"github.com/rt-runtime/rt/cgroups/internal/hier"
)

// New resolves where the container's cgroup lives; it touches nothing on
// disk. cgroupsPath is spec.Linux.CgroupsPath ("" means "/<id>", as runc's
// fs driver does). A relative path is relative to rt's own cgroup (from
// /proc/self/cgroup), an absolute one to each hierarchy's root.
func New(cgroupsPath, id string) (Manager, error) {
	layout, err := hier.Host()
	if err != nil {
		return nil, err
	}
	self, err := hier.Self()
	if err != nil {
		return nil, err
	}
	m, err := newFor(Mode(), layout, self, cgroupsPath, id)
	if err != nil {
		return nil, err
	}
	return zeroIsUnset{m}, nil
}

// newFor is New with the host facts passed in, for tests.
func newFor(mode CgroupMode, layout *hier.Layout, self hier.Own, cgroupsPath, id string) (Manager, error) {
	if cgroupsPath == "" {
		if id == "" {
			return nil, fmt.Errorf("cgroup: neither cgroupsPath nor container id given")
		}
		cgroupsPath = "/" + id
	}
	p, err := hier.CleanPath(cgroupsPath)
	if err != nil {
		return nil, err
	}
	switch mode {
	case Unified:
		root := fs2.DefaultRoot
		if layout.Unified != nil {
			root = layout.Unified.Mountpoint
		}
		m := hier.Mount{Mountpoint: root, Root: "/"}
		if layout.Unified != nil {
			m = *layout.Unified
		}
		return newV2(root, hier.Dir(m, self.V2, p), true)
	case Legacy, Hybrid:
		paths := v1Paths(layout, self, p)
		if len(paths) == 0 {
			return nil, fmt.Errorf("cgroup: no cgroup v1 hierarchy is mounted")
		}
		v1 := fs.New(paths)
		if mode == Legacy || layout.Unified == nil {
			return v1Manager{v1}, nil
		}
		u := *layout.Unified
		v2, err := fs2.New(u.Mountpoint, hier.Dir(u, self.V2, p), false)
		if err != nil {
			return nil, err
		}
		return &hybrid{v1: v1, v2: v2}, nil
	}
	return nil, fmt.Errorf("cgroup: unknown mode %v", mode)
}

// v1Paths gives every mounted v1 subsystem its dir for the cleaned path.
func v1Paths(layout *hier.Layout, self hier.Own, p string) map[string]string {
	paths := make(map[string]string)
	for subsys, m := range layout.V1 {
		if p != "" && !path.IsAbs(p) {
			if _, ok := self.V1[subsys]; !ok {
				continue // rt is not in this hierarchy: nothing to be relative to
			}
		}
		paths[subsys] = hier.Dir(m, self.V1[subsys], p)
	}
	return paths
}

// Load rebuilds a Manager from the Paths() a previous command saved in
// state.json: a v2 host has only V2, a v1 host only V1, a hybrid one both.
func Load(paths Paths) (Manager, error) {
	m, err := load(paths)
	if err != nil {
		return nil, err
	}
	return zeroIsUnset{m}, nil
}

func load(p Paths) (Manager, error) {
	switch {
	case p.IsZero():
		return nil, fmt.Errorf("cgroup: no cgroup paths saved")
	case len(p.V1) == 0:
		return newV2(rootOf(p.V2), p.V2, true)
	case p.V2 != "":
		v2, err := fs2.New(rootOf(p.V2), p.V2, false)
		if err != nil {
			return nil, err
		}
		return &hybrid{v1: fs.New(p.V1), v2: v2}, nil
	default:
		return v1Manager{fs.New(p.V1)}, nil
	}
}

func newV2(root, dir string, enableAll bool) (Manager, error) {
	m, err := fs2.New(root, dir, enableAll)
	if err != nil {
		return nil, err
	}
	return v2Manager{m}, nil
}

// v1Manager and v2Manager are the drivers of a v1 and a v2 host; Paths is
// this package's type, which the drivers do not know.
type v1Manager struct{ *fs.Manager }

func (m v1Manager) Paths() Paths { return Paths{V1: m.Manager.Paths()} }

type v2Manager struct{ *fs2.Manager }

func (m v2Manager) Paths() Paths {
	if m.Skipped {
		return Paths{}
	}
	return Paths{V2: m.Dir}
}

// rootOf finds the cgroup2 mount that holds dir, falling back to the
// standard places.
func rootOf(dir string) string {
	if l, err := hier.Host(); err == nil && l.Unified != nil {
		return l.Unified.Mountpoint
	}
	if Mode() == Hybrid {
		return unifiedRoot
	}
	return cgroupRoot
}

var (
	_ Manager = v1Manager{}
	_ Manager = v2Manager{}
	_ Manager = (*hybrid)(nil)
)
