package fs

import (
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rt-runtime/rt/cgroups/devices"
	"github.com/rt-runtime/rt/cgroups/internal/cgfile"
	"github.com/rt-runtime/rt/cgroups/stats"
)

// controller is what Set and Stats do in one v1 hierarchy.
type controller struct {
	// name is the subsystem whose dir the functions get.
	name string
	// field is the part of the spec that needs the controller, named
	// when it is not mounted.
	field string
	// wants says whether r sets anything here (nil: nothing ever).
	wants func(r *specs.LinuxResources) bool
	set   func(dir string, r *specs.LinuxResources) error
	// stats fills this controller's counters (nil: it has none).
	stats func(dir string, s *stats.Stats) error
}

// controllers in the order Set writes them, runc's: cpuset before memory
// so memory migration has its nodes, devices early so the rest runs under
// the container's device policy.
var controllers = []controller{
	{name: "cpuacct", stats: func(d string, s *stats.Stats) error { return cpuacctStats(d, &s.CPU) }},
	{
		name: "cpuset", field: "linux.resources.cpu.cpus/mems",
		wants: func(r *specs.LinuxResources) bool { return r.CPU != nil && (r.CPU.Cpus != "" || r.CPU.Mems != "") },
		set:   func(d string, r *specs.LinuxResources) error { return setCpuset(d, r.CPU.Cpus, r.CPU.Mems) },
	},
	{
		name: "devices", field: "linux.resources.devices",
		wants: func(r *specs.LinuxResources) bool { return r.Devices != nil },
		set:   func(d string, r *specs.LinuxResources) error { return devices.ApplyV1(d, r.Devices) },
	},
	{
		name: "memory", field: "linux.resources.memory",
		wants: func(r *specs.LinuxResources) bool { return r.Memory != nil && memorySet(r.Memory) },
		set:   func(d string, r *specs.LinuxResources) error { return setMemory(d, r.Memory) },
		stats: func(d string, s *stats.Stats) error { return memoryStats(d, &s.Memory) },
	},
	{
		name: "cpu", field: "linux.resources.cpu",
		wants: func(r *specs.LinuxResources) bool { return r.CPU != nil && cpuSet(r.CPU) },
		set:   func(d string, r *specs.LinuxResources) error { return setCPU(d, r.CPU) },
		stats: func(d string, s *stats.Stats) error { return throttlingStats(d, &s.CPU.Throttling) },
	},
	{
		name: "pids", field: "linux.resources.pids",
		wants: func(r *specs.LinuxResources) bool { return r.Pids != nil && r.Pids.Limit != nil },
		set: func(d string, r *specs.LinuxResources) error {
			return cgfile.Write(d, "pids.max", pidsMax(*r.Pids.Limit))
		},
		stats: func(d string, s *stats.Stats) error { return pidsStats(d, &s.Pids) },
	},
	{
		name: "blkio", field: "linux.resources.blockIO",
		wants: func(r *specs.LinuxResources) bool { return r.BlockIO != nil && blkioSet(r.BlockIO) },
		set:   func(d string, r *specs.LinuxResources) error { return setBlkio(d, r.BlockIO) },
		stats: func(d string, s *stats.Stats) error { return blkioStats(d, &s.Blkio) },
	},
	{
		name: "hugetlb", field: "linux.resources.hugepageLimits",
		wants: func(r *specs.LinuxResources) bool { return len(r.HugepageLimits) > 0 },
		set: func(d string, r *specs.LinuxResources) error {
			for _, h := range r.HugepageLimits {
				if err := setHugetlb(d, h); err != nil {
					return err
				}
			}
			return nil
		},
		stats: func(d string, s *stats.Stats) error { return hugetlbStats(d, s.Hugetlb) },
	},
	{
		name: "net_cls", field: "linux.resources.network.classID",
		wants: func(r *specs.LinuxResources) bool { return r.Network != nil && r.Network.ClassID != nil },
		set: func(d string, r *specs.LinuxResources) error {
			return cgfile.Write(d, "net_cls.classid", strconv.FormatUint(uint64(*r.Network.ClassID), 10))
		},
	},
	{
		name: "net_prio", field: "linux.resources.network.priorities",
		wants: func(r *specs.LinuxResources) bool { return r.Network != nil && len(r.Network.Priorities) > 0 },
		set: func(d string, r *specs.LinuxResources) error {
			for _, p := range r.Network.Priorities {
				if err := cgfile.Write(d, "net_prio.ifpriomap", fmt.Sprintf("%s %d", p.Name, p.Priority)); err != nil {
					return err
				}
			}
			return nil
		},
	},
	{
		name: "rdma", field: "linux.resources.rdma",
		wants: func(r *specs.LinuxResources) bool { return len(r.Rdma) > 0 },
		set:   func(d string, r *specs.LinuxResources) error { return SetRdma(d, r.Rdma) },
	},
}
