package fs

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rt-runtime/rt/cgroups/internal/cgfile"
	"github.com/rt-runtime/rt/cgroups/stats"
)

func cpuSet(c *specs.LinuxCPU) bool {
	return c.Shares != nil || c.Quota != nil || c.Period != nil || c.Burst != nil ||
		c.RealtimeRuntime != nil || c.RealtimePeriod != nil || c.Idle != nil
}

func setCPU(dir string, c *specs.LinuxCPU) error {
	if c.Shares != nil {
		if err := cgfile.Write(dir, "cpu.shares", strconv.FormatUint(*c.Shares, 10)); err != nil {
			return err
		}
		// The kernel clamps shares silently; say so instead.
		got, err := cgfile.ReadUint(dir, "cpu.shares")
		if err != nil {
			return err
		}
		if got != *c.Shares {
			return fmt.Errorf("linux.resources.cpu.shares: the kernel set %d instead of %d (allowed range 2..262144)", got, *c.Shares)
		}
	}
	var period, quota, rtPeriod, rtRuntime string
	if c.Period != nil {
		period = strconv.FormatUint(*c.Period, 10)
	}
	if c.Quota != nil {
		quota = strconv.FormatInt(*c.Quota, 10)
	}
	if err := writePair(dir, "cpu.cfs_period_us", period, "cpu.cfs_quota_us", quota); err != nil {
		return err
	}
	if c.Burst != nil {
		if err := cgfile.Write(dir, "cpu.cfs_burst_us", strconv.FormatUint(*c.Burst, 10)); err != nil {
			return err
		}
	}
	if c.RealtimePeriod != nil {
		rtPeriod = strconv.FormatUint(*c.RealtimePeriod, 10)
	}
	if c.RealtimeRuntime != nil {
		rtRuntime = strconv.FormatInt(*c.RealtimeRuntime, 10)
	}
	if err := writePair(dir, "cpu.rt_period_us", rtPeriod, "cpu.rt_runtime_us", rtRuntime); err != nil {
		return err
	}
	if c.Idle != nil {
		if err := cgfile.Write(dir, "cpu.idle", strconv.FormatInt(*c.Idle, 10)); err != nil {
			return err
		}
	}
	return nil
}

// writePair writes a period and the budget within it. The kernel checks
// each write against the other value, so a period that fails first is
// retried after the budget (empty values are not written).
func writePair(dir, periodFile, period, budgetFile, budget string) error {
	if period == "" {
		if budget == "" {
			return nil
		}
		return cgfile.Write(dir, budgetFile, budget)
	}
	errPeriod := cgfile.Write(dir, periodFile, period)
	if errPeriod != nil && budget == "" {
		return errPeriod
	}
	if budget != "" {
		if err := cgfile.Write(dir, budgetFile, budget); err != nil {
			return err
		}
	}
	if errPeriod != nil {
		return cgfile.Write(dir, periodFile, period)
	}
	return nil
}

// userHZ is the unit of cpuacct.stat, fixed at 100 in the kernel ABI.
const userHZ = 100

func cpuacctStats(dir string, c *stats.CPU) error {
	total, err := cgfile.ReadUint(dir, "cpuacct.usage")
	if err != nil {
		return err
	}
	c.Usage.Total = total
	if c.Usage.Percpu, err = readUintList(dir, "cpuacct.usage_percpu"); err != nil {
		return err
	}
	if cgfile.Exists(dir, "cpuacct.usage_percpu_sys") {
		if c.Usage.PercpuKernel, err = readUintList(dir, "cpuacct.usage_percpu_sys"); err != nil {
			return err
		}
		if c.Usage.PercpuUser, err = readUintList(dir, "cpuacct.usage_percpu_user"); err != nil {
			return err
		}
	}
	kv, err := cgfile.ReadKeyValues(dir, "cpuacct.stat")
	if err != nil {
		return err
	}
	c.Usage.User = kv["user"] * (1e9 / userHZ)
	c.Usage.Kernel = kv["system"] * (1e9 / userHZ)
	return nil
}

func readUintList(dir, file string) ([]uint64, error) {
	s, err := cgfile.Read(dir, file)
	if err != nil {
		return nil, err
	}
	var out []uint64
	for _, f := range strings.Fields(s) {
		v, err := cgfile.ParseUint(f)
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", dir, file, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func throttlingStats(dir string, t *stats.Throttling) error {
	kv, err := cgfile.ReadKeyValues(dir, "cpu.stat")
	if err != nil {
		return err
	}
	t.Periods = kv["nr_periods"]
	t.ThrottledPeriods = kv["nr_throttled"]
	t.ThrottledTime = kv["throttled_time"]
	return nil
}
