package systemd

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	sd "github.com/coreos/go-systemd/v22/dbus"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestParseCgroupsPath(t *testing.T) {
	for _, tc := range []struct {
		in, id     string
		slice      string
		name, path string
		err        string
	}{
		{in: "", id: "c1", slice: "system.slice", name: "rt-c1.scope", path: "/system.slice/rt-c1.scope"},
		{in: "::x", slice: "system.slice", name: "-x.scope", path: "/system.slice/-x.scope"},
		{in: "user.slice:docker:abc", slice: "user.slice", name: "docker-abc.scope", path: "/user.slice/docker-abc.scope"},
		{in: "a-b-c.slice:p:n", slice: "a-b-c.slice", name: "p-n.scope", path: "/a.slice/a-b.slice/a-b-c.slice/p-n.scope"},
		{in: "-.slice:p:n", slice: "-.slice", name: "p-n.scope", path: "/p-n.scope"},
		{in: "kubepods.slice:crio:kubepods-pod1.slice", slice: "kubepods.slice", name: "kubepods-pod1.slice", path: "/kubepods.slice/kubepods-pod1.slice"},
		{in: "/foo", err: `expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got "/foo" instead`},
		{in: "a:b", err: "expected cgroupsPath"},
		{in: "foo:p:n", err: "invalid slice name: foo"},
		{in: "a/b.slice:p:n", err: "invalid slice name: a/b.slice"},
		{in: "a--b.slice:p:n", err: "invalid slice name: a--b.slice"},
		{in: ".slice:p:n", err: "invalid slice name: .slice"},
		{in: "system.slice:p/q:n", err: "invalid systemd unit name"},
		{in: "system.slice:p:", err: "unit name is empty"},
	} {
		u, err := ParseCgroupsPath(tc.in, tc.id)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if u.Slice != tc.slice || u.Name != tc.name || u.Path() != tc.path {
			t.Errorf("%q: got %+v path %s, want %s %s %s", tc.in, u, u.Path(), tc.slice, tc.name, tc.path)
		}
	}
}

// props maps name -> value for comparison (repeated names keep the last).
func props(p []sd.Property) map[string]any {
	m := map[string]any{}
	for _, x := range p {
		m[x.Name] = x.Value.Value()
	}
	return m
}

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }
func u16(v uint16) *uint16 { return &v }
func names(p []sd.Property) string {
	var n []string
	for _, x := range p {
		n = append(n, x.Name)
	}
	return strings.Join(n, " ")
}

func TestResourceProps(t *testing.T) {
	all := featuresOf(252)
	r := &specs.LinuxResources{
		Memory:  &specs.LinuxMemory{Limit: i64(64 << 20), Reservation: i64(32 << 20), Swap: i64(96 << 20)},
		CPU:     &specs.LinuxCPU{Shares: u64(1024), Quota: i64(50000), Period: u64(100000), Cpus: "0-1", Mems: "0"},
		BlockIO: &specs.LinuxBlockIO{Weight: u16(500)},
		Pids:    &specs.LinuxPids{Limit: i64(99)},
	}
	p, err := resourceProps(r, true, all)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"MemoryMax": uint64(64 << 20), "MemoryLow": uint64(32 << 20), "MemorySwapMax": uint64(32 << 20),
		"CPUWeight": uint64(100), "CPUQuotaPeriodUSec": uint64(100000), "CPUQuotaPerSecUSec": uint64(500000),
		"AllowedCPUs": []byte{3}, "AllowedMemoryNodes": []byte{1}, "IOWeight": uint64(4950), "TasksMax": uint64(99),
	}
	if got := props(p); !reflect.DeepEqual(got, want) {
		t.Errorf("v2:\n got %v\nwant %v", got, want)
	}
	p, err = resourceProps(r, false, all)
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]any{
		"MemoryLimit": uint64(64 << 20), "CPUShares": uint64(1024), "CPUQuotaPeriodUSec": uint64(100000),
		"CPUQuotaPerSecUSec": uint64(500000), "AllowedCPUs": []byte{3}, "AllowedMemoryNodes": []byte{1},
		"BlockIOWeight": uint64(500), "TasksMax": uint64(99),
	}
	if got := props(p); !reflect.DeepEqual(got, want) {
		t.Errorf("v1:\n got %v\nwant %v", got, want)
	}
	// An older systemd gets no properties it does not know.
	p, _ = resourceProps(r, true, featuresOf(239))
	if n := names(p); strings.Contains(n, "Allowed") || strings.Contains(n, "CPUQuotaPeriodUSec") {
		t.Errorf("systemd 239 got %s", n)
	}
	// Nothing set, nothing sent (an update sends only what changes).
	if p, _ := resourceProps(&specs.LinuxResources{Memory: &specs.LinuxMemory{}}, true, all); len(p) != 0 {
		t.Errorf("empty memory gave %s", names(p))
	}
	// -1 is infinity; pids 0 is left to the file.
	p, _ = resourceProps(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1), Swap: i64(-1)}, Pids: &specs.LinuxPids{Limit: i64(0)}}, true, all)
	if got := props(p); got["MemoryMax"] != infinity || got["MemorySwapMax"] != infinity || got["TasksMax"] != nil {
		t.Errorf("unlimited: %v", got)
	}
	if _, err := resourceProps(&specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: i64(1 << 20)}}, true, all); err == nil {
		t.Error("swap without a memory limit accepted")
	}
}

