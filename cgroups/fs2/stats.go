package fs2

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/rt-runtime/rt/cgroups/internal/cgfile"
	"github.com/rt-runtime/rt/cgroups/stats"
)

// Stats reads the v2 counters into runc's layout. A controller that is not
// enabled for the cgroup (its files are missing) leaves its part zero.
func (m *Manager) Stats() (*stats.Stats, error) {
	s := &stats.Stats{Hugetlb: map[string]stats.Hugetlb{}}
	for _, f := range []func(*stats.Stats) error{m.cpuStats, m.memoryStats, m.pidsStats, m.ioStats, m.HugetlbStats} {
		if err := f(s); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	return s, nil
}

func (m *Manager) cpuStats(s *stats.Stats) error {
	kv, err := cgfile.ReadKeyValues(m.Dir, "cpu.stat")
	if err != nil {
		return err
	}
	s.CPU.Usage.Total = kv["usage_usec"] * 1000
	s.CPU.Usage.User = kv["user_usec"] * 1000
	s.CPU.Usage.Kernel = kv["system_usec"] * 1000
	s.CPU.Throttling.Periods = kv["nr_periods"]
	s.CPU.Throttling.ThrottledPeriods = kv["nr_throttled"]
	s.CPU.Throttling.ThrottledTime = kv["throttled_usec"] * 1000
	return nil
}

func (m *Manager) memoryStats(s *stats.Stats) error {
	raw, err := cgfile.ReadKeyValues(m.Dir, "memory.stat")
	if err != nil {
		return err
	}
	s.Memory.Raw = raw
	s.Memory.Cache = raw["file"]
	if err := m.memoryEntry("memory", &s.Memory.Usage); err != nil {
		return err
	}
	if !cgfile.Exists(m.Dir, "memory.swap.current") {
		return nil
	}
	var swap stats.MemoryEntry
	if err := m.memoryEntry("memory.swap", &swap); err != nil {
		return err
	}
	// runc reports v2 swap as memory+swap, the v1 memsw meaning.
	u := s.Memory.Usage
	s.Memory.Swap = stats.MemoryEntry{
		Usage:   u.Usage + swap.Usage,
		Failcnt: swap.Failcnt,
		Limit:   addLimits(u.Limit, swap.Limit),
	}
	return nil
}

func addLimits(a, b uint64) uint64 {
	if a == math.MaxUint64 || b == math.MaxUint64 || a+b < a {
		return math.MaxUint64
	}
	return a + b
}

// memoryEntry reads <prefix>.current, .max, .peak (kernel 5.19+) and the
// "max" count of <prefix>.events (times the limit was hit).
func (m *Manager) memoryEntry(prefix string, e *stats.MemoryEntry) error {
	var err error
	if e.Usage, err = cgfile.ReadUint(m.Dir, prefix+".current"); err != nil {
		return err
	}
	if e.Limit, err = cgfile.ReadUint(m.Dir, prefix+".max"); err != nil {
		return err
	}
	if cgfile.Exists(m.Dir, prefix+".peak") {
		if e.Max, err = cgfile.ReadUint(m.Dir, prefix+".peak"); err != nil {
			return err
		}
	}
	if cgfile.Exists(m.Dir, prefix+".events") {
		ev, err := cgfile.ReadKeyValues(m.Dir, prefix+".events")
		if err != nil {
			return err
		}
		e.Failcnt = ev["max"]
	}
	return nil
}

func (m *Manager) pidsStats(s *stats.Stats) error {
	cur, err := cgfile.ReadUint(m.Dir, "pids.current")
	if err != nil {
		return err
	}
	max, err := cgfile.ReadUint(m.Dir, "pids.max")
	if err != nil {
		return err
	}
	s.Pids.Current = cur
	if max != math.MaxUint64 {
		s.Pids.Limit = max
	}
	return nil
}

func (m *Manager) ioStats(s *stats.Stats) error {
	c, err := cgfile.Read(m.Dir, "io.stat")
	if err != nil {
		return err
	}
	bytes, ios, err := ParseIOStat(c)
	if err != nil {
		return fmt.Errorf("%s/io.stat: %w", m.Dir, err)
	}
	s.Blkio.IoServiceBytesRecursive = bytes
	s.Blkio.IoServicedRecursive = ios
	return nil
}

// ParseIOStat turns io.stat lines ("8:0 rbytes=1 wbytes=2 rios=3 wios=4
// dbytes=0 dios=0") into the v1-style byte and operation entries.
func ParseIOStat(content string) (bytes, ios []stats.BlkioEntry, err error) {
	ops := map[string]struct {
		op    string
		bytes bool
	}{
		"rbytes": {"Read", true}, "wbytes": {"Write", true}, "dbytes": {"Discard", true},
		"rios": {"Read", false}, "wios": {"Write", false}, "dios": {"Discard", false},
	}
	for _, line := range strings.Split(content, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		maj, min, ok := strings.Cut(f[0], ":")
		if !ok {
			return nil, nil, fmt.Errorf("line %q: no major:minor", line)
		}
		major, err1 := strconv.ParseUint(maj, 10, 64)
		minor, err2 := strconv.ParseUint(min, 10, 64)
		if err1 != nil || err2 != nil {
			return nil, nil, fmt.Errorf("line %q: bad device number", line)
		}
		for _, kv := range f[1:] {
			k, v, ok := strings.Cut(kv, "=")
			o, known := ops[k]
			if !ok || !known {
				continue
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return nil, nil, fmt.Errorf("line %q: %s: %w", line, k, err)
			}
			e := stats.BlkioEntry{Major: major, Minor: minor, Op: o.op, Value: n}
			if o.bytes {
				bytes = append(bytes, e)
			} else {
				ios = append(ios, e)
			}
		}
	}
	return bytes, ios, nil
}

// HugetlbStats reads hugetlb.<size>.current and the "max" count of
// hugetlb.<size>.events for every host page size.
func (m *Manager) HugetlbStats(s *stats.Stats) error {
	sizes, err := cgfile.HugePageSizes()
	if err != nil {
		return err
	}
	for _, size := range sizes {
		f := "hugetlb." + size
		if !cgfile.Exists(m.Dir, f+".current") {
			continue
		}
		var h stats.Hugetlb
		if h.Usage, err = cgfile.ReadUint(m.Dir, f+".current"); err != nil {
			return err
		}
		ev, err := cgfile.ReadKeyValues(m.Dir, f+".events")
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		h.Failcnt = ev["max"]
		s.Hugetlb[size] = h
	}
	return nil
}
