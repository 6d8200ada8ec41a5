package libcontainer

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestParseMemoryPolicy(t *testing.T) {
	tests := []struct {
		mode  specs.MemoryPolicyModeType
		nodes string
		flags []specs.MemoryPolicyFlagType
		want  string // substring of the error; "" = valid
		mask  string // the nodes set_mempolicy gets, when valid
		bits  int    // mode|flags, when valid
	}{
		{specs.MpolDefault, "", nil, "", "", 0},
		{specs.MpolLocal, "", nil, "", "", 4},
		{specs.MpolPreferred, "", nil, "", "", 1},
		{specs.MpolPreferred, "0", nil, "", "0", 1},
		{specs.MpolBind, "0-2,5", []specs.MemoryPolicyFlagType{specs.MpolFStaticNodes}, "", "0,1,2,5", 2 | 1<<15},
		{specs.MpolInterleave, " 1 , 3-3,", []specs.MemoryPolicyFlagType{specs.MpolFRelativeNodes}, "", "1,3", 3 | 1<<14},
		{specs.MpolPreferredMany, "0,0", nil, "", "0", 5},
		{specs.MpolWeightedInterleave, "1023", nil, "", "1023", 6},
		{specs.MpolBind, "0", []specs.MemoryPolicyFlagType{specs.MpolFNumaBalancing}, "", "0", 2 | 1<<13},
		{"MPOL_FOO", "0", nil, `linux.memoryPolicy.mode: invalid memory policy mode "MPOL_FOO"`, "", 0},
		{"", "", nil, `invalid memory policy mode ""`, "", 0},
		{"bind", "0", nil, `invalid memory policy mode "bind"`, "", 0},
		{specs.MpolBind, "", nil, "linux.memoryPolicy.nodes: memory policy mode MPOL_BIND requires at least one node but got 0", "", 0},
		{specs.MpolInterleave, "", nil, "requires at least one node", "", 0},
		{specs.MpolPreferredMany, "", nil, "requires at least one node", "", 0},
		{specs.MpolWeightedInterleave, "", nil, "requires at least one node", "", 0},
		{specs.MpolLocal, "0", nil, "MPOL_LOCAL requires 0 nodes but got 1", "", 0},
		{specs.MpolDefault, "0-1", nil, "MPOL_DEFAULT requires 0 nodes but got 2", "", 0},
		{specs.MpolBind, "1024", nil, `invalid memory policy nodes "1024": node 1024: values larger than 1023`, "", 0},
		{specs.MpolBind, "0-2000", nil, "values larger than 1023", "", 0},
		{specs.MpolBind, "x", nil, `"x" is not a node number`, "", 0},
		{specs.MpolBind, "-1", nil, `"" is not a node number`, "", 0},
		{specs.MpolBind, "+0", nil, `"+0" is not a node number`, "", 0},
		{specs.MpolBind, "0-", nil, `"" is not a node number`, "", 0},
		{specs.MpolBind, "0-1-2", nil, `"1-2" is not a node number`, "", 0},
		{specs.MpolBind, "1-0", nil, `invalid range "1-0"`, "", 0},
		{specs.MpolBind, ",", nil, `no node in ","`, "", 0},
		{specs.MpolBind, "0", []specs.MemoryPolicyFlagType{"MPOL_F_FOO"}, `linux.memoryPolicy.flags[0]: invalid memory policy flag "MPOL_F_FOO"`, "", 0},
	}
	for _, tt := range tests {
		p := &specs.LinuxMemoryPolicy{Mode: tt.mode, Nodes: tt.nodes, Flags: tt.flags}
		mp, err := parseMemoryPolicy(p)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%+v: unexpected error %v", p, err)
				continue
			}
			if got := mp.nodes.String(); got != tt.mask {
				t.Errorf("%+v: nodes %q, want %q", p, got, tt.mask)
			}
			if mp.mode != tt.bits {
				t.Errorf("%+v: mode %#x, want %#x", p, mp.mode, tt.bits)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want %q", p, err, tt.want)
		}
		// Validate, which create runs first, refuses the same configs.
		s := validSpec()
		s.Linux.MemoryPolicy = p
		if err := Validate(s); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate %+v: error %v, want %q", p, err, tt.want)
		}
	}
}

// Every mode and flag the spec defines is one rt knows, and the probe
// behind `rt features` names only those.
func TestMemoryPolicyTables(t *testing.T) {
	for _, m := range []specs.MemoryPolicyModeType{specs.MpolDefault, specs.MpolBind, specs.MpolInterleave,
		specs.MpolWeightedInterleave, specs.MpolPreferred, specs.MpolPreferredMany, specs.MpolLocal} {
		if _, ok := mpolModes[m]; !ok {
			t.Errorf("mode %s missing", m)
		}
	}
	for _, f := range []specs.MemoryPolicyFlagType{specs.MpolFNumaBalancing, specs.MpolFRelativeNodes, specs.MpolFStaticNodes} {
		if _, ok := mpolFlags[f]; !ok {
			t.Errorf("flag %s missing", f)
		}
	}
	modes, flags := MemoryPolicySupport()
	for _, m := range modes {
		if _, ok := mpolModes[specs.MemoryPolicyModeType(m)]; !ok {
			t.Errorf("probe reports unknown mode %s", m)
		}
	}
	for _, f := range flags {
		if _, ok := mpolFlags[specs.MemoryPolicyFlagType(f)]; !ok {
			t.Errorf("probe reports unknown flag %s", f)
		}
	}
}
