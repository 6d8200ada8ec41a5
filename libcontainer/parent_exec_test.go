package libcontainer

import (
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestInheritContainerProcess: what a --process file leaves out comes from
// the container; what it sets stays.
func TestInheritContainerProcess(t *testing.T) {
	ct := &specs.Process{
		Capabilities:    &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}, Effective: []string{"CAP_KILL"}},
		ApparmorProfile: "ct-profile",
		SelinuxLabel:    "system_u:system_r:container_t:s0",
		Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 777, Hard: 777}},
		NoNewPrivileges: true,
	}
	var p specs.Process
	inheritContainerProcess(&p, ct)
	if !reflect.DeepEqual(p.Capabilities, ct.Capabilities) || p.ApparmorProfile != ct.ApparmorProfile ||
		p.SelinuxLabel != ct.SelinuxLabel || !reflect.DeepEqual(p.Rlimits, ct.Rlimits) {
		t.Fatalf("unset fields not inherited: %+v", p)
	}
	if p.NoNewPrivileges {
		t.Fatal("noNewPrivileges is the file's own value, as in runc")
	}
	p.Capabilities.Bounding[0] = "CAP_CHOWN"
	if ct.Capabilities.Bounding[0] != "CAP_KILL" {
		t.Fatal("the container's capability sets were shared, not copied")
	}
	own := specs.Process{
		Capabilities:    &specs.LinuxCapabilities{},
		ApparmorProfile: "own",
		SelinuxLabel:    "own_t",
		Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NPROC", Soft: 1, Hard: 1}},
	}
	want := own
	inheritContainerProcess(&own, ct)
	if !reflect.DeepEqual(own, want) {
		t.Fatalf("fields the file sets were replaced: %+v", own)
	}
}

// TestAddCaps: --cap names join bounding, effective and permitted only,
// on a copy of the sets (the container's spec is not written to).
func TestAddCaps(t *testing.T) {
	ct := &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}, Effective: []string{"CAP_KILL"},
		Permitted: []string{"CAP_KILL"}, Inheritable: []string{"CAP_KILL"}}
	p := specs.Process{Capabilities: ct}
	addCaps(&p, []string{"CAP_NET_ADMIN"})
	want := &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL", "CAP_NET_ADMIN"},
		Effective: []string{"CAP_KILL", "CAP_NET_ADMIN"}, Permitted: []string{"CAP_KILL", "CAP_NET_ADMIN"},
		Inheritable: []string{"CAP_KILL"}}
	if !reflect.DeepEqual(p.Capabilities, want) {
		t.Fatalf("got %+v, want %+v", p.Capabilities, want)
	}
	if len(ct.Bounding) != 1 {
		t.Fatal("the container's sets were appended to")
	}
	var none specs.Process
	addCaps(&none, []string{"CAP_CHOWN"})
	if none.Capabilities == nil || !reflect.DeepEqual(none.Capabilities.Effective, []string{"CAP_CHOWN"}) {
		t.Fatalf("no sets: got %+v", none.Capabilities)
	}
}
