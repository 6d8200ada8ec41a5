package libcontainer

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestValidateNetDevices(t *testing.T) {
	tests := []struct {
		devs map[string]specs.LinuxNetDevice
		noNS bool
		want string // substring of the error; "" = valid
	}{
		{map[string]specs.LinuxNetDevice{"veth0": {Name: "eth0"}}, false, ""},
		{map[string]specs.LinuxNetDevice{"veth0": {}}, false, ""},
		{map[string]specs.LinuxNetDevice{"a23456789012345": {Name: "b23456789012345"}}, false, ""},
		{map[string]specs.LinuxNetDevice{"veth0": {Name: "eth0"}}, true, "linux.netDevices: unable to move network devices without a network namespace"},
		{map[string]specs.LinuxNetDevice{"": {Name: "eth0"}}, false, `linux.netDevices[""]: invalid network device name ""`},
		{map[string]specs.LinuxNetDevice{"bad/dev": {}}, false, `linux.netDevices["bad/dev"]: invalid network device name "bad/dev"`},
		{map[string]specs.LinuxNetDevice{"a234567890123456": {}}, false, "invalid network device name"},
		{map[string]specs.LinuxNetDevice{"veth0": {Name: "bad name"}}, false, `linux.netDevices["veth0"].name: invalid network device name "bad name"`},
		{map[string]specs.LinuxNetDevice{"veth0": {Name: "a:b"}}, false, "invalid network device name"},
		{map[string]specs.LinuxNetDevice{"veth0": {Name: ".."}}, false, "invalid network device name"},
		{map[string]specs.LinuxNetDevice{"veth0": {Name: "eth0"}, "veth1": {Name: "eth0"}}, false, `linux.netDevices["veth1"].name: "eth0" is also the name of "veth0"`},
		{map[string]specs.LinuxNetDevice{"veth0": {}, "veth1": {Name: "veth0"}}, false, `is also the name of "veth0"`},
	}
	for _, tt := range tests {
		s := validSpec()
		s.Linux.NetDevices = tt.devs
		if tt.noNS {
			s.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.MountNamespace}}
		}
		err := Validate(s)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%v: unexpected error %v", tt.devs, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want %q", tt.devs, err, tt.want)
		}
	}
}
