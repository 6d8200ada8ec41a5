package capabilities

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// linuxCaps is the kernel's list (include/uapi/linux/capability.h), in
// number order, written out here independently of capNames so the fuzz
// target checks the table instead of comparing it with itself.
var linuxCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
	"CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
	"CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
	"CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

func linuxCapNumber(name string) (int, bool) {
	for n, c := range linuxCaps {
		if c == name {
			return n, true
		}
	}
	return -1, false
}

// splitNames turns one fuzz string into a set's names: comma-separated,
// kept byte for byte (no trimming, so " CAP_KILL" stays a wrong name).
func splitNames(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// FuzzNew gives newCaps five random sets and a random cap_last_cap. It must
// not panic and never fail on names; the resulting bit sets hold exactly
// the names the "kernel" has; every other name is in one sorted warning,
// and each ambient capability the kernel would refuse to raise (not in
// permitted and inheritable) has a warning of its own.
func FuzzNew(f *testing.F) {
	f.Add("CAP_CHOWN,CAP_KILL", "CAP_CHOWN", "CAP_CHOWN", "", "", uint8(40))
	f.Add("CAP_AUDIT_WRITE,CAP_KILL,CAP_NET_BIND_SERVICE", "CAP_KILL", "CAP_KILL", "CAP_KILL", "CAP_KILL", uint8(40))
	f.Add("CAP_CHECKPOINT_RESTORE,CAP_BPF", "CAP_PERFMON", "CAP_BPF", "", "CAP_CHECKPOINT_RESTORE", uint8(37))
	f.Add("cap_chown", "", "", "", "", uint8(40))
	f.Add("CAP_KILL ", "CAP_FOO", "", "", "", uint8(40))
	f.Add("", "", "", "", "CAP_SYS_ADMIN,,CAP_SYS_ADMIN", uint8(0))
	f.Add("CAP_ALL", "", "", "", "", uint8(63))
	f.Fuzz(func(t *testing.T, bnd, eff, prm, inh, amb string, last uint8) {
		lastCap := int(last % 64)
		c := &specs.LinuxCapabilities{
			Bounding: splitNames(bnd), Effective: splitNames(eff), Permitted: splitNames(prm),
			Inheritable: splitNames(inh), Ambient: splitNames(amb),
		}
		sets := [][]string{c.Bounding, c.Effective, c.Permitted, c.Inheritable, c.Ambient}
		var want [5]set
		ignored := map[string]bool{}
		for i, names := range sets {
			for _, name := range names {
				n, ok := linuxCapNumber(name)
				if _, known := capNames[name]; known != ok {
					t.Fatalf("capNames[%q] = %v, the kernel's list says %v", name, known, ok)
				}
				if !ok || n > lastCap {
					ignored[name] = true
					continue
				}
				want[i] |= 1 << uint(n)
			}
		}
		var wantWarn []string
		if len(ignored) > 0 {
			var names []string
			for name := range ignored {
				names = append(names, name)
			}
			sort.Strings(names)
			wantWarn = append(wantWarn, "ignoring unknown or unavailable capabilities: ["+strings.Join(names, " ")+"]")
		}
		warnedAmb := map[string]bool{}
		for _, name := range c.Ambient {
			n, ok := linuxCapNumber(name)
			if !ok || n > lastCap || warnedAmb[name] || (want[2].has(n) && want[3].has(n)) {
				continue
			}
			warnedAmb[name] = true
			wantWarn = append(wantWarn, "can't raise ambient capability "+name+": operation not permitted")
		}

		caps, warnings, err := newCaps(c, lastCap, &recorder{})
		if err != nil {
			t.Fatalf("newCaps failed on names: %v", err)
		}
		got := [5]set{caps.bounding, caps.effective, caps.permitted, caps.inheritable, caps.ambient}
		if got != want {
			t.Fatalf("sets = %#x, want %#x (last cap %d)", got, want, lastCap)
		}
		if !reflect.DeepEqual(warnings, wantWarn) {
			t.Fatalf("warnings = %q, want %q", warnings, wantWarn)
		}
		// DropBounding drops exactly what the kernel has outside bounding;
		// Apply raises no ambient capability the kernel would refuse.
		rec := caps.sys.(*recorder)
		if err := caps.DropBounding(); err != nil {
			t.Fatal(err)
		}
		if err := caps.Apply(); err != nil {
			t.Fatal(err)
		}
		var dropped set
		for _, call := range rec.calls {
			var n int
			if _, err := fmt.Sscanf(call, "drop %d", &n); err == nil {
				dropped |= 1 << uint(n)
			}
			if _, err := fmt.Sscanf(call, "ambient raise %d", &n); err == nil && (!want[4].has(n) || !want[2].has(n) || !want[3].has(n)) {
				t.Fatalf("raised ambient %d outside ambient∩permitted∩inheritable", n)
			}
		}
		kernel := set(1<<uint(lastCap+1) - 1)
		if lastCap == 63 {
			kernel = ^set(0)
		}
		if dropped != kernel&^want[0] {
			t.Fatalf("dropped %#x, want %#x (last cap %d)", dropped, kernel&^want[0], lastCap)
		}
	})
}

// TestKnownNamesMatchKernelList: the table and the kernel's list are the
// same set, so FuzzNew's oracle and the code agree on what "known" means.
func TestKnownNamesMatchKernelList(t *testing.T) {
	if len(capNames) != len(linuxCaps) {
		t.Fatalf("capNames has %d names, the kernel list %d", len(capNames), len(linuxCaps))
	}
	for n, name := range linuxCaps {
		if got, ok := capNames[name]; !ok || got != n {
			t.Errorf("capNames[%q] = %d, %v; want %d", name, got, ok, n)
		}
	}
}
