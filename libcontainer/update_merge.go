//lint:file-ignore SA1019 linux.resources.memory.kernel (runc's --kernel-memory) is deprecated in the spec but still accepted, as runc accepts it

package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// errSwapBelowLimit: a merge would leave memory+swap under the memory
// limit, which neither cgroup version accepts.
var errSwapBelowLimit = errors.New("the memory+swap limit would be below the memory limit")

// mergeResources applies the update u to the container's current
// resources cur (which it does not modify). merged is what the state keeps;
// delta is what Set writes: only the changed fields, plus the partners the
// kernel checks them against (memory with swap, quota with period,
// realtime runtime with period), so devices and the rest are not
// rewritten under a running container.
//
// As in runc, a zero (or absent) value leaves the current one; cpu burst,
// cpu idle and swappiness, where 0 is a real setting, apply when present.
// Setting the memory limit to -1 without a swap limit lifts a swap limit
// too, as runc does.
func mergeResources(cur, u *specs.LinuxResources) (merged, delta *specs.LinuxResources, err error) {
	merged, err = cloneResources(cur)
	if err != nil {
		return nil, nil, err
	}
	delta = &specs.LinuxResources{}
	if u == nil {
		return merged, delta, nil
	}
	if err := mergeMemory(merged, delta, u.Memory); err != nil {
		return nil, nil, err
	}
	mergeCPU(merged, delta, u.CPU)
	// A pids limit of 0 is no "leave as is": it means 1, as in runc.
	if u.Pids != nil && u.Pids.Limit != nil {
		limit := *u.Pids.Limit
		merged.Pids = &specs.LinuxPids{Limit: &limit}
		delta.Pids = &specs.LinuxPids{Limit: &limit}
	}
	if u.BlockIO != nil && u.BlockIO.Weight != nil && *u.BlockIO.Weight != 0 {
		if merged.BlockIO == nil {
			merged.BlockIO = &specs.LinuxBlockIO{}
		}
		w := *u.BlockIO.Weight
		merged.BlockIO.Weight = &w
		delta.BlockIO = &specs.LinuxBlockIO{Weight: &w}
	}
	for _, h := range u.HugepageLimits {
		i := indexPagesize(merged.HugepageLimits, h.Pagesize)
		if i < 0 {
			merged.HugepageLimits = append(merged.HugepageLimits, h)
		} else {
			merged.HugepageLimits[i] = h
		}
		delta.HugepageLimits = append(delta.HugepageLimits, h)
	}
	if len(u.Unified) > 0 {
		if merged.Unified == nil {
			merged.Unified = make(map[string]string)
		}
		maps.Copy(merged.Unified, u.Unified)
		delta.Unified = maps.Clone(u.Unified)
	}
	return merged, delta, nil
}

func mergeMemory(merged, delta *specs.LinuxResources, um *specs.LinuxMemory) error {
	if um == nil {
		return nil
	}
	if merged.Memory == nil {
		merged.Memory = &specs.LinuxMemory{}
	}
	m, d := merged.Memory, &specs.LinuxMemory{}
	limitChanged := takeI64(&m.Limit, um.Limit)
	swapChanged := takeI64(&m.Swap, um.Swap)
	if limitChanged && !swapChanged && *m.Limit == -1 && m.Swap != nil && *m.Swap != -1 {
		unlimited := int64(-1)
		m.Swap, swapChanged = &unlimited, true
	}
	if limitChanged || swapChanged {
		if m.Swap != nil && *m.Swap != -1 && m.Limit != nil && (*m.Limit == -1 || *m.Limit > *m.Swap) {
			return fmt.Errorf("memory limit %d, memory+swap %d: %w (set both)", *m.Limit, *m.Swap, errSwapBelowLimit)
		}
		d.Limit, d.Swap = m.Limit, m.Swap
		d.CheckBeforeUpdate = um.CheckBeforeUpdate
	}
	if takeI64(&m.Reservation, um.Reservation) {
		d.Reservation = m.Reservation
	}
	if takeI64(&m.Kernel, um.Kernel) {
		d.Kernel = m.Kernel
	}
	if takeI64(&m.KernelTCP, um.KernelTCP) {
		d.KernelTCP = m.KernelTCP
	}
	if um.Swappiness != nil {
		v := *um.Swappiness
		m.Swappiness, d.Swappiness = &v, &v
	}
	if *d != (specs.LinuxMemory{}) {
		delta.Memory = d
	}
	return nil
}

func mergeCPU(merged, delta *specs.LinuxResources, uc *specs.LinuxCPU) {
	if uc == nil {
		return
	}
	if merged.CPU == nil {
		merged.CPU = &specs.LinuxCPU{}
	}
	c, d := merged.CPU, &specs.LinuxCPU{}
	if takeU64(&c.Shares, uc.Shares) {
		d.Shares = c.Shares
	}
	quota, period := takeI64(&c.Quota, uc.Quota), takeU64(&c.Period, uc.Period)
	if quota || period {
		d.Quota, d.Period = c.Quota, c.Period
	}
	rtRuntime, rtPeriod := takeI64(&c.RealtimeRuntime, uc.RealtimeRuntime), takeU64(&c.RealtimePeriod, uc.RealtimePeriod)
	if rtRuntime || rtPeriod {
		d.RealtimeRuntime, d.RealtimePeriod = c.RealtimeRuntime, c.RealtimePeriod
	}
	if uc.Burst != nil {
		v := *uc.Burst
		c.Burst, d.Burst = &v, &v
	}
	if uc.Idle != nil {
		v := *uc.Idle
		c.Idle, d.Idle = &v, &v
	}
	if uc.Cpus != "" {
		c.Cpus, d.Cpus = uc.Cpus, uc.Cpus
	}
	if uc.Mems != "" {
		c.Mems, d.Mems = uc.Mems, uc.Mems
	}
	if *d != (specs.LinuxCPU{}) {
		delta.CPU = d
	}
}

// takeI64 copies a non-zero *v into *dst and reports whether it did.
func takeI64(dst **int64, v *int64) bool {
	if v == nil || *v == 0 {
		return false
	}
	x := *v
	*dst = &x
	return true
}

func takeU64(dst **uint64, v *uint64) bool {
	if v == nil || *v == 0 {
		return false
	}
	x := *v
	*dst = &x
	return true
}

func indexPagesize(l []specs.LinuxHugepageLimit, size string) int {
	for i, h := range l {
		if h.Pagesize == size {
			return i
		}
	}
	return -1
}

// cloneResources deep-copies r (nil gives an empty value).
func cloneResources(r *specs.LinuxResources) (*specs.LinuxResources, error) {
	out := &specs.LinuxResources{}
	if r == nil {
		return out, nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("copy resources: %w", err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return nil, fmt.Errorf("copy resources: %w", err)
	}
	return out, nil
}
