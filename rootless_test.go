package main

import (
	"encoding/json"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestParseRootless(t *testing.T) {
	no := func() bool { return false }
	yes := func() bool { return true }
	for _, c := range []struct {
		v        string
		euid     int
		userns   func() bool
		want     bool
		contains string
	}{
		{"auto", 0, no, false, ""},
		{"auto", 1000, no, true, ""},
		{"", 0, yes, true, ""}, // root in a user namespace
		{"true", 0, no, true, ""},
		{"1", 0, no, true, ""},
		{"FALSE", 1000, no, false, ""},
		{"xyz", 0, no, false, `strconv.ParseBool: parsing "xyz": invalid syntax`},
	} {
		got, err := parseRootless(c.v, c.euid, c.userns)
		if c.contains != "" {
			if err == nil || !strings.Contains(err.Error(), c.contains) {
				t.Errorf("parseRootless(%q): %v", c.v, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("parseRootless(%q, %d) = %v, %v", c.v, c.euid, got, err)
		}
	}
}

// runc's rootless rules applied to the default config.
func TestToRootless(t *testing.T) {
	s := defaultSpec(true)
	toRootless(s, 1000, 100)
	var types []specs.LinuxNamespaceType
	for _, n := range s.Linux.Namespaces {
		types = append(types, n.Type)
	}
	if types[len(types)-1] != specs.UserNamespace {
		t.Errorf("namespaces %v: user namespace not last", types)
	}
	for _, ty := range types[:len(types)-1] {
		if ty == specs.NetworkNamespace || ty == specs.UserNamespace {
			t.Errorf("namespaces %v", types)
		}
	}
	if len(s.Linux.UIDMappings) != 1 || s.Linux.UIDMappings[0] != (specs.LinuxIDMapping{ContainerID: 0, HostID: 1000, Size: 1}) ||
		len(s.Linux.GIDMappings) != 1 || s.Linux.GIDMappings[0] != (specs.LinuxIDMapping{ContainerID: 0, HostID: 100, Size: 1}) {
		t.Errorf("mappings %v %v", s.Linux.UIDMappings, s.Linux.GIDMappings)
	}
	if s.Linux.Resources != nil {
		t.Error("resources kept")
	}
	b, _ := json.Marshal(s.Mounts)
	if strings.Contains(string(b), "gid=") || strings.Contains(string(b), "uid=") || strings.Contains(string(b), `"sysfs"`) {
		t.Errorf("mounts %s", b)
	}
	for _, m := range s.Mounts {
		if m.Destination == "/sys" && (m.Type != "none" || m.Source != "/sys" || m.Options[0] != "rbind") {
			t.Errorf("/sys mount %+v", m)
		}
	}
}

// The default config has a cgroup namespace only on a cgroup v2 host, as
// runc 1.5's spec.
func TestDefaultSpecCgroupNamespace(t *testing.T) {
	for _, v2 := range []bool{false, true} {
		n := 0
		for _, ns := range defaultSpec(v2).Linux.Namespaces {
			if ns.Type == specs.CgroupNamespace {
				n++
			}
		}
		if want := map[bool]int{false: 0, true: 1}[v2]; n != want {
			t.Errorf("defaultSpec(%v): %d cgroup namespaces, want %d", v2, n, want)
		}
	}
}
