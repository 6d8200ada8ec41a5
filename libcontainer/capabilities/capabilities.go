// Package capabilities turns the five capability sets of the OCI spec
// (process.capabilities) into kernel state for the container init.
//
// The init calls, from the one OS thread that later execs the workload:
//
//	caps, warnings, err := capabilities.New(spec.Process.Capabilities)
//	caps.DropBounding()   // still uid 0 with every capability
//	// PR_SET_KEEPCAPS, setresgid/setresuid ...
//	caps.Apply()          // effective, permitted, inheritable, then ambient
//
// Every kernel call here (capset, prctl) is per thread, which is why the
// caller must be locked to its thread. Names are checked against a fixed
// table; a name that is not in it, or a real capability that the running
// kernel does not have (its number is past the kernel's last one, probed
// with PR_CAPBSET_READ, never read from the container's /proc), is skipped
// with a warning, as runc does, so one spec works across kernel versions.
package capabilities

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// capNames maps every capability name Linux defines to its number.
var capNames = map[string]int{
	"CAP_CHOWN":              unix.CAP_CHOWN,
	"CAP_DAC_OVERRIDE":       unix.CAP_DAC_OVERRIDE,
	"CAP_DAC_READ_SEARCH":    unix.CAP_DAC_READ_SEARCH,
	"CAP_FOWNER":             unix.CAP_FOWNER,
	"CAP_FSETID":             unix.CAP_FSETID,
	"CAP_KILL":               unix.CAP_KILL,
	"CAP_SETGID":             unix.CAP_SETGID,
	"CAP_SETUID":             unix.CAP_SETUID,
	"CAP_SETPCAP":            unix.CAP_SETPCAP,
	"CAP_LINUX_IMMUTABLE":    unix.CAP_LINUX_IMMUTABLE,
	"CAP_NET_BIND_SERVICE":   unix.CAP_NET_BIND_SERVICE,
	"CAP_NET_BROADCAST":      unix.CAP_NET_BROADCAST,
	"CAP_NET_ADMIN":          unix.CAP_NET_ADMIN,
	"CAP_NET_RAW":            unix.CAP_NET_RAW,
	"CAP_IPC_LOCK":           unix.CAP_IPC_LOCK,
	"CAP_IPC_OWNER":          unix.CAP_IPC_OWNER,
	"CAP_SYS_MODULE":         unix.CAP_SYS_MODULE,
	"CAP_SYS_RAWIO":          unix.CAP_SYS_RAWIO,
	"CAP_SYS_CHROOT":         unix.CAP_SYS_CHROOT,
	"CAP_SYS_PTRACE":         unix.CAP_SYS_PTRACE,
	"CAP_SYS_PACCT":          unix.CAP_SYS_PACCT,
	"CAP_SYS_ADMIN":          unix.CAP_SYS_ADMIN,
	"CAP_SYS_BOOT":           unix.CAP_SYS_BOOT,
	"CAP_SYS_NICE":           unix.CAP_SYS_NICE,
	"CAP_SYS_RESOURCE":       unix.CAP_SYS_RESOURCE,
	"CAP_SYS_TIME":           unix.CAP_SYS_TIME,
	"CAP_SYS_TTY_CONFIG":     unix.CAP_SYS_TTY_CONFIG,
	"CAP_MKNOD":              unix.CAP_MKNOD,
	"CAP_LEASE":              unix.CAP_LEASE,
	"CAP_AUDIT_WRITE":        unix.CAP_AUDIT_WRITE,
	"CAP_AUDIT_CONTROL":      unix.CAP_AUDIT_CONTROL,
	"CAP_SETFCAP":            unix.CAP_SETFCAP,
	"CAP_MAC_OVERRIDE":       unix.CAP_MAC_OVERRIDE,
	"CAP_MAC_ADMIN":          unix.CAP_MAC_ADMIN,
	"CAP_SYSLOG":             unix.CAP_SYSLOG,
	"CAP_WAKE_ALARM":         unix.CAP_WAKE_ALARM,
	"CAP_BLOCK_SUSPEND":      unix.CAP_BLOCK_SUSPEND,
	"CAP_AUDIT_READ":         unix.CAP_AUDIT_READ,
	"CAP_PERFMON":            unix.CAP_PERFMON,
	"CAP_BPF":                unix.CAP_BPF,
	"CAP_CHECKPOINT_RESTORE": unix.CAP_CHECKPOINT_RESTORE,
}

