package fs

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rt-runtime/rt/cgroups/internal/cgfile"
)

func TestParseBlkioEntries(t *testing.T) {
	e, err := ParseBlkioEntries("8:0 Read 4096\n8:0 Write 512\n8:16 77\nTotal 4608\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(e) != 3 || e[0].Op != "Read" || e[0].Value != 4096 || e[2].Minor != 16 || e[2].Op != "" || e[2].Value != 77 {
		t.Errorf("entries = %+v", e)
	}
	if _, err := ParseBlkioEntries("80 Read x\n"); err == nil {
		t.Error("bad line accepted")
	}
}

func TestPageSizeName(t *testing.T) {
	for in, want := range map[string]string{"hugepages-2048kB": "2MB", "hugepages-1048576kB": "1GB", "hugepages-64kB": "64KB"} {
		if got, err := cgfile.PageSizeName(in); err != nil || got != want {
			t.Errorf("PageSizeName(%q) = %q, %v", in, got, err)
		}
	}
}

func TestPidsMax(t *testing.T) {
	if pidsMax(0) != "1" || pidsMax(-1) != "max" || pidsMax(5) != "5" {
		t.Error("pidsMax")
	}
}

// The table keeps runc's order: cpuset before memory (memory migration
// needs its nodes), devices before the rest.
func TestControllerOrder(t *testing.T) {
	var names []string
	for _, c := range controllers {
		if c.set != nil {
			names = append(names, c.name)
		}
	}
	want := []string{"cpuset", "devices", "memory", "cpu", "pids", "blkio", "hugetlb", "net_cls", "net_prio", "rdma"}
	if !slices.Equal(names, want) {
		t.Errorf("Set order %v, want %v", names, want)
	}
	for _, c := range controllers {
		if c.set != nil && (c.wants == nil || c.field == "") {
			t.Errorf("%s: a set function needs wants and field", c.name)
		}
	}
}

// fakeV1 makes one plain dir per controller under a temp dir, holding the
// files given as "controller/file".
func fakeV1(t *testing.T, files map[string]string) *Manager {
	root := t.TempDir()
	paths := map[string]string{}
	for rel, content := range files {
		ctrl, _, _ := strings.Cut(rel, "/")
		paths[ctrl] = filepath.Join(root, ctrl)
		if err := os.MkdirAll(paths[ctrl], 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, rel), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return New(paths)
}

func TestSetStatsFakeTree(t *testing.T) {
	m := fakeV1(t, map[string]string{
		"cpuset/cpuset.cpus": "", "cpuset/cpuset.mems": "",
		"memory/memory.limit_in_bytes": "9223372036854771712", "memory/memory.soft_limit_in_bytes": "",
		"cpu/cpu.shares": "", "cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000",
		"pids/pids.max": "max", "pids/pids.current": "3",
		"net_cls/net_cls.classid": "0", "net_prio/net_prio.ifpriomap": "",
		"hugetlb/hugetlb.2MB.limit_in_bytes": "",
	})
	shares := uint64(512)
	r := &specs.LinuxResources{
		CPU:            &specs.LinuxCPU{Cpus: "0", Mems: "0", Shares: &shares, Quota: ptr(int64(50000))},
		Memory:         &specs.LinuxMemory{Limit: ptr(int64(1 << 20)), Reservation: ptr(int64(4096))},
		Pids:           &specs.LinuxPids{Limit: ptr(int64(0))},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 2 << 20}},
		Network:        &specs.LinuxNetwork{ClassID: ptr(uint32(0x100001)), Priorities: []specs.LinuxInterfacePriority{{Name: "eth0", Priority: 5}}},
	}
	// cpu.shares is read back: the fake file holds what was written.
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	for rel, want := range map[string]string{
		"cpuset/cpuset.cpus": "0", "cpuset/cpuset.mems": "0",
		"memory/memory.limit_in_bytes": "1048576", "memory/memory.soft_limit_in_bytes": "4096",
		"cpu/cpu.shares": "512", "cpu/cpu.cfs_quota_us": "50000", "pids/pids.max": "1",
		"net_cls/net_cls.classid": "1048577", "net_prio/net_prio.ifpriomap": "eth0 5",
		"hugetlb/hugetlb.2MB.limit_in_bytes": "2097152",
	} {
		d, _, _ := strings.Cut(rel, "/")
		got, err := cgfile.Read(m.paths[d], filepath.Base(rel))
		if err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", rel, got, err, want)
		}
	}
	// A field whose controller is not mounted names both.
	err := m.Set(&specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"mlx5_0": {HcaHandles: ptr(uint32(1))}}})
	if err == nil || err.Error() != "linux.resources.rdma: the rdma cgroup controller is not mounted" {
		t.Errorf("rdma without the controller: %v", err)
	}
	if err := m.Set(&specs.LinuxResources{Unified: map[string]string{"memory.max": "1"}}); err == nil {
		t.Error("unified accepted on v1")
	}
	// Nothing set, nothing needed: no error for the missing blkio.
	if err := m.Set(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{}}); err != nil {
		t.Errorf("empty blockIO: %v", err)
	}

	pm := fakeV1(t, map[string]string{"pids/pids.max": "7", "pids/pids.current": "3"})
	s, err := pm.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.Pids.Current != 3 || s.Pids.Limit != 7 {
		t.Errorf("pids stats = %+v", s.Pids)
	}
}

func ptr[T any](v T) *T { return &v }
