//lint:file-ignore SA1019 linux.resources.memory.kernel (runc's --kernel-memory) is deprecated in the spec but still accepted, as runc accepts it

package fs

import (
	"errors"
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rt-runtime/rt/cgroups/internal/cgfile"
	"github.com/rt-runtime/rt/cgroups/stats"
)

func memorySet(m *specs.LinuxMemory) bool {
	return m.Limit != nil || m.Reservation != nil || m.Swap != nil || m.Kernel != nil ||
		m.KernelTCP != nil || m.Swappiness != nil || m.DisableOOMKiller != nil || m.UseHierarchy != nil
}

func setMemory(dir string, m *specs.LinuxMemory) error {
	if m.CheckBeforeUpdate != nil && *m.CheckBeforeUpdate && m.Limit != nil && *m.Limit > 0 {
		usage, err := cgfile.ReadUint(dir, "memory.usage_in_bytes")
		if err != nil {
			return err
		}
		if uint64(*m.Limit) < usage {
			return fmt.Errorf("linux.resources.memory.limit: %d is below the current usage %d (checkBeforeUpdate)", *m.Limit, usage)
		}
	}
	if m.UseHierarchy != nil {
		if err := cgfile.Write(dir, "memory.use_hierarchy", boolFlag(*m.UseHierarchy)); err != nil {
			return err
		}
	}
	if err := setLimitAndSwap(dir, m.Limit, m.Swap); err != nil {
		return err
	}
	if m.Reservation != nil {
		if err := cgfile.Write(dir, "memory.soft_limit_in_bytes", strconv.FormatInt(*m.Reservation, 10)); err != nil {
			return err
		}
	}
	if m.Kernel != nil {
		if err := writeKmem(dir, "memory.kmem.limit_in_bytes", *m.Kernel); err != nil {
			return err
		}
	}
	if m.KernelTCP != nil {
		if err := writeKmem(dir, "memory.kmem.tcp.limit_in_bytes", *m.KernelTCP); err != nil {
			return err
		}
	}
	if m.Swappiness != nil {
		if *m.Swappiness > 100 {
			return fmt.Errorf("linux.resources.memory.swappiness: %d is not in 0..100", *m.Swappiness)
		}
		if err := cgfile.Write(dir, "memory.swappiness", strconv.FormatUint(*m.Swappiness, 10)); err != nil {
			return err
		}
	}
	if m.DisableOOMKiller != nil && *m.DisableOOMKiller {
		if err := cgfile.Write(dir, "memory.oom_control", "1"); err != nil {
			return err
		}
	}
	return nil
}

// setLimitAndSwap writes memory.limit_in_bytes and memory.memsw.limit_in_bytes
// (the spec's swap is memory+swap, as memsw is). The kernel keeps
// memsw >= limit at every step, so when the new memsw is above the current
// limit (raising) memsw goes first, else the limit goes first.
func setLimitAndSwap(dir string, limit, swap *int64) error {
	writeLimit := func() error {
		if limit == nil {
			return nil
		}
		return cgfile.Write(dir, "memory.limit_in_bytes", strconv.FormatInt(*limit, 10))
	}
	writeSwap := func() error {
		if swap == nil {
			return nil
		}
		return cgfile.Write(dir, "memory.memsw.limit_in_bytes", strconv.FormatInt(*swap, 10))
	}
	if swap == nil {
		return writeLimit()
	}
	cur, err := cgfile.ReadUint(dir, "memory.limit_in_bytes")
	if err != nil {
		return err
	}
	if *swap == -1 || uint64(*swap) > cur {
		if err := writeSwap(); err != nil {
			return err
		}
		return writeLimit()
	}
	if err := writeLimit(); err != nil {
		return err
	}
	return writeSwap()
}

// writeKmem sets a kernel-memory limit where the kernel still has one:
// the files are gone (or refuse writes with EOPNOTSUPP) on recent kernels,
// where kernel memory is charged to the memory limit anyway.
func writeKmem(dir, file string, v int64) error {
	if !cgfile.Exists(dir, file) {
		return nil
	}
	err := cgfile.Write(dir, file, strconv.FormatInt(v, 10))
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.Errno(524)) { // 524: ENOTSUPP
		return nil
	}
	return err
}

func boolFlag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func memoryStats(dir string, m *stats.Memory) error {
	raw, err := cgfile.ReadKeyValues(dir, "memory.stat")
	if err != nil {
		return err
	}
	m.Raw = raw
	m.Cache = raw["cache"]
	if err := memoryEntry(dir, "memory", &m.Usage, true); err != nil {
		return err
	}
	for _, f := range []struct {
		prefix string
		e      *stats.MemoryEntry
	}{
		{"memory.memsw", &m.Swap},
		{"memory.kmem", &m.Kernel},
		{"memory.kmem.tcp", &m.KernelTCP},
	} {
		if err := memoryEntry(dir, f.prefix, f.e, false); err != nil {
			return err
		}
	}
	return nil
}

// memoryEntry reads <prefix>.{usage_in_bytes,max_usage_in_bytes,failcnt,
// limit_in_bytes}; an optional family missing from the kernel is skipped.
func memoryEntry(dir, prefix string, e *stats.MemoryEntry, required bool) error {
	if !required && !cgfile.Exists(dir, prefix+".usage_in_bytes") {
		return nil
	}
	for _, f := range []struct {
		name string
		v    *uint64
	}{
		{".usage_in_bytes", &e.Usage},
		{".max_usage_in_bytes", &e.Max},
		{".failcnt", &e.Failcnt},
		{".limit_in_bytes", &e.Limit},
	} {
		v, err := cgfile.ReadUint(dir, prefix+f.name)
		if err != nil {
			if !required && isNotExist(err) {
				continue
			}
			return err
		}
		*f.v = v
	}
	return nil
}
