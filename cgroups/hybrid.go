package cgroups

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rt-runtime/rt/cgroups/fs"
	"github.com/rt-runtime/rt/cgroups/fs2"
)

// hybrid drives the v1 hierarchies for every controller and the cgroup2
// mount at /sys/fs/cgroup/unified only for what v2 alone holds: the
// process is placed there too (so cgroup-v2-aware tools and eBPF see it),
// hugetlb is limited there when v1 has no hugetlb hierarchy, and the
// unified key/values are written there.
type hybrid struct {
	v1 *fs.Manager
	v2 *fs2.Manager
}

func (h *hybrid) Apply(pid int) error {
	if err := h.v1.Apply(pid); err != nil {
		return err
	}
	return h.v2.Apply(pid)
}

func (h *hybrid) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	// runc refuses unified key/values on a hybrid host too: the
	// controllers they name are v1's there.
	if len(r.Unified) > 0 {
		return errors.New("invalid configuration: cannot use unified on cgroup v1")
	}
	v1 := *r
	v1.Unified = nil
	var huge []specs.LinuxHugepageLimit
	if !h.v1.Has("hugetlb") {
		huge, v1.HugepageLimits = r.HugepageLimits, nil
	}
	if err := h.v1.Set(&v1); err != nil {
		return err
	}
	if err := h.v2.SetHugetlb(huge); err != nil {
		return err
	}
	return nil
}

// Freeze uses the v1 freezer, or cgroup.freeze when no freezer is mounted
// (every non-root cgroup2 dir has it, whatever controllers are enabled).
func (h *hybrid) Freeze() error {
	if h.v1.Has("freezer") {
		return h.v1.Freeze()
	}
	return h.v2.Freeze()
}

func (h *hybrid) Thaw() error {
	if h.v1.Has("freezer") {
		return h.v1.Thaw()
	}
	return h.v2.Thaw()
}

// Frozen asks the freezer that Freeze uses.
func (h *hybrid) Frozen() (bool, error) {
	if h.v1.Has("freezer") {
		return h.v1.Frozen()
	}
	return h.v2.Frozen()
}

func (h *hybrid) JoinProcs(pid int) error {
	if err := h.v1.JoinProcs(pid); err != nil {
		return err
	}
	return h.v2.JoinProcs(pid)
}

func (h *hybrid) Pids() ([]int, error) { return h.v1.Pids() }

func (h *hybrid) Stats() (*Stats, error) {
	s, err := h.v1.Stats()
	if err != nil {
		return nil, err
	}
	if !h.v1.Has("hugetlb") {
		if err := h.v2.HugetlbStats(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (h *hybrid) Destroy() error {
	return errors.Join(h.v1.Destroy(), h.v2.Destroy())
}

func (h *hybrid) Paths() Paths {
	p := Paths{V1: h.v1.Paths(), V2: h.v2.Dir}
	if h.v2.Skipped {
		p.V2 = ""
	}
	return p
}
