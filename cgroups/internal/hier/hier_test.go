package hier

import (
	"strings"
	"testing"
)

func TestParseMountinfo(t *testing.T) {
	in := `32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 /docker/x /sys/fs/cgroup/my\040mem rw shared:5 - cgroup cgroup rw,memory,nosuid
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
50 31 0:40 / /proc rw - proc proc rw
`
	l, err := ParseMountinfo(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if l.V1["cpu"].Mountpoint != "/sys/fs/cgroup/cpu" || l.V1["cpuacct"].Mountpoint != "/sys/fs/cgroup/cpuacct" {
		t.Errorf("cpu/cpuacct = %+v / %+v", l.V1["cpu"], l.V1["cpuacct"])
	}
	mem := l.V1["memory"]
	if mem.Mountpoint != "/sys/fs/cgroup/my mem" || mem.Root != "/docker/x" {
		t.Errorf("memory = %+v", mem)
	}
	if len(l.V1) != 3 {
		t.Errorf("V1 = %v", l.V1)
	}
	if l.Unified == nil || l.Unified.Mountpoint != "/sys/fs/cgroup/unified" {
		t.Errorf("Unified = %+v", l.Unified)
	}
	if _, err := ParseMountinfo(strings.NewReader("garbage\n")); err == nil {
		t.Error("garbage line accepted")
	}
}

func TestParseProcCgroup(t *testing.T) {
	m, err := ParseProcCgroup(strings.NewReader("3:cpu,cpuacct:/a\n1:name=systemd:/b\n0::/c\n"))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"cpu": "/a", "cpuacct": "/a", "cpu,cpuacct": "/a", "name=systemd": "/b"} {
		if m.V1[k] != v {
			t.Errorf("%q = %q, want %q", k, m.V1[k], v)
		}
	}
	if len(m.V1) != 4 || m.V2 != "/c" {
		t.Errorf("V1 %v, V2 %q; want 4 v1 entries and /c", m.V1, m.V2)
	}
}

func TestDir(t *testing.T) {
	root := Mount{Mountpoint: "/sys/fs/cgroup/memory", Root: "/"}
	sub := Mount{Mountpoint: "/sys/fs/cgroup/memory", Root: "/docker/x"}
	for _, tc := range []struct {
		m         Mount
		own, path string
		want      string
	}{
		{root, "/user", "/abs", "/sys/fs/cgroup/memory/abs"},
		{root, "/user", "rel", "/sys/fs/cgroup/memory/user/rel"},
		{sub, "/docker/x/inner", "rel", "/sys/fs/cgroup/memory/inner/rel"},
		{sub, "/", "rel", "/sys/fs/cgroup/memory/rel"},
	} {
		if got := Dir(tc.m, tc.own, tc.path); got != tc.want {
			t.Errorf("Dir(%+v, %q, %q) = %q, want %q", tc.m, tc.own, tc.path, got, tc.want)
		}
	}
	for _, bad := range []string{"..", "../x", "a/../../x"} {
		if _, err := CleanPath(bad); err == nil {
			t.Errorf("CleanPath(%q) accepted", bad)
		}
	}
}
