package cgroups

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// oldHybridJSON is the cgroupPaths object of a state.json written by rt
// before Paths was a type (a hybrid host: the unified dir under "").
const oldHybridJSON = `{"": "/sys/fs/cgroup/unified/x", "cpu": "/sys/fs/cgroup/cpu/x", "cpuacct": "/sys/fs/cgroup/cpuacct/x", "memory": "/sys/fs/cgroup/memory/x", "name=systemd": "/sys/fs/cgroup/systemd/x"}`

func TestPathsJSON(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Paths
	}{
		{oldHybridJSON, Paths{V1: map[string]string{
			"cpu": "/sys/fs/cgroup/cpu/x", "cpuacct": "/sys/fs/cgroup/cpuacct/x",
			"memory": "/sys/fs/cgroup/memory/x", "name=systemd": "/sys/fs/cgroup/systemd/x",
		}, V2: "/sys/fs/cgroup/unified/x"}},
		{`{"": "/sys/fs/cgroup/x"}`, Paths{V2: "/sys/fs/cgroup/x"}},
		{`{"pids": "/sys/fs/cgroup/pids/x"}`, Paths{V1: map[string]string{"pids": "/sys/fs/cgroup/pids/x"}}},
		{`{}`, Paths{}},
		{`null`, Paths{}},
	} {
		var p Paths
		if err := json.Unmarshal([]byte(tc.in), &p); err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if !reflect.DeepEqual(p, tc.want) {
			t.Errorf("%s: decoded %+v, want %+v", tc.in, p, tc.want)
		}
		// Written back it is the same object, so an older rt reads it.
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var got, want map[string]string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(tc.in), &want); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
			t.Errorf("%s: encoded as %s", tc.in, b)
		}
	}
	if err := json.Unmarshal([]byte(`["x"]`), new(Paths)); err == nil {
		t.Error("an array decoded as Paths")
	}
	// omitzero leaves a zero Paths out, as omitempty did the empty map.
	b, err := json.Marshal(struct {
		P Paths `json:"cgroupPaths,omitzero"`
	}{})
	if err != nil || string(b) != "{}" {
		t.Errorf("zero Paths encoded as %s, %v", b, err)
	}
}

func TestPathsDirs(t *testing.T) {
	p := Paths{V1: map[string]string{"cpu": "/c/cpu,cpuacct/x", "cpuacct": "/c/cpu,cpuacct/x", "memory": "/c/memory/x"}, V2: "/c/unified/x"}
	want := []string{"/c/cpu,cpuacct/x", "/c/memory/x", "/c/unified/x"}
	if got := p.Dirs(); !reflect.DeepEqual(got, want) {
		t.Errorf("Dirs() = %v, want %v", got, want)
	}
	if got := (Paths{}).Dirs(); len(got) != 0 {
		t.Errorf("zero Dirs() = %v", got)
	}
}

func TestPathsSub(t *testing.T) {
	root := t.TempDir()
	mk := func(parts ...string) string {
		d := filepath.Join(append([]string{root}, parts...)...)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	v1 := Paths{V1: map[string]string{"pids": mk("pids", "c"), "memory": mk("memory", "c"), "freezer": mk("freezer", "c")}}
	hyb := v1.clone()
	hyb.V2 = mk("unified", "c")
	v2 := Paths{V2: mk("v2", "c")}
	for _, d := range []string{"pids", "memory", "freezer", "unified", "v2"} {
		mk(d, "c", "child")
	}
	mk("v2", "c", "a", "b")

	for _, tc := range []struct {
		name    string
		p       Paths
		args    []string
		want    Paths
		wantErr string
	}{
		{"v1 some controllers", v1, []string{"pids,memory:child", "freezer:/child"}, Paths{V1: map[string]string{
			"pids": v1.V1["pids"] + "/child", "memory": v1.V1["memory"] + "/child", "freezer": v1.V1["freezer"] + "/child",
		}}, ""},
		{"v1 one controller", v1, []string{"memory:child"}, Paths{V1: map[string]string{
			"pids": v1.V1["pids"], "memory": v1.V1["memory"] + "/child", "freezer": v1.V1["freezer"],
		}}, ""},
		{"hybrid every dir", hyb, []string{"child"}, Paths{V1: map[string]string{
			"pids": v1.V1["pids"] + "/child", "memory": v1.V1["memory"] + "/child", "freezer": v1.V1["freezer"] + "/child",
		}, V2: hyb.V2 + "/child"}, ""},
		{"hybrid unified only", hyb, []string{":child"}, Paths{V1: v1.V1, V2: hyb.V2 + "/child"}, ""},
		{"v2 path", v2, []string{"a/b"}, Paths{V2: v2.V2 + "/a/b"}, ""},
		{"v2 empty controller", v2, []string{":child"}, Paths{V2: v2.V2 + "/child"}, ""},
		{"v2 named controller", v2, []string{"memory:child"}, Paths{}, "--cgroup memory:child: controllers are named only on cgroup v1"},
		{"v1 unknown controller", v1, []string{"cpu:child"}, Paths{}, `--cgroup cpu:child: the container has no "cpu" cgroup`},
		{"v1 no v2 dir", v1, []string{":child"}, Paths{}, `--cgroup :child: the container has no "" cgroup`},
		{"the cgroup itself", v1, []string{"/"}, Paths{}, `--cgroup: "/" is not a sub-cgroup`},
		{"climbing out", v2, []string{"../.."}, Paths{}, `--cgroup: "../.." is not a sub-cgroup`},
		{"missing", v2, []string{"nope"}, Paths{}, `--cgroup: sub-cgroup "nope" does not exist (` + v2.V2 + `/nope)`},
	} {
		got, err := tc.p.Sub(tc.args)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("%s: err = %v, want %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Sub(%q) = %+v, want %+v", tc.name, tc.args, got, tc.want)
		}
	}
	// Sub leaves the receiver as it was.
	if _, err := v1.Sub([]string{"child"}); err != nil || strings.HasSuffix(v1.V1["pids"], "child") {
		t.Errorf("Sub changed its receiver: %+v, %v", v1, err)
	}
}

func TestPathsEqual(t *testing.T) {
	a := Paths{V1: map[string]string{"memory": "/m/c"}, V2: "/u/c"}
	if !a.Equal(Paths{V1: map[string]string{"memory": "/m/c"}, V2: "/u/c"}) {
		t.Error("same dirs")
	}
	if a.Equal(Paths{V1: map[string]string{"memory": "/m/c"}}) || a.Equal(Paths{V2: "/u/c"}) || a.Equal(Paths{}) {
		t.Error("a dir left out is a difference")
	}
}
