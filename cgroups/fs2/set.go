package fs2

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rt-runtime/rt/cgroups/devices"
	"github.com/rt-runtime/rt/cgroups/internal/cgfile"
)

// SharesToWeight maps v1 cpu.shares [2, 262144] onto cpu.weight
// [1, 10000] as runc 1.5 and crun do: a quadratic in log2(shares) whose
// power of ten meets both ends and takes the v1 default 1024 to the v2
// default 100 (the older linear map gave 1024 39, a container with the
// default shares a lower weight than its neighbours). 0 means unset.
func SharesToWeight(shares uint64) uint64 {
	switch {
	case shares == 0:
		return 0
	case shares <= 2:
		return 1
	case shares >= 262144:
		return 10000
	}
	l := math.Log2(float64(shares))
	return uint64(math.Ceil(math.Pow(10, (l*l+125*l)/612.0-7.0/34.0)))
}

// BlkioWeightToIOWeight maps blkio weight [10, 1000] onto io.weight
// [1, 10000]. 0 means unset.
func BlkioWeightToIOWeight(w uint64) uint64 {
	if w == 0 {
		return 0
	}
	return 1 + (w-10)*9999/990
}

// SwapMax converts the spec's memory+swap limit to memory.swap.max, which
// holds swap alone: swap - limit; -1 is "max".
func SwapMax(swap int64, limit *int64) (string, error) {
	if swap == -1 {
		return "max", nil
	}
	if limit == nil || *limit == 0 {
		return "", errors.New("linux.resources.memory.swap: needs memory.limit on cgroup v2 (swap is memory+swap)")
	}
	if *limit == -1 {
		// Memory is unlimited, so memory+swap gives no bound to swap.
		return "max", nil
	}
	if swap < *limit {
		return "", fmt.Errorf("linux.resources.memory.swap: memory+swap %d is below memory.limit %d", swap, *limit)
	}
	return strconv.FormatInt(swap-*limit, 10), nil
}