// capByNumber is capNames inverted, indexed by capability number.
var capByNumber = func() []string {
	names := make([]string, len(capNames))
	for name, n := range capNames {
		names[n] = name
	}
	return names
}()

// set is a capability bit set; bit n is capability n. Linux has fewer than
// 64 capabilities and capset(2) v3 carries exactly 64 bits.
type set uint64

func (s set) has(n int) bool { return s&(1<<uint(n)) != 0 }

// Caps holds the five sets, already reduced to what the running kernel knows.
// A nil *Caps (from a spec without process.capabilities) leaves the process's
// capabilities untouched: its methods do nothing.
type Caps struct {
	bounding, effective, permitted, inheritable, ambient set
	lastCap                                              int
	sys                                                  system
}

// system is the seam to the per-thread kernel calls, so the order of calls
// can be checked by a unit test without root.
type system interface {
	capBsetDrop(n int) error
	capset(effective, permitted, inheritable set) error
	ambientClearAll() error
	ambientRaise(n int) error
}

var (
	lastCapOnce sync.Once
	lastCapVal  int
	lastCapErr  error
)

// lastCap finds the highest capability the running kernel knows by asking
// the kernel itself: prctl(PR_CAPBSET_READ, n) fails with EINVAL for a
// number past CAP_LAST_CAP. The init runs this after pivot_root, where
// /proc/sys/kernel/cap_last_cap is whatever the image or a volume put
// there; a fake "5" would leave capabilities 6.. in the bounding set.
func lastCap() (int, error) {
	lastCapOnce.Do(func() {
		lastCapVal, lastCapErr = probeLastCap(capBsetRead)
	})
	return lastCapVal, lastCapErr
}

func capBsetRead(n int) error {
	_, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(n), 0, 0, 0)
	return err
}

// probeLastCap bisects 0..63 for the last number read accepts.
func probeLastCap(read func(n int) error) (int, error) {
	if err := read(0); err != nil {
		return 0, fmt.Errorf("prctl(PR_CAPBSET_READ, 0): %w", err)
	}
	lo, hi := 0, 64 // read(lo) succeeds; read(hi) would fail
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		err := read(mid)
		switch {
		case err == nil:
			lo = mid
		case errors.Is(err, unix.EINVAL):
			hi = mid
		default:
			return 0, fmt.Errorf("prctl(PR_CAPBSET_READ, %d): %w", mid, err)
		}
	}
	return lo, nil
}

// New reads the five sets. As runc does, a name that is no capability, or
// one the running kernel lacks (its number is above the last capability),
// is left out with a warning: one for all of them, sorted, in runc's words.
// An ambient capability missing from permitted or inheritable, which the
// kernel refuses to raise, gets runc's warning too (Apply skips it).
func New(c *specs.LinuxCapabilities) (*Caps, []string, error) {
	if c == nil {
		return nil, nil, nil
	}
	last, err := lastCap()
	if err != nil {
		return nil, nil, err
	}
	return newCaps(c, last, kernel{})
}

func newCaps(c *specs.LinuxCapabilities, last int, sys system) (*Caps, []string, error) {
	caps := &Caps{lastCap: last, sys: sys}
	ignored := make(map[string]bool)
	sets := []struct {
		names []string
		dst   *set
	}{
		{c.Bounding, &caps.bounding},
		{c.Effective, &caps.effective},
		{c.Permitted, &caps.permitted},
		{c.Inheritable, &caps.inheritable},
		{c.Ambient, &caps.ambient},
	}
	for _, s := range sets {
		for _, name := range s.names {
			n, ok := capNames[name]
			if !ok || n > last {
				ignored[name] = true
				continue
			}
			*s.dst |= 1 << uint(n)
		}
	}
	var warnings []string
	if len(ignored) > 0 {
		names := make([]string, 0, len(ignored))
		for name := range ignored {
			names = append(names, name)
		}
		sort.Strings(names)
		warnings = append(warnings, fmt.Sprintf("ignoring unknown or unavailable capabilities: [%s]", strings.Join(names, " ")))
	}
	warned := make(map[int]bool)
	for _, name := range c.Ambient {
		n, ok := capNames[name]
		if !ok || n > last || warned[n] || caps.raisable(n) {
			continue
		}
		warned[n] = true
		warnings = append(warnings, fmt.Sprintf("can't raise ambient capability %s: %v", name, unix.EPERM))
	}
	return caps, warnings, nil
}

