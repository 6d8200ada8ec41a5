package cgroups

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Paths is where a container's cgroups are: one dir per v1 hierarchy on a
// v1 host, the cgroup2 dir on a v2 host, both on a hybrid host.
type Paths struct {
	// V1 maps a v1 subsystem ("memory", "name=systemd") to its dir;
	// co-mounted controllers ("cpu" and "cpuacct") share one dir.
	V1 map[string]string
	// V2 is the cgroup2 dir ("" when there is none): the container's
	// only dir on a v2 host, its dir under /sys/fs/cgroup/unified on a
	// hybrid one.
	V2 string
}

// IsZero reports that p names no dir (a container without cgroups, or a
// state written before the cgroup was made); `omitzero` leaves it out of
// the JSON.
func (p Paths) IsZero() bool { return len(p.V1) == 0 && p.V2 == "" }

// Equal says whether p and q name the same dirs.
func (p Paths) Equal(q Paths) bool { return p.V2 == q.V2 && maps.Equal(p.V1, q.V1) }

// Dirs lists each distinct dir once, sorted.
func (p Paths) Dirs() []string {
	var out []string
	for _, d := range p.V1 {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	if p.V2 != "" && !slices.Contains(out, p.V2) {
		out = append(out, p.V2)
	}
	slices.Sort(out)
	return out
}

// clone copies p, so a caller's changes do not reach a Manager.
func (p Paths) clone() Paths {
	return Paths{V1: maps.Clone(p.V1), V2: p.V2}
}

// v2Key is the key of the cgroup2 dir in the JSON form: the one
// /proc/<pid>/cgroup gives the v2 line ("0::/path").
const v2Key = ""

// MarshalJSON writes the layout state.json has always had: one object of
// subsystem -> dir, the cgroup2 dir under the key "". Containers made by
// an earlier rt read back unchanged, and an earlier rt reads ours.
func (p Paths) MarshalJSON() ([]byte, error) {
	m := make(map[string]string, len(p.V1)+1)
	for k, v := range p.V1 {
		m[k] = v
	}
	if p.V2 != "" {
		m[v2Key] = p.V2
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *Paths) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("cgroup paths: %w", err)
	}
	*p = Paths{}
	for k, v := range m {
		if k == v2Key {
			p.V2 = v
			continue
		}
		if p.V1 == nil {
			p.V1 = make(map[string]string, len(m))
		}
		p.V1[k] = v
	}
	return nil
}

// Sub resolves the exec --cgroup arguments (runc's syntax) against p and
// returns the paths the exec'd process joins: "<path>" moves every dir
// down to the sub-cgroup <path>, "<ctrl>[,<ctrl>]:<path>" only the dirs of
// those v1 controllers (an empty name is the cgroup2 dir, the only one a
// v2 host has: there the list must be empty). Every sub-cgroup must exist;
// Sub creates nothing.
func (p Paths) Sub(args []string) (Paths, error) {
	out := p.clone()
	v2only := p.V2 != "" && len(p.V1) == 0
	for _, arg := range args {
		ctrls, path, hasCtrl := strings.Cut(arg, ":")
		var names []string // "" is the cgroup2 dir
		switch {
		case !hasCtrl:
			path = arg
			names = slices.Collect(maps.Keys(p.V1))
			if p.V2 != "" {
				names = append(names, v2Key)
			}
		case v2only:
			if ctrls != "" {
				return Paths{}, fmt.Errorf("--cgroup %s: controllers are named only on cgroup v1", arg)
			}
			names = []string{v2Key}
		default:
			names = strings.Split(ctrls, ",")
			for _, n := range names {
				if _, ok := p.dir(n); !ok {
					return Paths{}, fmt.Errorf("--cgroup %s: the container has no %q cgroup", arg, n)
				}
			}
		}
		clean := filepath.Clean("/" + path)
		if clean == "/" {
			return Paths{}, fmt.Errorf("--cgroup: %q is not a sub-cgroup", arg)
		}
		for _, n := range names {
			d, _ := p.dir(n)
			sub := filepath.Join(d, clean)
			if fi, err := os.Stat(sub); err != nil || !fi.IsDir() {
				return Paths{}, fmt.Errorf("--cgroup: sub-cgroup %q does not exist (%s)", path, sub)
			}
			if n == v2Key {
				out.V2 = sub
			} else {
				out.V1[n] = sub
			}
		}
	}
	return out, nil
}

// dir is the dir of a v1 subsystem, or of the cgroup2 dir for "".
func (p Paths) dir(name string) (string, bool) {
	if name == v2Key {
		return p.V2, p.V2 != ""
	}
	d, ok := p.V1[name]
	return d, ok
}
