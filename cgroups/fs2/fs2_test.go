package fs2

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestConversions(t *testing.T) {
	for _, tc := range []struct{ shares, weight uint64 }{{0, 0}, {1, 1}, {2, 1}, {3, 2}, {512, 59}, {1024, 100}, {2048, 174}, {262143, 10000}, {262144, 10000}, {1 << 20, 10000}} {
		if got := SharesToWeight(tc.shares); got != tc.weight {
			t.Errorf("SharesToWeight(%d) = %d, want %d", tc.shares, got, tc.weight)
		}
	}
	for _, tc := range []struct{ blkio, io uint64 }{{0, 0}, {10, 1}, {500, 4950}, {1000, 10000}} {
		if got := BlkioWeightToIOWeight(tc.blkio); got != tc.io {
			t.Errorf("BlkioWeightToIOWeight(%d) = %d, want %d", tc.blkio, got, tc.io)
		}
	}
	i := func(v int64) *int64 { return &v }
	for _, tc := range []struct {
		swap  int64
		limit *int64
		want  string
		bad   bool
	}{
		{-1, nil, "max", false},
		{200, i(100), "100", false},
		{100, i(100), "0", false},
		{50, i(100), "", true},
		{100, nil, "", true},
		{100, i(-1), "max", false},
	} {
		got, err := SwapMax(tc.swap, tc.limit)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("SwapMax(%d, %v) = %q, %v", tc.swap, tc.limit, got, err)
		}
	}
	if got := CPUMax("50000", "100000"); got != "50000 100000" {
		t.Errorf("CPUMax = %q", got)
	}
	if got := IOMaxLine(specs.LinuxThrottleDevice{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 0}, "rbps"); got != "8:0 rbps=max" {
		t.Errorf("IOMaxLine = %q", got)
	}
}

