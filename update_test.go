package main

import (
	"encoding/json"
	"strings"
	"testing"
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
