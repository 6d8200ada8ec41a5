package systemd

import (
	"bufio"
	"fmt"
	"math"
	"math/big"
	"os"
	"sort"
	"strconv"
	"strings"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rt-runtime/rt/cgroups/devices"
	"github.com/rt-runtime/rt/cgroups/fs2"
)

// infinity is systemd's "no limit" for the uint64 properties.
const infinity = uint64(math.MaxUint64)

// defaultCPUPeriod is the kernel's CFS period (µs) when the spec gives none.
const defaultCPUPeriod = 100000

func prop(name string, v any) sd.Property {
	return sd.Property{Name: name, Value: dbus.MakeVariant(v)}
}

// features are what the running systemd understands, by version.
type features struct {
	cpuQuotaPeriod bool // CPUQuotaPeriodUSec, systemd 242
	allowedCPUs    bool // AllowedCPUs / AllowedMemoryNodes, systemd 244
	majorGroups    bool // DeviceAllow "char-136" for c 136:*, systemd 240
}

func featuresOf(version int) features {
	return features{cpuQuotaPeriod: version >= 242, allowedCPUs: version >= 244, majorGroups: version >= 240}
}

// unitProps are the properties of a new unit that do not depend on the
// resources: where it goes, delegation, and accounting of every controller
// (which makes systemd enable them down to the unit).
func unitProps(u Unit, pid int, v2 bool) []sd.Property {
	p := []sd.Property{prop("Description", "rt container "+u.Name)}
	if u.IsSlice() {
		p = append(p, prop("Wants", u.Slice))
	} else {
		p = append(p, prop("Slice", u.Slice), prop("Delegate", true))
	}
	if pid > 0 {
		p = append(p, prop("PIDs", []uint32{uint32(pid)}))
	}
	p = append(p, prop("MemoryAccounting", true), prop("CPUAccounting", true))
	if v2 {
		p = append(p, prop("IOAccounting", true))
	} else {
		p = append(p, prop("BlockIOAccounting", true))
	}
	p = append(p, prop("TasksAccounting", true), prop("DefaultDependencies", false))
	return p
}

// resourceProps translates what systemd has properties for. Fields left
// nil produce nothing, so an update sends only what it changes. v2 and v1
// differ in names (MemoryMax vs MemoryLimit, CPUWeight vs CPUShares).
func resourceProps(r *specs.LinuxResources, v2 bool, f features) ([]sd.Property, error) {
	if r == nil {
		return nil, nil
	}
	var p []sd.Property
	if r.Devices != nil {
		d, err := deviceProps(r.Devices, f.majorGroups)
		if err != nil {
			return nil, err
		}
		p = append(p, d...)
	}
	if m := r.Memory; m != nil {
		if m.Limit != nil {
			name := "MemoryMax"
			if !v2 {
				name = "MemoryLimit"
			}
			p = append(p, prop(name, limit(*m.Limit)))
		}
		if v2 && m.Reservation != nil {
			p = append(p, prop("MemoryLow", limit(*m.Reservation)))
		}
		if v2 && m.Swap != nil {
			s, err := fs2.SwapMax(*m.Swap, m.Limit)
			if err != nil {
				return nil, err
			}
			v := infinity
			if s != "max" {
				v, _ = strconv.ParseUint(s, 10, 64)
			}
			p = append(p, prop("MemorySwapMax", v))
		}
	}
	if c := r.CPU; c != nil {
		if c.Shares != nil {
			if v2 {
				p = append(p, prop("CPUWeight", fs2.SharesToWeight(*c.Shares)))
			} else {
				p = append(p, prop("CPUShares", *c.Shares))
			}
		}
		p = append(p, quotaProps(c.Quota, c.Period, f)...)
		if f.allowedCPUs {
			for _, s := range []struct{ name, list string }{{"AllowedCPUs", c.Cpus}, {"AllowedMemoryNodes", c.Mems}} {
				if s.list == "" {
					continue
				}
				bits, err := listToBits(s.list)
				if err != nil {
					return nil, fmt.Errorf("%s %q: %w", s.name, s.list, err)
				}
				p = append(p, prop(s.name, bits))
			}
		}
	}
	if b := r.BlockIO; b != nil && b.Weight != nil {
		if v2 {
			p = append(p, prop("IOWeight", fs2.BlkioWeightToIOWeight(uint64(*b.Weight))))
		} else {
			p = append(p, prop("BlockIOWeight", uint64(*b.Weight)))
		}
	}
	if r.Pids != nil {
		// 0 is not "unset" here: runc writes pids.max 1 for it, which the
		// pids file write does; systemd's TasksMax=0 would mean 0.
		if l := r.Pids.Limit; l != nil && (*l > 0 || *l == -1) {
			p = append(p, prop("TasksMax", limit(*l)))
		}
	}
	if v2 && len(r.Unified) > 0 {
		u, err := unifiedProps(r.Unified, f)
		if err != nil {
			return nil, err
		}
		p = append(p, u...)
	}
	return p, nil
}

