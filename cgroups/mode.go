package cgroups

import (
	"sync"

	"golang.org/x/sys/unix"
)

// CgroupMode is the host's cgroup layout.
type CgroupMode int

const (
	// Legacy is cgroup v1 only.
	Legacy CgroupMode = iota
	// Hybrid is cgroup v1 plus a cgroup2 mount at /sys/fs/cgroup/unified.
	Hybrid
	// Unified is cgroup v2 only, mounted at /sys/fs/cgroup.
	Unified
)

func (m CgroupMode) String() string {
	switch m {
	case Legacy:
		return "legacy"
	case Hybrid:
		return "hybrid"
	case Unified:
		return "unified"
	}
	return "unknown"
}

const (
	cgroupRoot  = "/sys/fs/cgroup"
	unifiedRoot = "/sys/fs/cgroup/unified"
)

var (
	modeOnce sync.Once
	mode     CgroupMode
)

// Mode reports the host layout, detected once from the filesystem types
// of /sys/fs/cgroup and /sys/fs/cgroup/unified.
func Mode() CgroupMode {
	modeOnce.Do(func() {
		mode = detectMode(isCgroup2)
	})
	return mode
}

func detectMode(isV2 func(string) bool) CgroupMode {
	switch {
	case isV2(cgroupRoot):
		return Unified
	case isV2(unifiedRoot):
		return Hybrid
	default:
		return Legacy
	}
}

func isCgroup2(path string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return false
	}
	return st.Type == unix.CGROUP2_SUPER_MAGIC
}
