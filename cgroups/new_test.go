package cgroups

import (
	"reflect"
	"strings"
	"testing"

	"github.com/rt-runtime/rt/cgroups/internal/hier"
)

const fakeMountinfo = `31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
`

const fakeSelf = `9:name=systemd:/user.slice
4:memory:/process_api/abc
2:cpu,cpuacct:/
0::/user.slice
`

func fakeHost(t *testing.T) (*hier.Layout, hier.Own) {
	l, err := hier.ParseMountinfo(strings.NewReader(fakeMountinfo))
	if err != nil {
		t.Fatal(err)
	}
	self, err := hier.ParseProcCgroup(strings.NewReader(fakeSelf))
	if err != nil {
		t.Fatal(err)
	}
	return l, self
}

func TestNewForPaths(t *testing.T) {
	l, self := fakeHost(t)
	for _, tc := range []struct {
		mode       CgroupMode
		path, id   string
		want       Paths
		wantErrSub string
	}{
		{mode: Legacy, path: "", id: "c1", want: Paths{V1: map[string]string{
			"cpu": "/sys/fs/cgroup/cpu,cpuacct/c1", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct/c1",
			"memory": "/sys/fs/cgroup/memory/c1", "name=systemd": "/sys/fs/cgroup/systemd/c1",
		}}},
		{mode: Hybrid, path: "pod/c2", want: Paths{V1: map[string]string{
			"cpu": "/sys/fs/cgroup/cpu,cpuacct/pod/c2", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct/pod/c2",
			"memory": "/sys/fs/cgroup/memory/process_api/abc/pod/c2", "name=systemd": "/sys/fs/cgroup/systemd/user.slice/pod/c2",
		}, V2: "/sys/fs/cgroup/unified/user.slice/pod/c2"}},
		{mode: Legacy, path: "../../etc", wantErrSub: "leaves rt's own cgroup"},
		{mode: Legacy, path: "/a/../../b", want: Paths{V1: map[string]string{
			"cpu": "/sys/fs/cgroup/cpu,cpuacct/b", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct/b",
			"memory": "/sys/fs/cgroup/memory/b", "name=systemd": "/sys/fs/cgroup/systemd/b",
		}}},
		{mode: Legacy, wantErrSub: "neither"},
	} {
		m, err := newFor(tc.mode, l, self, tc.path, tc.id)
		if tc.wantErrSub != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErrSub) {
				t.Errorf("%q: err = %v, want %q", tc.path, err, tc.wantErrSub)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tc.path, err)
		}
		got := m.Paths()
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: Paths() = %+v, want %+v", tc.path, got, tc.want)
		}
		// Load must give back the same layout.
		loaded, err := load(got)
		if err != nil {
			t.Fatal(err)
		}
		if _, isHybrid := loaded.(*hybrid); isHybrid != (tc.mode == Hybrid) {
			t.Errorf("%q: Load gave %T", tc.path, loaded)
		}
	}
}

func TestNewForUnified(t *testing.T) {
	l, err := hier.ParseMountinfo(strings.NewReader("41 23 0:38 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := newFor(Unified, l, hier.Own{V2: "/system.slice/rt.service"}, "ctr", "x")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Paths(); got.V2 != "/sys/fs/cgroup/system.slice/rt.service/ctr" || got.V1 != nil {
		t.Errorf("v2 paths = %+v", got)
	}
}

func TestDetectMode(t *testing.T) {
	for _, tc := range []struct {
		v2   []string
		want CgroupMode
	}{
		{nil, Legacy},
		{[]string{unifiedRoot}, Hybrid},
		{[]string{cgroupRoot}, Unified},
	} {
		got := detectMode(func(p string) bool {
			for _, v := range tc.v2 {
				if v == p {
					return true
				}
			}
			return false
		})
		if got != tc.want {
			t.Errorf("v2 at %v: mode %v, want %v", tc.v2, got, tc.want)
		}
	}
	if Mode() != Hybrid {
		t.Logf("this host is %v", Mode())
	}
}
