package libcontainer

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rt-runtime/rt/cgroups"
)

// newCgroup picks the cgroup driver of a new container: systemd's
// (--systemd-cgroup; in rootless mode the user's own systemd, over the
// user bus) or rt's own over the cgroup filesystem.
func newCgroup(o CreateOpts, spec *specs.Spec) (cgroups.Manager, error) {
	if o.SystemdCgroup {
		r := withDefaultDevices(spec)
		r.Pids = nil // as in the first Set: the limit comes once the init is ready
		return cgroups.NewSystemd(cgroups.SystemdConfig{
			CgroupsPath: spec.Linux.CgroupsPath, ID: o.ID,
			Resources: r, Annotations: spec.Annotations, Rootless: o.Rootless,
		})
	}
	if o.Rootless {
		return cgroups.NewRootless(spec.Linux.CgroupsPath, o.ID)
	}
	return cgroups.New(spec.Linux.CgroupsPath, o.ID)
}

// loadCgroup rebuilds the manager from what the state recorded: a
// container made with --systemd-cgroup keeps its unit's name, and later
// commands use systemd for it whatever their own flags say: the user's
// systemd for a unit made in rootless mode (userBus).
func loadCgroup(unit string, userBus bool, paths cgroups.Paths) (cgroups.Manager, error) {
	if unit != "" {
		return cgroups.LoadSystemd(unit, userBus, paths)
	}
	if paths.IsZero() {
		// A rootless container that could join no cgroup at all.
		return cgroups.None(), nil
	}
	return cgroups.Load(paths)
}
