package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestParseMemSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		bad  bool
	}{
		{"-1", -1, false},
		{"0", 0, false},
		{"1024", 1024, false},
		{"10k", 10 << 10, false},
		{"10K", 10 << 10, false},
		{"512m", 512 << 20, false},
		{"64MiB", 64 << 20, false},
		{"64MB", 64 << 20, false},
		{"1.5g", 3 << 29, false},
		{"2 g", 2 << 30, false},
		{"1t", 1 << 40, false},
		{"", 0, true},
		{"-2", 0, true},
		{"12x", 0, true},
		{"m", 0, true},
		{"99999999p", 0, true},
	} {
		got, err := parseMemSize(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("parseMemSize(%q) = %d, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseMemSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestResourcesFromFlags(t *testing.T) {
	r, err := resourcesFromFlags(map[string]string{
		"memory": "64m", "memory-swap": "-1", "memory-reservation": "32m",
		"cpu-share": "512", "cpu-quota": "-1", "cpu-period": "100000", "cpu-burst": "0",
		"cpu-idle": "1", "cpuset-cpus": "0-1", "cpuset-mems": "0", "cpu-rt-period": "1000",
		"cpu-rt-runtime": "500", "pids-limit": "10", "blkio-weight": "300",
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(r)
	want := `{"memory":{"limit":67108864,"reservation":33554432,"swap":-1},` +
		`"cpu":{"shares":512,"quota":-1,"burst":0,"period":100000,"realtimeRuntime":500,"realtimePeriod":1000,"cpus":"0-1","mems":"0","idle":1},` +
		`"pids":{"limit":10},"blockIO":{"weight":300}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	empty, err := resourcesFromFlags(map[string]string{"memory": ""})
	if err != nil || empty.Memory != nil || empty.CPU != nil {
		t.Errorf("an empty flag value must count as not given: %+v, %v", empty, err)
	}

	for flags, msg := range map[string]string{
		"l3-cache-schema=L3:0=f": "not supported",
		"mem-bw-schema=MB:0=70":  "not supported",
		"memory=lots":            "--memory",
		"cpu-share=-3":           "--cpu-share",
		"cpu-quota=1.5":          "--cpu-quota",
		"pids-limit=x":           "--pids-limit",
		"blkio-weight=70000":     "--blkio-weight",
	} {
		k, v, _ := strings.Cut(flags, "=")
		_, err := resourcesFromFlags(map[string]string{k: v})
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("--%s=%s: error %v, want one naming %q", k, v, err, msg)
		}
	}
}

func TestDecodeResources(t *testing.T) {
	r, err := decodeResources(strings.NewReader(`{"memory":{"limit":1048576},"pids":{"limit":5},"futureField":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if *r.Memory.Limit != 1<<20 || *r.Pids.Limit != 5 {
		t.Errorf("decoded %+v", r)
	}
	if _, err := decodeResources(strings.NewReader(`{"memory":`)); err == nil {
		t.Error("truncated JSON decoded without error")
	}
}

func res(js string) *specs.LinuxResources {
	var r specs.LinuxResources
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		panic(err)
	}
	return &r
}

func TestMergeResources(t *testing.T) {
	for _, tc := range []struct {
		name, cur, upd, merged, delta string
		err                           error
	}{
		{
			name:   "only the changed field is written; devices stay out of the delta",
			cur:    `{"devices":[{"allow":false,"access":"rwm"}],"memory":{"limit":1000},"pids":{"limit":5}}`,
			upd:    `{"pids":{"limit":9}}`,
			merged: `{"devices":[{"allow":false,"access":"rwm"}],"memory":{"limit":1000},"pids":{"limit":9}}`,
			delta:  `{"pids":{"limit":9}}`,
		},
		{
			name:   "zero leaves the value; absent groups are untouched",
			cur:    `{"memory":{"limit":1000},"cpu":{"shares":100}}`,
			upd:    `{"memory":{"limit":0,"reservation":0},"cpu":{"shares":0,"quota":0},"blockIO":{"weight":0}}`,
			merged: `{"memory":{"limit":1000},"cpu":{"shares":100}}`,
			delta:  `{}`,
		},
		{
			name:   "a pids limit of 0 is set (it means 1, as in runc)",
			cur:    `{"pids":{"limit":5}}`,
			upd:    `{"pids":{"limit":0}}`,
			merged: `{"pids":{"limit":0}}`,
			delta:  `{"pids":{"limit":0}}`,
		},
		{
			name:   "memory limit goes with the stored swap",
			cur:    `{"memory":{"limit":1000,"swap":4000}}`,
			upd:    `{"memory":{"limit":2000}}`,
			merged: `{"memory":{"limit":2000,"swap":4000}}`,
			delta:  `{"memory":{"limit":2000,"swap":4000}}`,
		},
		{
			name: "limit above the stored memory+swap is refused",
			cur:  `{"memory":{"limit":1000,"swap":4000}}`,
			upd:  `{"memory":{"limit":5000}}`,
			err:  errSwapBelowLimit,
		},
		{
			name:   "unlimited memory lifts the swap limit as runc does",
			cur:    `{"memory":{"limit":1000,"swap":4000}}`,
			upd:    `{"memory":{"limit":-1}}`,
			merged: `{"memory":{"limit":-1,"swap":-1}}`,
			delta:  `{"memory":{"limit":-1,"swap":-1}}`,
		},
		{
			name:   "checkBeforeUpdate travels with the limit but is not kept",
			cur:    `{}`,
			upd:    `{"memory":{"limit":1000,"checkBeforeUpdate":true}}`,
			merged: `{"memory":{"limit":1000}}`,
			delta:  `{"memory":{"limit":1000,"checkBeforeUpdate":true}}`,
		},
		{
			name:   "quota and period are written together; burst 0 and idle 0 apply",
			cur:    `{"cpu":{"quota":20000,"period":100000,"cpus":"0"}}`,
			upd:    `{"cpu":{"quota":50000,"burst":0,"idle":0}}`,
			merged: `{"cpu":{"quota":50000,"burst":0,"period":100000,"cpus":"0","idle":0}}`,
			delta:  `{"cpu":{"quota":50000,"burst":0,"period":100000,"idle":0}}`,
		},
		{
			name:   "realtime runtime and period travel together",
			cur:    `{"cpu":{"realtimePeriod":1000000}}`,
			upd:    `{"cpu":{"realtimeRuntime":950000,"mems":"0"}}`,
			merged: `{"cpu":{"realtimeRuntime":950000,"realtimePeriod":1000000,"mems":"0"}}`,
			delta:  `{"cpu":{"realtimeRuntime":950000,"realtimePeriod":1000000,"mems":"0"}}`,
		},
		{
			name:   "hugepage limits replace by page size, unified keys merge",
			cur:    `{"hugepageLimits":[{"pageSize":"2MB","limit":1},{"pageSize":"1GB","limit":2}],"unified":{"memory.high":"1000"}}`,
			upd:    `{"hugepageLimits":[{"pageSize":"2MB","limit":7}],"unified":{"pids.max":"4"}}`,
			merged: `{"hugepageLimits":[{"pageSize":"2MB","limit":7},{"pageSize":"1GB","limit":2}],"unified":{"memory.high":"1000","pids.max":"4"}}`,
			delta:  `{"hugepageLimits":[{"pageSize":"2MB","limit":7}],"unified":{"pids.max":"4"}}`,
		},
		{
			name:   "from nothing; devices in the update are ignored",
			cur:    `null`,
			upd:    `{"devices":[{"allow":true,"access":"rwm"}],"blockIO":{"weight":500},"memory":{"swappiness":0}}`,
			merged: `{"memory":{"swappiness":0},"blockIO":{"weight":500}}`,
			delta:  `{"memory":{"swappiness":0},"blockIO":{"weight":500}}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cur *specs.LinuxResources
			if tc.cur != "null" {
				cur = res(tc.cur)
			}
			before, _ := json.Marshal(cur)
			merged, delta, err := mergeResources(cur, res(tc.upd))
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("error %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m, _ := json.Marshal(merged); string(m) != tc.merged {
				t.Errorf("merged %s\n  want %s", m, tc.merged)
			}
			if d, _ := json.Marshal(delta); string(d) != tc.delta {
				t.Errorf("delta %s\n want %s", d, tc.delta)
			}
			if after, _ := json.Marshal(cur); string(after) != string(before) {
				t.Errorf("the current resources were modified: %s", after)
			}
		})
	}
}

func TestIgnoredUpdateFields(t *testing.T) {
	got := ignoredUpdateFields(res(`{"devices":[{"allow":true}],"network":{"classID":1},"blockIO":{"weight":10,"leafWeight":10},"memory":{"disableOOMKiller":true}}`))
	if len(got) != 4 {
		t.Errorf("ignored fields %q, want devices, network, blockIO, memory", got)
	}
	if got := ignoredUpdateFields(res(`{"blockIO":{"weight":10},"memory":{"limit":1}}`)); len(got) != 0 {
		t.Errorf("nothing is ignored, got %q", got)
	}
}
