package cgroups

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// zeroIsUnset wraps every Manager: runc treats a 0 in these fields as "not
// set" (engines send cpu.shares 0 and blockIO.weight 0 in every config,
// dockerd among them), so rt does too, in one place for all drivers.
type zeroIsUnset struct{ Manager }

func (z zeroIsUnset) Set(r *specs.LinuxResources) error { return z.Manager.Set(dropZeros(r)) }

// dropZeros returns a copy of r without the zero values that mean unset.
func dropZeros(r *specs.LinuxResources) *specs.LinuxResources {
	if r == nil {
		return nil
	}
	c := *r
	if m := r.Memory; m != nil {
		mm := *m
		mm.Limit = nonZeroI64(mm.Limit)
		mm.Reservation = nonZeroI64(mm.Reservation)
		mm.Swap = nonZeroI64(mm.Swap)
		//lint:ignore SA1019 linux.resources.memory.kernel (runc's --kernel-memory) is deprecated in the spec but still accepted, as runc accepts it
		mm.Kernel = nonZeroI64(mm.Kernel)
		mm.KernelTCP = nonZeroI64(mm.KernelTCP)
		c.Memory = &mm
	}
	if p := r.CPU; p != nil {
		cp := *p
		cp.Shares = nonZeroU64(cp.Shares)
		cp.Quota = nonZeroI64(cp.Quota)
		cp.Period = nonZeroU64(cp.Period)
		cp.RealtimeRuntime = nonZeroI64(cp.RealtimeRuntime)
		cp.RealtimePeriod = nonZeroU64(cp.RealtimePeriod)
		c.CPU = &cp
	}
	// pids.limit 0 is not among them: runc 1.5 writes pids.max 1 for it.
	if b := r.BlockIO; b != nil {
		bb := *b
		bb.Weight = nonZeroU16(bb.Weight)
		bb.LeafWeight = nonZeroU16(bb.LeafWeight)
		bb.WeightDevice = nil
		for _, d := range b.WeightDevice {
			d.Weight = nonZeroU16(d.Weight)
			d.LeafWeight = nonZeroU16(d.LeafWeight)
			if d.Weight != nil || d.LeafWeight != nil {
				bb.WeightDevice = append(bb.WeightDevice, d)
			}
		}
		c.BlockIO = &bb
	}
	return &c
}

func nonZeroI64(p *int64) *int64 {
	if p != nil && *p == 0 {
		return nil
	}
	return p
}

func nonZeroU64(p *uint64) *uint64 {
	if p != nil && *p == 0 {
		return nil
	}
	return p
}

func nonZeroU16(p *uint16) *uint16 {
	if p != nil && *p == 0 {
		return nil
	}
	return p
}
