// Package devices applies the spec's device cgroup rules: on v1 as writes to
// devices.allow/devices.deny, on v2 as a BPF_CGROUP_DEVICE eBPF program.
// Both give the same answer for the same rule list: default deny, then the
// rules in order, the last rule that matches a request decides.
package devices

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Rule is a spec rule with its defaults filled in and checked.
type Rule struct {
	Allow bool
	Type  byte  // 'a', 'b' or 'c'
	Major int64 // -1: any
	Minor int64 // -1: any
	// Access is the subset of "rwm" as a bit mask (see the acc* constants).
	Access uint32
}

// Access bits, the values of the kernel's BPF_DEVCG_ACC_*.
const (
	accMknod uint32 = 1
	accRead  uint32 = 2
	accWrite uint32 = 4
	accAll          = accMknod | accRead | accWrite
)

// Normalize checks rules[i] and fills in the spec defaults: type "a",
// any major/minor, access "rwm".
func Normalize(rules []specs.LinuxDeviceCgroup) ([]Rule, error) {
	out := make([]Rule, 0, len(rules))
	for i, r := range rules {
		n := Rule{Allow: r.Allow, Type: 'a', Major: -1, Minor: -1, Access: accAll}
		switch r.Type {
		case "", "a":
		case "b", "c":
			n.Type = r.Type[0]
		default:
			return nil, fmt.Errorf("linux.resources.devices[%d].type: unknown device type %q", i, r.Type)
		}
		if r.Major != nil {
			if *r.Major < -1 {
				return nil, fmt.Errorf("linux.resources.devices[%d].major: invalid %d", i, *r.Major)
			}
			n.Major = *r.Major
		}
		if r.Minor != nil {
			if *r.Minor < -1 {
				return nil, fmt.Errorf("linux.resources.devices[%d].minor: invalid %d", i, *r.Minor)
			}
			n.Minor = *r.Minor
		}
		if r.Access != "" {
			n.Access = 0
			for _, c := range r.Access {
				switch c {
				case 'r':
					n.Access |= accRead
				case 'w':
					n.Access |= accWrite
				case 'm':
					n.Access |= accMknod
				default:
					return nil, fmt.Errorf("linux.resources.devices[%d].access: unknown access %q in %q", i, c, r.Access)
				}
			}
		}
		out = append(out, n)
	}
	return out, nil
}

// matchesAll reports whether the rule matches every device and access.
func (r Rule) matchesAll() bool {
	return r.Type == 'a' && r.Major == -1 && r.Minor == -1 && r.Access == accAll
}

// String is the rule in the devices.allow/deny syntax: "c 1:3 rwm".
func (r Rule) String() string {
	num := func(v int64) string {
		if v == -1 {
			return "*"
		}
		return strconv.FormatInt(v, 10)
	}
	var acc strings.Builder
	if r.Access&accRead != 0 {
		acc.WriteByte('r')
	}
	if r.Access&accWrite != 0 {
		acc.WriteByte('w')
	}
	if r.Access&accMknod != 0 {
		acc.WriteByte('m')
	}
	return fmt.Sprintf("%c %s:%s %s", r.Type, num(r.Major), num(r.Minor), acc.String())
}