// raisable: the kernel raises an ambient capability only when it is in
// both the permitted and the inheritable set.
func (c *Caps) raisable(n int) bool {
	return c.permitted.has(n) && c.inheritable.has(n)
}

// KernelCaps lists every capability the running kernel has, in number
// order. A number the kernel has but this table cannot name is left out.
func KernelCaps() []string {
	last, err := lastCap()
	if err != nil {
		// The probe cannot fail short of a broken prctl: assume the newest
		// kernel this build knows.
		last = len(capByNumber) - 1
	}
	var names []string
	for n := 0; n <= last && n < len(capByNumber); n++ {
		names = append(names, capByNumber[n])
	}
	return names
}

// DropBounding removes from the bounding set every capability the running
// kernel has that is not in the spec's bounding set. It needs CAP_SETPCAP,
// so it runs before the uid switch.
func (c *Caps) DropBounding() error {
	if c == nil {
		return nil
	}
	for n := 0; n <= c.lastCap; n++ {
		if c.bounding.has(n) {
			continue
		}
		if err := c.sys.capBsetDrop(n); err != nil {
			return fmt.Errorf("drop %s from the bounding set: %w", capName(n), err)
		}
	}
	return nil
}

// Apply sets effective, permitted and inheritable in one capset(2), then
// clears the ambient set and raises the spec's ambient capabilities. It runs
// after the uid/gid switch (made with PR_SET_KEEPCAPS, so permitted survives).
func (c *Caps) Apply() error {
	if c == nil {
		return nil
	}
	if err := c.sys.capset(c.effective, c.permitted, c.inheritable); err != nil {
		return fmt.Errorf("capset (effective %#x, permitted %#x, inheritable %#x): %w",
			uint64(c.effective), uint64(c.permitted), uint64(c.inheritable), err)
	}
	if err := c.sys.ambientClearAll(); err != nil {
		return fmt.Errorf("clear the ambient set: %w", err)
	}
	for n := 0; n <= c.lastCap; n++ {
		if !c.ambient.has(n) {
			continue
		}
		// The kernel refuses an ambient cap missing from permitted or
		// inheritable; runc warns and goes on, so rt does too (New has
		// the warning).
		if !c.raisable(n) {
			continue
		}
		if err := c.sys.ambientRaise(n); err != nil {
			// The kernel refuses caps missing from permitted or inheritable.
			return fmt.Errorf("raise ambient %s (it must be in permitted and inheritable): %w", capName(n), err)
		}
	}
	return nil
}

func capName(n int) string {
	if n < len(capByNumber) {
		return capByNumber[n]
	}
	return "capability " + strconv.Itoa(n)
}

// kernel is the real system: every call acts on the calling thread only.
type kernel struct{}

func (kernel) capBsetDrop(n int) error {
	return unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(n), 0, 0, 0)
}

func (kernel) capset(effective, permitted, inheritable set) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	for i := range data {
		shift := uint(32 * i)
		data[i].Effective = uint32(effective >> shift)
		data[i].Permitted = uint32(permitted >> shift)
		data[i].Inheritable = uint32(inheritable >> shift)
	}
	return unix.Capset(&hdr, &data[0])
}

func (kernel) ambientClearAll() error {
	return unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
}

func (kernel) ambientRaise(n int) error {
	return unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(n), 0, 0)
}

// Masks are the five sets as bit masks (bit n: capability n), for a plan
// compiled in the parent and applied by the C executor: the sets New
// gives for a kernel whose last capability is last, with Apply's rule
// that only a raisable ambient capability is raised.
type Masks struct {
	Bounding, Effective, Permitted, Inheritable, Ambient uint64
}

// NewMasks is New for a given last capability (the host's, probed by the
// parent), returning the masks and New's warnings.
func NewMasks(c *specs.LinuxCapabilities, last int) (Masks, []string) {
	caps, warnings, _ := newCaps(c, last, nil)
	m := Masks{uint64(caps.bounding), uint64(caps.effective), uint64(caps.permitted), uint64(caps.inheritable), 0}
	for n := 0; n <= last; n++ {
		if caps.ambient.has(n) && caps.raisable(n) {
			m.Ambient |= 1 << uint(n)
		}
	}
	return m, warnings
}

// LastCap is the running kernel's last capability (see lastCap).
func LastCap() (int, error) { return lastCap() }
