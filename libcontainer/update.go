//lint:file-ignore SA1019 linux.resources.memory.kernel (runc's --kernel-memory) is deprecated in the spec but still accepted, as runc accepts it

package libcontainer

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rt-runtime/rt/cgroups"
)

// Update merges u into the container's resources (mergeResources: a zero
// or absent value leaves the current one), writes the change to its cgroup
// and keeps the merged resources in its state. When a cgroup write fails,
// the fields already written are set back to their old values, as runc's
// Set means to, and the state is left as it was.
func (c *Container) Update(u *specs.LinuxResources) error {
	unlock, err := c.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	if err := c.allowed("update", false); err != nil {
		return err
	}
	spec := c.State.Spec
	if spec == nil {
		return fmt.Errorf("cannot update container %q: its state holds no spec", c.State.ID)
	}
	if spec.Linux == nil {
		spec.Linux = &specs.Linux{}
	}
	if c.log != nil {
		for _, f := range ignoredUpdateFields(u) {
			c.log.Warn("update: this resource is not changed by update (as in runc)", "field", f)
		}
	}
	cg, err := c.cgroup()
	if err != nil {
		return err
	}
	merged, err := c.setResources(cg, spec.Linux.Resources, u)
	if err != nil {
		return fmt.Errorf("update %s: %w", c.State.ID, err)
	}
	spec.Linux.Resources = merged
	c.State.MarkSpecChanged()
	if err := c.SaveState(); err != nil {
		return fmt.Errorf("update %s: cgroup changed but %w", c.State.ID, err)
	}
	return nil
}

// setResources writes the update u of the resources cur to cg and returns
// the merged resources. On a failed write it sets back the old values of
// what the update touched; if that fails too, it warns in runc's words.
func (c *Container) setResources(cg cgroups.Manager, cur, u *specs.LinuxResources) (*specs.LinuxResources, error) {
	merged, delta, err := mergeResources(cur, u)
	if err != nil {
		return nil, err
	}
	if err := cg.Set(delta); err != nil {
		if cgroups.IsNone(cg) {
			// No cgroup at all (rootless): nothing was written to undo.
			return nil, err
		}
		if rerr := cg.Set(previousValues(cur, delta)); rerr != nil && c.log != nil {
			c.log.Warn(fmt.Sprintf("Setting back cgroup configs failed due to error: %v, your state.json and actual configs might be inconsistent.", rerr))
		}
		return nil, err
	}
	return merged, nil
}

// previousValues is what undoes delta over the resources cur: for every
// field delta writes, cur's value. A limit cur does not hold was the
// kernel's default, no limit (-1), for the memory limit and swap, the cpu
// quota and pids; other fields cur does not hold are left out (rt never
// wrote them, and their default is not known here).
func previousValues(cur, delta *specs.LinuxResources) *specs.LinuxResources {
	if cur == nil {
		cur = &specs.LinuxResources{}
	}
	out := &specs.LinuxResources{}
	unlimited := func(p *int64) *int64 {
		if p != nil {
			return p
		}
		v := int64(-1)
		return &v
	}
	if d := delta.Memory; d != nil {
		o := cur.Memory
		if o == nil {
			o = &specs.LinuxMemory{}
		}
		m := &specs.LinuxMemory{}
		if d.Limit != nil {
			m.Limit = unlimited(o.Limit)
		}
		if d.Swap != nil {
			m.Swap = unlimited(o.Swap)
		}
		if d.Reservation != nil {
			m.Reservation = o.Reservation
		}
		if d.Kernel != nil {
			m.Kernel = o.Kernel
		}
		if d.KernelTCP != nil {
			m.KernelTCP = o.KernelTCP
		}
		if d.Swappiness != nil {
			m.Swappiness = o.Swappiness
		}
		out.Memory = m
	}
	if d := delta.CPU; d != nil {
		o := cur.CPU
		if o == nil {
			o = &specs.LinuxCPU{}
		}
		p := &specs.LinuxCPU{}
		if d.Shares != nil {
			p.Shares = o.Shares
		}
		if d.Quota != nil {
			p.Quota = unlimited(o.Quota)
		}
		if d.Period != nil {
			p.Period = o.Period
		}
		if d.RealtimeRuntime != nil {
			p.RealtimeRuntime = o.RealtimeRuntime
		}
		if d.RealtimePeriod != nil {
			p.RealtimePeriod = o.RealtimePeriod
		}
		if d.Burst != nil {
			p.Burst = o.Burst
		}
		if d.Idle != nil {
			p.Idle = o.Idle
		}
		if d.Cpus != "" {
			p.Cpus = o.Cpus
		}
		if d.Mems != "" {
			p.Mems = o.Mems
		}
		out.CPU = p
	}
	if delta.Pids != nil {
		var old *int64
		if cur.Pids != nil {
			old = cur.Pids.Limit
		}
		out.Pids = &specs.LinuxPids{Limit: unlimited(old)}
	}
	if delta.BlockIO != nil && cur.BlockIO != nil && cur.BlockIO.Weight != nil {
		out.BlockIO = &specs.LinuxBlockIO{Weight: cur.BlockIO.Weight}
	}
	for _, h := range delta.HugepageLimits {
		if i := indexPagesize(cur.HugepageLimits, h.Pagesize); i >= 0 {
			out.HugepageLimits = append(out.HugepageLimits, cur.HugepageLimits[i])
		}
	}
	for k := range delta.Unified {
		if v, ok := cur.Unified[k]; ok {
			if out.Unified == nil {
				out.Unified = make(map[string]string)
			}
			out.Unified[k] = v
		}
	}
	return out
}

// ignoredUpdateFields names what u holds that update leaves alone, as
// runc does: containerd's CRI sends the whole linux.resources (devices
// included) on every update.
func ignoredUpdateFields(u *specs.LinuxResources) []string {
	var out []string
	if u == nil {
		return nil
	}
	if len(u.Devices) > 0 {
		out = append(out, "devices")
	}
	if u.Network != nil {
		out = append(out, "network")
	}
	if len(u.Rdma) > 0 {
		out = append(out, "rdma")
	}
	if b := u.BlockIO; b != nil && (b.LeafWeight != nil || len(b.WeightDevice) > 0 ||
		len(b.ThrottleReadBpsDevice) > 0 || len(b.ThrottleWriteBpsDevice) > 0 ||
		len(b.ThrottleReadIOPSDevice) > 0 || len(b.ThrottleWriteIOPSDevice) > 0) {
		out = append(out, "blockIO (all but weight)")
	}
	if m := u.Memory; m != nil && (m.DisableOOMKiller != nil || m.UseHierarchy != nil) {
		out = append(out, "memory.disableOOMKiller/useHierarchy")
	}
	return out
}
