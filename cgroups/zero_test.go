package cgroups

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestDropZeros(t *testing.T) {
	zero64, zeroU, zero16, one := int64(0), uint64(0), uint16(0), int64(1)
	shares := uint64(512)
	r := &specs.LinuxResources{
		Memory:  &specs.LinuxMemory{Limit: &zero64, Swap: &one},
		CPU:     &specs.LinuxCPU{Shares: &zeroU, Quota: &zero64, Period: &shares},
		Pids:    &specs.LinuxPids{Limit: &zero64},
		BlockIO: &specs.LinuxBlockIO{Weight: &zero16, WeightDevice: []specs.LinuxWeightDevice{{Weight: &zero16}}},
	}
	d := dropZeros(r)
	if d.Memory.Limit != nil || d.Memory.Swap == nil || d.CPU.Shares != nil || d.CPU.Quota != nil ||
		d.CPU.Period == nil || d.Pids == nil || *d.Pids.Limit != 0 || d.BlockIO.Weight != nil || len(d.BlockIO.WeightDevice) != 0 {
		t.Fatalf("dropZeros = %+v", d)
	}
	if r.CPU.Shares == nil || r.Memory.Limit == nil {
		t.Fatal("dropZeros changed its input")
	}
}
