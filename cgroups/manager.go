// Package cgroups places container processes in control groups and applies
// the resource limits of the OCI spec. Callers hold a Manager and never ask
// which cgroup mode the host runs: v1 (package fs), v2 (package fs2), or the
// hybrid layout (v1 controllers plus a cgroup2 mount at /sys/fs/cgroup/unified).
package cgroups

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rt-runtime/rt/cgroups/stats"
)

// Manager is the one seam between the runtime and the cgroup filesystem.
type Manager interface {
	// Apply creates the container's cgroup(s) (if missing) and moves pid in.
	Apply(pid int) error
	// Set writes the resources to the cgroup files. An error names the file and value.
	Set(r *specs.LinuxResources) error
	// Freeze and Thaw pause and resume every process in the cgroup.
	Freeze() error
	Thaw() error
	// Frozen reports whether the cgroup is frozen or freezing (the
	// state Freeze asked for, before the kernel reports it reached).
	Frozen() (bool, error)
	// JoinProcs moves pid into the cgroup's existing dirs, creating and
	// enabling nothing (Apply does both): for a process that joins a
	// container, or a sub-cgroup of it (see Paths.Sub and Load).
	JoinProcs(pid int) error
	// Pids lists the host pids of every process in the cgroup (recursively).
	Pids() ([]int, error)
	// Stats reads the counters that `rt events --stats` reports.
	Stats() (*Stats, error)
	// Destroy removes the cgroup directories rt made. Processes must be gone.
	Destroy() error
	// Paths is where the cgroup is, what state.json stores.
	Paths() Paths
}

// Stats is one sample of the container's counters, in the JSON layout of
// runc's `events --stats`. The types live in package stats so fs and fs2
// can fill them without importing this package.
type Stats = stats.Stats