// limit maps the spec's -1 (no limit) to systemd's infinity.
func limit(v int64) uint64 {
	if v < 0 {
		return infinity
	}
	return uint64(v)
}

// quotaProps gives CPUQuotaPerSecUSec (the quota scaled to one second,
// rounded up to systemd's 10 ms steps) and CPUQuotaPeriodUSec.
func quotaProps(quota *int64, period *uint64, f features) []sd.Property {
	var p []sd.Property
	per := uint64(0)
	if period != nil {
		per = *period
	}
	if per != 0 && f.cpuQuotaPeriod {
		p = append(p, prop("CPUQuotaPeriodUSec", per))
	}
	if quota == nil && per == 0 {
		return p
	}
	perSec := infinity
	if quota != nil && *quota > 0 {
		if per == 0 {
			per = defaultCPUPeriod
		}
		perSec = uint64(*quota) * 1000000 / per
		if perSec%10000 != 0 {
			perSec = (perSec/10000 + 1) * 10000
		}
	}
	return append(p, prop("CPUQuotaPerSecUSec", perSec))
}

// unifiedProps translates the unified keys systemd has a property for; the
// files are written afterwards anyway, so the rest only go there.
func unifiedProps(u map[string]string, f features) ([]sd.Property, error) {
	keys := make([]string, 0, len(u))
	for k := range u {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	num := func(k, v string) (uint64, error) {
		if v == "max" {
			return infinity, nil
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("unified resource %q value %q: %w", k, v, err)
		}
		return n, nil
	}
	var p []sd.Property
	for _, k := range keys {
		v := strings.TrimSpace(u[k])
		switch k {
		case "cpu.max":
			fields := strings.Fields(v)
			if len(fields) < 1 || len(fields) > 2 {
				return nil, fmt.Errorf("unified resource %q value %q: want \"quota [period]\"", k, v)
			}
			var quota *int64
			if fields[0] == "max" {
				q := int64(-1)
				quota = &q
			} else {
				q, err := strconv.ParseInt(fields[0], 10, 64)
				if err != nil {
					return nil, fmt.Errorf("unified resource %q value %q: %w", k, v, err)
				}
				quota = &q
			}
			var period *uint64
			if len(fields) == 2 {
				n, err := strconv.ParseUint(fields[1], 10, 64)
				if err != nil || n == 0 {
					return nil, fmt.Errorf("unified resource %q value %q: bad period", k, v)
				}
				period = &n
			}
			p = append(p, quotaProps(quota, period, f)...)
		case "cpu.weight":
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("unified resource %q value %q: %w", k, v, err)
			}
			p = append(p, prop("CPUWeight", n))
		case "cpuset.cpus", "cpuset.mems":
			if !f.allowedCPUs {
				continue
			}
			bits, err := listToBits(v)
			if err != nil {
				return nil, fmt.Errorf("unified resource %q value %q: %w", k, v, err)
			}
			name := "AllowedCPUs"
			if k == "cpuset.mems" {
				name = "AllowedMemoryNodes"
			}
			p = append(p, prop(name, bits))
		case "memory.high", "memory.low", "memory.min", "memory.max", "memory.swap.max", "pids.max":
			n, err := num(k, v)
			if err != nil {
				return nil, err
			}
			name := map[string]string{
				"memory.high": "MemoryHigh", "memory.low": "MemoryLow", "memory.min": "MemoryMin",
				"memory.max": "MemoryMax", "memory.swap.max": "MemorySwapMax", "pids.max": "TasksMax",
			}[k]
			p = append(p, prop(name, n))
		}
	}
	return p, nil
}

// listToBits turns a cpuset list ("0-2,7") into systemd's CPU set
// format: a byte array, bit n of byte n/8 for cpu n (little-endian).
func listToBits(list string) ([]byte, error) {
	var bits big.Int
	for _, r := range strings.Split(strings.TrimSpace(list), ",") {
		lo, hi, isRange := strings.Cut(r, "-")
		a, err := strconv.ParseUint(lo, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("bad number %q", lo)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 32); err != nil || b < a {
				return nil, fmt.Errorf("bad range %q", r)
			}
		}
		if b >= 8192 {
			return nil, fmt.Errorf("%d is too large", b)
		}
		for i := a; i <= b; i++ {
			bits.SetBit(&bits, int(i), 1)
		}
	}
	be := bits.Bytes()
	out := make([]byte, len(be))
	for i, c := range be {
		out[len(be)-1-i] = c
	}
	return out, nil
}

// deviceAllow is one DeviceAllow= entry (D-Bus type "(ss)").
type deviceAllow struct {
	Path  string
	Perms string
}