func TestQuota(t *testing.T) {
	for _, tc := range []struct {
		quota  *int64
		period *uint64
		want   map[string]any
	}{
		{quota: i64(12345), want: map[string]any{"CPUQuotaPerSecUSec": uint64(130000)}},
		{quota: i64(20000), period: u64(50000), want: map[string]any{"CPUQuotaPerSecUSec": uint64(400000), "CPUQuotaPeriodUSec": uint64(50000)}},
		{quota: i64(-1), want: map[string]any{"CPUQuotaPerSecUSec": infinity}},
		{period: u64(200000), want: map[string]any{"CPUQuotaPerSecUSec": infinity, "CPUQuotaPeriodUSec": uint64(200000)}},
		{want: map[string]any{}},
	} {
		if got := props(quotaProps(tc.quota, tc.period, featuresOf(252))); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("quota %v period %v: got %v, want %v", tc.quota, tc.period, got, tc.want)
		}
	}
}

func TestUnifiedProps(t *testing.T) {
	p, err := unifiedProps(map[string]string{
		"cpu.max": "max 20000", "cpu.weight": "77", "memory.high": "1048576", "memory.min": "4096",
		"memory.max": "max", "pids.max": "10", "cpuset.cpus": "1,3", "io.weight": "default 100",
	}, featuresOf(252))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"CPUQuotaPerSecUSec": infinity, "CPUQuotaPeriodUSec": uint64(20000), "CPUWeight": uint64(77),
		"MemoryHigh": uint64(1048576), "MemoryMin": uint64(4096), "MemoryMax": infinity, "TasksMax": uint64(10),
		"AllowedCPUs": []byte{0x0a},
	}
	if got := props(p); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if _, err := unifiedProps(map[string]string{"memory.high": "lots"}, featuresOf(252)); err == nil {
		t.Error("bad memory.high accepted")
	}
}

