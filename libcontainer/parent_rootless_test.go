package libcontainer

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestCheckRootless(t *testing.T) {
	maps := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}, {ContainerID: 1, HostID: 100000, Size: 65536}}
	spec := func(ns []specs.LinuxNamespace, opts ...string) *specs.Spec {
		return &specs.Spec{
			Mounts: []specs.Mount{{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: opts}},
			Linux:  &specs.Linux{Namespaces: ns, UIDMappings: maps, GIDMappings: maps},
		}
	}
	newUser := []specs.LinuxNamespace{{Type: specs.MountNamespace}, {Type: specs.UserNamespace}}
	for _, c := range []struct {
		s    *specs.Spec
		want string // "" for accepted
	}{
		{spec([]specs.LinuxNamespace{{Type: specs.MountNamespace}}), "rootless container requires user namespaces"},
		{spec(newUser), ""},
		{spec(newUser, "uid=0", "gid=65536"), ""},
		{spec(newUser, "uid=65537"), "cannot specify uid=65537 mount option for rootless container: user namespaces enabled, but no mapping found for uid 65537"},
		{spec(newUser, "mode=755", "gid=70000"), "no mapping found for gid 70000"},
		{spec(newUser, "uid=x"), "cannot specify uid=x mount option"},
		// A joined namespace maps what it maps.
		{spec([]specs.LinuxNamespace{{Type: specs.UserNamespace, Path: "/proc/1/ns/user"}}, "uid=70000"), ""},
	} {
		err := checkRootless(c.s)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v: %v", c.s.Mounts[0].Options, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v: error %v, want %q", c.s.Mounts[0].Options, err, c.want)
		}
	}
}

func TestSelfMap(t *testing.T) {
	own := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}
	if !selfMap(own, 1000) || selfMap(own, 1001) {
		t.Error("single own id")
	}
	if selfMap([]specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 2}}, 1000) {
		t.Error("two ids are not the user's own")
	}
	if selfMap(append(own, specs.LinuxIDMapping{ContainerID: 1, HostID: 100000, Size: 65536}), 1000) {
		t.Error("a subordinate range needs newuidmap")
	}
	if got := idMapText(own); got != "0 1000 1\n" {
		t.Errorf("idMapText = %q", got)
	}
}