func limitValue(v int64) string {
	if v == -1 {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}

// Set writes r to the v2 files. Fields v2 has no file for (kernel memory,
// swappiness, the OOM killer switch, useHierarchy, leaf weights) are
// skipped, as runc does; realtime and network limits have no v2 form at
// all and are refused. unified is written last so it can override.
func (m *Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if m.Skipped {
		if NeedsController(r) {
			// runc's words
			if m.SkipErr != nil {
				return fmt.Errorf("rootless needs no limits + no cgrouppath when no permission is granted for cgroups: %w", m.SkipErr)
			}
			return errors.New("rootless needs no limits + no cgrouppath when no permission is granted for cgroups")
		}
		return nil
	}
	d := m.Dir
	if c := r.CPU; c != nil {
		if c.Cpus != "" {
			if err := cgfile.Write(d, "cpuset.cpus", c.Cpus); err != nil {
				return err
			}
		}
		if c.Mems != "" {
			if err := cgfile.Write(d, "cpuset.mems", c.Mems); err != nil {
				return err
			}
		}
	}
	if r.Devices != nil && !m.Rootless {
		if err := devices.ApplyV2(d, r.Devices); err != nil {
			return err
		}
	}
	if r.Memory != nil {
		if err := m.setMemory(r.Memory); err != nil {
			return err
		}
	}
	if r.CPU != nil {
		if err := m.setCPU(r.CPU); err != nil {
			return err
		}
	}
	if r.Pids != nil && r.Pids.Limit != nil {
		v := "max" // negative; 0 means 1, as in runc
		if l := *r.Pids.Limit; l >= 0 {
			v = strconv.FormatInt(max(l, 1), 10)
		}
		if err := cgfile.Write(d, "pids.max", v); err != nil {
			return err
		}
	}
	if r.BlockIO != nil {
		if err := m.setIO(r.BlockIO); err != nil {
			return err
		}
	}
	if err := m.SetHugetlb(r.HugepageLimits); err != nil {
		return err
	}
	if n := r.Network; n != nil && (n.ClassID != nil || len(n.Priorities) > 0) {
		return errors.New("linux.resources.network: net_cls/net_prio exist only in cgroup v1")
	}
	if len(r.Rdma) > 0 {
		if err := setRdma(d, r.Rdma); err != nil {
			return err
		}
	}
	return m.SetUnified(r.Unified)
}

func (m *Manager) setMemory(mem *specs.LinuxMemory) error {
	d := m.Dir
	if mem.CheckBeforeUpdate != nil && *mem.CheckBeforeUpdate && mem.Limit != nil && *mem.Limit > 0 {
		cur, err := cgfile.ReadUint(d, "memory.current")
		if err != nil {
			return err
		}
		if uint64(*mem.Limit) < cur {
			return fmt.Errorf("linux.resources.memory.limit: %d is below the current usage %d (checkBeforeUpdate)", *mem.Limit, cur)
		}
	}
	var swap string
	if mem.Swap != nil {
		var err error
		if swap, err = SwapMax(*mem.Swap, mem.Limit); err != nil {
			return err
		}
	}
	// memory.swap.max is independent of memory.max on v2: order is free.
	if swap != "" {
		if err := cgfile.Write(d, "memory.swap.max", swap); err != nil {
			return err
		}
	}
	if mem.Limit != nil {
		if err := cgfile.Write(d, "memory.max", limitValue(*mem.Limit)); err != nil {
			return err
		}
	}
	if mem.Reservation != nil {
		if err := cgfile.Write(d, "memory.low", limitValue(*mem.Reservation)); err != nil {
			return err
		}
	}
	return nil
}

func (m *Manager) setCPU(c *specs.LinuxCPU) error {
	d := m.Dir
	if c.RealtimeRuntime != nil || c.RealtimePeriod != nil {
		return errors.New("linux.resources.cpu.realtimeRuntime/realtimePeriod: not supported by cgroup v2")
	}
	if c.Shares != nil && *c.Shares != 0 {
		if err := cgfile.Write(d, "cpu.weight", strconv.FormatUint(SharesToWeight(*c.Shares), 10)); err != nil {
			return err
		}
	}
	if c.Quota != nil || c.Period != nil {
		v, err := m.cpuMax(c.Quota, c.Period)
		if err != nil {
			return err
		}
		if err := cgfile.Write(d, "cpu.max", v); err != nil {
			return err
		}
	}
	if c.Burst != nil {
		if err := cgfile.Write(d, "cpu.max.burst", strconv.FormatUint(*c.Burst, 10)); err != nil {
			return err
		}
	}
	if c.Idle != nil {
		if err := cgfile.Write(d, "cpu.idle", strconv.FormatInt(*c.Idle, 10)); err != nil {
			return err
		}
	}
	return nil
}

// cpuMax builds "quota period" for cpu.max. A quota <= 0 is "max"; a
// value left nil keeps what the file holds, so updating only the period
// does not lift the quota.
func (m *Manager) cpuMax(quota *int64, period *uint64) (string, error) {
	q, p := "", ""
	if quota == nil || period == nil {
		cur, err := cgfile.Read(m.Dir, "cpu.max")
		if err != nil {
			return "", err
		}
		f := strings.Fields(cur)
		if len(f) == 2 {
			q, p = f[0], f[1]
		}
	}
	if quota != nil {
		q = "max"
		if *quota > 0 {
			q = strconv.FormatInt(*quota, 10)
		}
	}
	if period != nil && *period != 0 {
		p = strconv.FormatUint(*period, 10)
	}
	return CPUMax(q, p), nil
}

// CPUMax joins the two fields of cpu.max; an empty period is left out
// (the kernel keeps its current one).
func CPUMax(quota, period string) string {
	if quota == "" {
		quota = "max"
	}
	if period == "" {
		return quota
	}
	return quota + " " + period
}

func (m *Manager) setIO(b *specs.LinuxBlockIO) error {
	d := m.Dir
	// io.bfq.weight takes the v1 scale as is; io.weight needs converting.
	bfq := cgfile.Exists(d, "io.bfq.weight")
	weight := func(w uint16) (string, string) {
		if bfq {
			return "io.bfq.weight", strconv.FormatUint(uint64(w), 10)
		}
		return "io.weight", strconv.FormatUint(BlkioWeightToIOWeight(uint64(w)), 10)
	}
	if b.Weight != nil && *b.Weight != 0 {
		f, v := weight(*b.Weight)
		if err := cgfile.Write(d, f, v); err != nil {
			return err
		}
	}
	for _, wd := range b.WeightDevice {
		if wd.Weight == nil {
			continue
		}
		f, v := weight(*wd.Weight)
		if err := cgfile.Write(d, f, fmt.Sprintf("%d:%d %s", wd.Major, wd.Minor, v)); err != nil {
			return err
		}
	}
	for _, t := range []struct {
		key  string
		devs []specs.LinuxThrottleDevice
	}{
		{"rbps", b.ThrottleReadBpsDevice},
		{"wbps", b.ThrottleWriteBpsDevice},
		{"riops", b.ThrottleReadIOPSDevice},
		{"wiops", b.ThrottleWriteIOPSDevice},
	} {
		for _, dev := range t.devs {
			if err := cgfile.Write(d, "io.max", IOMaxLine(dev, t.key)); err != nil {
				return err
			}
		}
	}
	return nil
}

// IOMaxLine is one io.max write; a rate of 0 removes the limit ("max").
func IOMaxLine(dev specs.LinuxThrottleDevice, key string) string {
	v := "max"
	if dev.Rate != 0 {
		v = strconv.FormatUint(dev.Rate, 10)
	}
	return fmt.Sprintf("%d:%d %s=%s", dev.Major, dev.Minor, key, v)
}

// SetHugetlb writes hugetlb.<size>.max (and .rsvd.max where the kernel has
// it). In the hybrid layout the hugetlb controller lives only here, so
// the manager first enables it in the ancestors when EnableAll is off.
func (m *Manager) SetHugetlb(limits []specs.LinuxHugepageLimit) error {
	if len(limits) == 0 {
		return nil
	}
	if !m.EnableAll {
		if err := m.EnableControllers([]string{"hugetlb"}); err != nil {
			return err
		}
	}
	for _, h := range limits {
		v := strconv.FormatUint(h.Limit, 10)
		if err := cgfile.Write(m.Dir, "hugetlb."+h.Pagesize+".max", v); err != nil {
			return err
		}
		if f := "hugetlb." + h.Pagesize + ".rsvd.max"; cgfile.Exists(m.Dir, f) {
			if err := cgfile.Write(m.Dir, f, v); err != nil {
				return err
			}
		}
	}
	return nil
}

func setRdma(dir string, rdma map[string]specs.LinuxRdma) error {
	names := make([]string, 0, len(rdma))
	for n := range rdma {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		l := rdma[name]
		line := name
		if l.HcaHandles != nil {
			line += fmt.Sprintf(" hca_handle=%d", *l.HcaHandles)
		}
		if l.HcaObjects != nil {
			line += fmt.Sprintf(" hca_object=%d", *l.HcaObjects)
		}
		if line == name {
			continue
		}
		if err := cgfile.Write(dir, "rdma.max", line); err != nil {
			return err
		}
	}
	return nil
}

// SetUnified writes the spec's raw v2 key/values, in key order. A key
// must name a plain interface file of the cgroup, never a path or one of
// the core files that move tasks or change the tree.
func (m *Manager) SetUnified(u map[string]string) error {
	keys := make([]string, 0, len(u))
	for k := range u {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := checkUnifiedKey(k); err != nil {
			return err
		}
		if !cgfile.Exists(m.Dir, k) {
			ctrl, _, _ := strings.Cut(k, ".")
			return fmt.Errorf("linux.resources.unified[%q]: no such file in %s (is the %s controller enabled?)", k, m.Dir, ctrl)
		}
		if err := cgfile.Write(m.Dir, k, u[k]); err != nil {
			return err
		}
	}
	return nil
}

func checkUnifiedKey(k string) error {
	if k == "" || strings.ContainsAny(k, "/\x00") || k == "." || k == ".." || !strings.Contains(k, ".") {
		return fmt.Errorf("linux.resources.unified[%q]: not a cgroup interface file name", k)
	}
	switch k {
	case "cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "cgroup.type", "cgroup.kill":
		return fmt.Errorf("linux.resources.unified[%q]: %s cannot be set as a resource", k, k)
	}
	return nil
}

// NeedsController says whether r asks for any limit a cgroup controller
// enforces (device rules are not one on v2).
func NeedsController(r *specs.LinuxResources) bool {
	if r == nil {
		return false
	}
	c := *r
	c.Devices = nil
	b, err := json.Marshal(c)
	if err != nil {
		return true
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return true
	}
	return !emptyJSON(v)
}

// emptyJSON: nothing but empty objects and arrays (a field set to a
// struct whose own fields are all unset asks for nothing).
func emptyJSON(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case map[string]any:
		for _, e := range t {
			if !emptyJSON(e) {
				return false
			}
		}
		return true
	case []any:
		return len(t) == 0
	}
	return false
}