func TestListToBits(t *testing.T) {
	for in, want := range map[string][]byte{
		"0": {1}, "0-7": {0xff}, "8": {0, 1}, "1,9-10": {2, 6}, "0-2,16": {7, 0, 1},
	} {
		got, err := listToBits(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "a", "3-1", "1-", "99999"} {
		if _, err := listToBits(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestDeviceProps(t *testing.T) {
	dir := t.TempDir()
	procDevices = filepath.Join(dir, "devices")
	defer func() { procDevices = "/proc/devices" }()
	os.WriteFile(procDevices, []byte("Character devices:\n  1 mem\n136 pts\n\nBlock devices:\n  7 loop\n"), 0o644)
	rule := func(allow bool, typ string, major, minor int64, acc string) specs.LinuxDeviceCgroup {
		r := specs.LinuxDeviceCgroup{Allow: allow, Type: typ, Access: acc}
		if major != -2 {
			r.Major = i64(major)
		}
		if minor != -2 {
			r.Minor = i64(minor)
		}
		return r
	}
	for i, tc := range []struct {
		rules   []specs.LinuxDeviceCgroup
		byMajor bool
		want    string
	}{
		{[]specs.LinuxDeviceCgroup{
			rule(false, "a", -2, -2, "rwm"),
			rule(true, "c", 1, 3, "rwm"), rule(true, "c", 1, 3, "r"),
			rule(true, "c", 136, -2, "rwm"), rule(true, "c", -2, -2, "m"), rule(true, "b", 7, -1, "rw"),
			rule(true, "c", 5, 1, "rwm"), rule(false, "c", 5, 1, "rwm"), rule(true, "c", 99, -2, "rwm"),
		}, false, "DeviceAllow=[] DevicePolicy=strict DeviceAllow=[/dev/char/1:3 rwm; char-pts rwm; char-* m; block-loop rw]"},
		{[]specs.LinuxDeviceCgroup{rule(true, "a", -2, -2, "rwm")}, false, "DevicePolicy=auto DeviceAllow=[]"},
		{[]specs.LinuxDeviceCgroup{rule(true, "", -2, -2, ""), rule(false, "c", 1, 3, "rwm")}, false, "DeviceAllow=[] DevicePolicy=strict"},
		{[]specs.LinuxDeviceCgroup{}, false, "DeviceAllow=[] DevicePolicy=strict DeviceAllow=[]"},
		// systemd 240 and later: majors by number, /proc/devices not needed.
		{[]specs.LinuxDeviceCgroup{
			rule(false, "a", -2, -2, "rwm"), rule(true, "c", 136, -2, "rwm"), rule(true, "c", 99, -2, "rwm"),
			rule(true, "b", 7, -1, "rw"),
		}, true, "DeviceAllow=[] DevicePolicy=strict DeviceAllow=[char-136 rwm; char-99 rwm; block-7 rw]"},
	} {
		p, err := deviceProps(tc.rules, tc.byMajor)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, x := range p {
			switch v := x.Value.Value().(type) {
			case string:
				out = append(out, x.Name+"="+v)
			case []deviceAllow:
				var e []string
				for _, d := range v {
					e = append(e, d.Path+" "+d.Perms)
				}
				out = append(out, x.Name+"=["+strings.Join(e, "; ")+"]")
			default:
				out = append(out, fmt.Sprintf("%s=%T", x.Name, v))
			}
		}
		if got := strings.Join(out, " "); got != tc.want {
			t.Errorf("%d:\n got %s\nwant %s", i, got, tc.want)
		}
	}
}

func TestAnnotationProps(t *testing.T) {
	p, err := AnnotationProps(map[string]string{
		"org.systemd.property.TimeoutStopSec": "uint64 3",
		"org.systemd.property.CollectMode":    "'inactive-or-failed'",
		"org.other":                           "x",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"CollectMode": "inactive-or-failed", "TimeoutStopUSec": uint64(3000000)}
	if got := props(p); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for k, v := range map[string]string{
		"org.systemd.property.X":      "1",
		"org.systemd.property.lower":  "1",
		"org.systemd.property.Bad-1":  "1",
		"org.systemd.property.Foo":    "not gvariant",
		"org.systemd.property.AbcSec": "'str'",
	} {
		if _, err := AnnotationProps(map[string]string{k: v}); err == nil {
			t.Errorf("%s=%s accepted", k, v)
		}
	}
}

func TestUnitProps(t *testing.T) {
	u, _ := ParseCgroupsPath("", "c")
	if n := names(unitProps(u, 42, true)); n != "Description Slice Delegate PIDs MemoryAccounting CPUAccounting IOAccounting TasksAccounting DefaultDependencies" {
		t.Errorf("scope v2: %s", n)
	}
	if n := names(unitProps(u, 42, false)); !strings.Contains(n, "BlockIOAccounting") || strings.Contains(n, " IOAccounting") {
		t.Errorf("scope v1: %s", n)
	}
	s, _ := ParseCgroupsPath("machine.slice:x:machine-pod.slice", "c")
	if n := names(unitProps(s, 0, true)); strings.Contains(n, "Delegate") || !strings.Contains(n, "Wants") || strings.Contains(n, "PIDs") {
		t.Errorf("slice: %s", n)
	}
	if parseVersion(`"252.38-1~deb12u1"`) != 252 || parseVersion("v257") != 257 || parseVersion("") != 0 {
		t.Error("parseVersion")
	}
}
