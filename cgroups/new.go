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
func newFor(mode CgroupMode, layout *hier.Layout, self map[string]string, cgroupsPath, id string) (Manager, error) {
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
		return fs2.New(root, hier.Dir(m, self[""], p), true)
	case Legacy, Hybrid:
		paths := v1Paths(layout, self, p)
		if len(paths) == 0 {
			return nil, fmt.Errorf("cgroup: no cgroup v1 hierarchy is mounted")
		}
		v1 := fs.New(paths)
		if mode == Legacy || layout.Unified == nil {
			return v1, nil
		}
		u := *layout.Unified
		v2, err := fs2.New(u.Mountpoint, hier.Dir(u, self[""], p), false)
		if err != nil {
			return nil, err
		}
		return &hybrid{v1: v1, v2: v2}, nil
	}
	return nil, fmt.Errorf("cgroup: unknown mode %v", mode)
}

// v1Paths gives every mounted v1 subsystem its dir for the cleaned path.
func v1Paths(layout *hier.Layout, self map[string]string, p string) map[string]string {
	paths := make(map[string]string)
	for subsys, m := range layout.V1 {
		if p != "" && !path.IsAbs(p) {
			if _, ok := self[subsys]; !ok {
				continue // rt is not in this hierarchy: nothing to be relative to
			}
		}
		paths[subsys] = hier.Dir(m, self[subsys], p)
	}
	return paths
}

// Load rebuilds a Manager from the Paths() a previous command saved in
// state.json: v2 has only the "" key, v1 only controller keys, hybrid both.
func Load(paths map[string]string) (Manager, error) {
	m, err := load(paths)
	if err != nil {
		return nil, err
	}
	return zeroIsUnset{m}, nil
}

func load(paths map[string]string) (Manager, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("cgroup: no cgroup paths saved")
	}
	v2dir, hasV2 := paths[""]
	v1 := make(map[string]string)
	for k, v := range paths {
		if k != "" {
			v1[k] = v
		}
	}
	switch {
	case hasV2 && len(v1) == 0:
		return fs2.New(rootOf(v2dir), v2dir, true)
	case hasV2:
		v2, err := fs2.New(rootOf(v2dir), v2dir, false)
		if err != nil {
			return nil, err
		}
		return &hybrid{v1: fs.New(v1), v2: v2}, nil
	default:
		return fs.New(v1), nil
	}
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
	_ Manager = (*fs.Manager)(nil)
	_ Manager = (*fs2.Manager)(nil)
	_ Manager = (*hybrid)(nil)
)
