package devices

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rt-runtime/rt/cgroups/internal/cgfile"
)

// V1Write is one write to a v1 devices control file.
type V1Write struct {
	File  string // "devices.allow" or "devices.deny"
	Value string
}

// V1Writes is the sequence ApplyV1 performs: deny everything, then each
// rule in order, so the last matching rule wins as on v2.
func V1Writes(rules []specs.LinuxDeviceCgroup) ([]V1Write, error) {
	norm, err := Normalize(rules)
	if err != nil {
		return nil, err
	}
	out := []V1Write{{File: "devices.deny", Value: "a"}}
	for _, r := range norm {
		w := V1Write{File: "devices.deny", Value: r.String()}
		if r.Allow {
			w.File = "devices.allow"
		}
		out = append(out, w)
	}
	return out, nil
}

// ApplyV1 writes the rules to the v1 devices cgroup dir.
func ApplyV1(dir string, rules []specs.LinuxDeviceCgroup) error {
	writes, err := V1Writes(rules)
	if err != nil {
		return err
	}
	for _, w := range writes {
		if err := cgfile.Write(dir, w.File, w.Value); err != nil {
			return err
		}
	}
	return nil
}
