// Package systemd is the systemd cgroup driver (--systemd-cgroup): the
// container's cgroup is a transient unit (a scope, or a slice) that rt asks
// systemd for over D-Bus, with Delegate=yes and the resources systemd knows
// as unit properties. What systemd has no property for is written into the
// unit's cgroup by the fs (v1) / fs2 (v2) code, which the Manager wraps.
package systemd

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrNotRunning is what a host whose init is not systemd gets, in runc's words.
var ErrNotRunning = errors.New("systemd not running on this host, cannot use systemd cgroups manager")

// IsRunning reports whether systemd is the host's init: it creates
// /run/systemd/system at boot (sd_booted(3) checks the same).
func IsRunning() bool {
	fi, err := os.Lstat("/run/systemd/system")
	return err == nil && fi.IsDir()
}

// DefaultSlice is where a container goes when cgroupsPath names no slice.
const DefaultSlice = "system.slice"

// DefaultUserSlice is the default slice of a unit of the user's systemd
// (rootless), as runc's.
const DefaultUserSlice = "user.slice"

// DefaultPrefix is the unit name prefix when cgroupsPath is empty.
const DefaultPrefix = "rt"

// Unit is a container's systemd unit: its name and the slice it lives in.
type Unit struct {
	// Slice is the parent slice ("system.slice", "-.slice" for the root).
	Slice string
	// Name is "<prefix>-<name>.scope", or a slice's own name.
	Name string
}

// ParseCgroupsPath reads spec.Linux.CgroupsPath in runc's systemd form
// "slice:prefix:name"; "" means "system.slice:rt:<id>", an empty slice is
// system.slice. A name ending in ".slice" makes the unit a slice of that
// name (the prefix is ignored), else the unit is the scope
// "<prefix>-<name>.scope".
func ParseCgroupsPath(p, id string) (Unit, error) {
	return ParseCgroupsPathIn(p, id, DefaultSlice)
}

// ParseCgroupsPathIn is ParseCgroupsPath with another default slice (the
// user manager's user.slice for a rootless container).
func ParseCgroupsPathIn(p, id, defaultSlice string) (Unit, error) {
	slice, prefix, name := "", DefaultPrefix, id
	if p != "" {
		parts := strings.Split(p, ":")
		if len(parts) != 3 {
			return Unit{}, fmt.Errorf("expected cgroupsPath to be of format \"slice:prefix:name\" for systemd cgroups, got %q instead", p)
		}
		slice, prefix, name = parts[0], parts[1], parts[2]
	}
	if slice == "" {
		slice = defaultSlice
	}
	if _, err := ExpandSlice(slice); err != nil {
		return Unit{}, err
	}
	if name == "" {
		return Unit{}, fmt.Errorf("cgroupsPath %q: the unit name is empty", p)
	}
	u := Unit{Slice: slice, Name: name}
	if !strings.HasSuffix(name, ".slice") {
		u.Name = prefix + "-" + name + ".scope"
	} else if _, err := ExpandSlice(name); err != nil {
		return Unit{}, err
	}
	if err := checkUnitName(u.Name); err != nil {
		return Unit{}, err
	}
	return u, nil
}

// checkUnitName refuses what cannot be one path element: the name becomes
// the cgroup directory's. systemd checks the rest of its syntax.
func checkUnitName(n string) error {
	if strings.ContainsAny(n, "/\x00") || n == "." || n == ".." || len(n) > 255 {
		return fmt.Errorf("invalid systemd unit name %q", n)
	}
	return nil
}

// IsSlice says whether the unit is a slice (else a scope).
func (u Unit) IsSlice() bool { return strings.HasSuffix(u.Name, ".slice") }

// Path is the unit's cgroup path from the hierarchy's root, as systemd
// lays it out: a slice "a-b.slice" lives under "a.slice", so
// "a-b.slice:rt:x" is /a.slice/a-b.slice/rt-x.scope.
func (u Unit) Path() string {
	if u.IsSlice() {
		p, _ := ExpandSlice(u.Name)
		return p
	}
	p, _ := ExpandSlice(u.Slice)
	if p == "/" {
		return "/" + u.Name
	}
	return p + "/" + u.Name
}

// ExpandSlice turns a slice name into its cgroup path: "a-b-c.slice" is
// "/a.slice/a-b.slice/a-b-c.slice", "-.slice" (the root slice) is "/".
func ExpandSlice(slice string) (string, error) {
	const suffix = ".slice"
	bad := fmt.Errorf("invalid slice name: %s", slice)
	if !strings.HasSuffix(slice, suffix) || len(slice) <= len(suffix) || strings.ContainsAny(slice, "/\x00") {
		return "", bad
	}
	base := strings.TrimSuffix(slice, suffix)
	if base == "-" {
		return "/", nil
	}
	var b strings.Builder
	prefix := ""
	for _, c := range strings.Split(base, "-") {
		if c == "" {
			return "", bad
		}
		b.WriteString("/" + prefix + c + suffix)
		prefix += c + "-"
	}
	return b.String(), nil
}