// deviceProps turns the device rules into DevicePolicy/DeviceAllow as far
// as systemd can express them: a deny-by-default list of allowed devices.
// A rule list that allows everything gives DevicePolicy=auto; one that
// allows everything but some devices has no systemd form and gets
// strict with nothing allowed (the eBPF program rt loads afterwards on the
// unit's cgroup then decides, as runc does). An empty DeviceAllow first
// clears what an existing unit had. A rule for every minor of a major is
// "char-MAJOR" where systemd reads that (majorGroups, as runc sends it),
// else the major's driver name from /proc/devices ("char-pts").
func deviceProps(rules []specs.LinuxDeviceCgroup, majorGroups bool) ([]sd.Property, error) {
	norm, err := devices.Normalize(rules)
	if err != nil {
		return nil, err
	}
	allowAll, denied, allowed := emulate(norm)
	if allowAll {
		if !denied {
			return []sd.Property{prop("DevicePolicy", "auto"), prop("DeviceAllow", []deviceAllow{})}, nil
		}
		return []sd.Property{prop("DeviceAllow", []deviceAllow{}), prop("DevicePolicy", "strict")}, nil
	}
	list := []deviceAllow{}
	for _, r := range allowed {
		e := deviceAllow{Perms: accessString(r.Access)}
		kind := "char"
		if r.Type == 'b' {
			kind = "block"
		}
		switch {
		case r.Type == 'a':
			// Only an allow-all reaches here with type a, handled above;
			// a partial-access "a" rule covers both kinds.
			list = append(list, deviceAllow{Path: "char-*", Perms: e.Perms}, deviceAllow{Path: "block-*", Perms: e.Perms})
			continue
		case r.Major == -1 && r.Minor == -1:
			e.Path = kind + "-*"
		case r.Major == -1:
			continue // "*:n" has no systemd form; the eBPF program has it
		case r.Minor == -1 && majorGroups:
			e.Path = fmt.Sprintf("%s-%d", kind, r.Major)
		case r.Minor == -1:
			g := deviceGroup(kind, r.Major)
			if g == "" {
				continue // not in /proc/devices: only the eBPF program has it
			}
			e.Path = g
		default:
			e.Path = fmt.Sprintf("/dev/%s/%d:%d", kind, r.Major, r.Minor)
		}
		list = append(list, e)
	}
	return []sd.Property{prop("DeviceAllow", []deviceAllow{}), prop("DevicePolicy", "strict"), prop("DeviceAllow", list)}, nil
}

// emulate runs the rules as the v1 devices controller would, from its
// default of denying everything: allowAll says the result allows all,
// less something when denied; otherwise allowed is the final allow list
// (one entry per device, in first-allowed order, accesses merged).
func emulate(rules []devices.Rule) (allowAll, denied bool, allowed []devices.Rule) {
	type key struct {
		t            byte
		major, minor int64
	}
	var order []key
	acc := map[key]uint32{}
	for _, r := range rules {
		if r.Type == 'a' && r.Major == -1 && r.Minor == -1 && r.Access == 7 {
			allowAll, denied, order, acc = r.Allow, false, nil, map[key]uint32{}
			continue
		}
		k := key{r.Type, r.Major, r.Minor}
		if allowAll {
			denied = denied || !r.Allow
			continue
		}
		if r.Allow {
			if _, ok := acc[k]; !ok {
				order = append(order, k)
			}
			acc[k] |= r.Access
		} else if a, ok := acc[k]; ok {
			acc[k] = a &^ r.Access
		}
	}
	if allowAll {
		return true, denied, nil
	}
	for _, k := range order {
		if a := acc[k]; a != 0 {
			allowed = append(allowed, devices.Rule{Allow: true, Type: k.t, Major: k.major, Minor: k.minor, Access: a})
		}
	}
	return false, false, allowed
}

func accessString(a uint32) string {
	var b strings.Builder
	if a&2 != 0 {
		b.WriteByte('r')
	}
	if a&4 != 0 {
		b.WriteByte('w')
	}
	if a&1 != 0 {
		b.WriteByte('m')
	}
	return b.String()
}

// procDevices is read for the device group names ("char-pts").
var procDevices = "/proc/devices"

// deviceGroup names the driver of a major number from /proc/devices as
// systemd's DeviceAllow wants it ("char-pts" for c 136:*), or "".
func deviceGroup(kind string, major int64) string {
	f, err := os.Open(procDevices)
	if err != nil {
		return ""
	}
	defer f.Close()
	want := "Character devices:"
	if kind == "block" {
		want = "Block devices:"
	}
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasSuffix(line, "devices:") {
			in = line == want
			continue
		}
		num, name, ok := strings.Cut(line, " ")
		if !in || !ok {
			continue
		}
		if n, err := strconv.ParseInt(num, 10, 64); err == nil && n == major {
			return kind + "-" + strings.TrimSpace(name)
		}
	}
	return ""
}