// fakeTree makes a cgroup2-looking tree of plain files under a temp dir.
func fakeTree(t *testing.T, files map[string]string) *Manager {
	root := t.TempDir()
	dir := filepath.Join(root, "pod", "ctr")
	for rel, content := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := New(root, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func read(t *testing.T, m *Manager, rel string) string {
	b, err := os.ReadFile(filepath.Join(m.Root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSetFakeTree(t *testing.T) {
	c := "pod/ctr/"
	m := fakeTree(t, map[string]string{
		"cgroup.controllers": "cpu memory hugetlb", "cgroup.subtree_control": "",
		"pod/cgroup.controllers": "hugetlb", "pod/cgroup.subtree_control": "",
		c + "memory.max": "max", c + "memory.swap.max": "max", c + "memory.low": "0", c + "memory.current": "4096",
		c + "cpu.weight": "100", c + "cpu.max": "max 100000", c + "cpu.max.burst": "0", c + "cpu.idle": "0",
		c + "cpuset.cpus": "", c + "cpuset.mems": "",
		c + "pids.max": "max", c + "io.weight": "default 100", c + "io.max": "",
		c + "hugetlb.2MB.max": "max", c + "rdma.max": "", c + "memory.high": "max",
	})
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: ptr(int64(1 << 20)), Swap: ptr(int64(3 << 20)), Reservation: ptr(int64(1024))},
		CPU:    &specs.LinuxCPU{Shares: ptr(uint64(1024)), Quota: ptr(int64(50000)), Burst: ptr(uint64(1000)), Cpus: "0-1", Mems: "0", Idle: ptr(int64(1))},
		Pids:   &specs.LinuxPids{Limit: ptr(int64(-1))},
		BlockIO: &specs.LinuxBlockIO{
			Weight:                ptr(uint16(500)),
			ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 1048576}},
		},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}},
		Rdma:           map[string]specs.LinuxRdma{"mlx5_0": {HcaHandles: ptr(uint32(3))}},
		Unified:        map[string]string{"memory.high": "900000"},
	}
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]string{
		c + "memory.max": "1048576", c + "memory.swap.max": "2097152", c + "memory.low": "1024",
		c + "cpu.weight": "100", c + "cpu.max": "50000 100000", c + "cpu.max.burst": "1000", c + "cpu.idle": "1",
		c + "cpuset.cpus": "0-1", c + "cpuset.mems": "0", c + "pids.max": "max",
		c + "io.weight": "4950", c + "io.max": "8:0 rbps=1048576", c + "hugetlb.2MB.max": "4194304",
		c + "rdma.max": "mlx5_0 hca_handle=3", c + "memory.high": "900000",
		"cgroup.subtree_control": "+hugetlb", "pod/cgroup.subtree_control": "+hugetlb",
	} {
		if got := read(t, m, f); got != want {
			t.Errorf("%s = %q, want %q", f, got, want)
		}
	}

	// Only the period changes: the quota in cpu.max is kept.
	if err := m.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{Period: ptr(uint64(200000))}}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, m, c+"cpu.max"); got != "50000 200000" {
		t.Errorf("cpu.max after period update = %q", got)
	}

	for name, bad := range map[string]*specs.LinuxResources{
		"checkBeforeUpdate": {Memory: &specs.LinuxMemory{Limit: ptr(int64(1024)), CheckBeforeUpdate: ptr(true)}},
		"realtime":          {CPU: &specs.LinuxCPU{RealtimeRuntime: ptr(int64(1))}},
		"network":           {Network: &specs.LinuxNetwork{ClassID: ptr(uint32(1))}},
		"unified path":      {Unified: map[string]string{"../x.y": "1"}},
		"unified procs":     {Unified: map[string]string{"cgroup.procs": "1"}},
		"unified missing":   {Unified: map[string]string{"memory.zswap.max": "1"}},
	} {
		if err := m.Set(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestStatsFakeTree(t *testing.T) {
	c := "pod/ctr/"
	m := fakeTree(t, map[string]string{
		c + "cpu.stat":       "usage_usec 10\nuser_usec 6\nsystem_usec 4\nnr_periods 3\nnr_throttled 1\nthrottled_usec 2\n",
		c + "memory.stat":    "anon 100\nfile 200\n",
		c + "memory.current": "300\n", c + "memory.max": "max\n", c + "memory.peak": "400\n",
		c + "memory.events":       "low 0\nhigh 0\nmax 7\noom 0\n",
		c + "memory.swap.current": "50\n", c + "memory.swap.max": "1000\n",
		c + "pids.current": "2\n", c + "pids.max": "10\n",
		c + "io.stat": "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n",
	})
	s, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.CPU.Usage.Total != 10000 || s.CPU.Usage.User != 6000 || s.CPU.Throttling.ThrottledTime != 2000 {
		t.Errorf("cpu = %+v", s.CPU)
	}
	if u := s.Memory.Usage; u.Usage != 300 || u.Max != 400 || u.Failcnt != 7 || s.Memory.Cache != 200 {
		t.Errorf("memory = %+v", s.Memory)
	}
	if s.Memory.Swap.Usage != 350 {
		t.Errorf("swap = %+v", s.Memory.Swap)
	}
	if s.Pids.Current != 2 || s.Pids.Limit != 10 {
		t.Errorf("pids = %+v", s.Pids)
	}
	if len(s.Blkio.IoServiceBytesRecursive) != 3 || s.Blkio.IoServiceBytesRecursive[1].Value != 8192 ||
		s.Blkio.IoServicedRecursive[0].Op != "Read" {
		t.Errorf("blkio = %+v", s.Blkio)
	}
}

func TestNewOutsideRoot(t *testing.T) {
	if _, err := New("/sys/fs/cgroup", "/etc/x", true); err == nil {
		t.Error("dir outside the mount accepted")
	}
	m, err := New("/r", "/r/a/b/c", true)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(m.ancestors(), " "); got != "/r /r/a /r/a/b" {
		t.Errorf("ancestors = %s", got)
	}
}

func ptr[T any](v T) *T { return &v }

func TestFrozenJoinProcsFakeTree(t *testing.T) {
	m := fakeTree(t, map[string]string{"pod/ctr/cgroup.freeze": "0\n", "pod/ctr/cgroup.procs": ""})
	if f, err := m.Frozen(); f || err != nil {
		t.Errorf("cgroup.freeze 0: Frozen() = %v, %v", f, err)
	}
	if err := os.WriteFile(filepath.Join(m.Dir, "cgroup.freeze"), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if f, err := m.Frozen(); !f || err != nil {
		t.Errorf("cgroup.freeze 1: Frozen() = %v, %v", f, err)
	}
	if err := m.JoinProcs(42); err != nil {
		t.Fatal(err)
	}
	if got := read(t, m, "pod/ctr/cgroup.procs"); got != "42" {
		t.Errorf("cgroup.procs = %q after JoinProcs(42)", got)
	}
	// JoinProcs creates nothing: a missing dir is an error.
	gone, err := New(m.Root, filepath.Join(m.Root, "gone"), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := gone.JoinProcs(42); err == nil {
		t.Error("JoinProcs into a missing dir succeeded")
	}
	if _, err := os.Stat(gone.Dir); err == nil {
		t.Error("JoinProcs made the dir")
	}
	if _, err := gone.Frozen(); err == nil {
		t.Error("Frozen of a missing dir: no error")
	}
}
