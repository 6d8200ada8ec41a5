package cgroups

import (
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rt-runtime/rt/cgroups/fs"
	"github.com/rt-runtime/rt/cgroups/fs2"
)

// NewRootless is New for runc's rootless cgroup mode (--rootless, on by
// default for a non-root user): device rules are not enforced, and when
// cgroupsPath is empty a hierarchy the user may not write is left out
// instead of failing create, as runc does. A limit asked for in a
// hierarchy left out still fails, with runc's words. An explicit
// cgroupsPath must be writable (delegated to the user).
func NewRootless(cgroupsPath, id string) (Manager, error) {
	m, err := New(cgroupsPath, id)
	if err != nil {
		return nil, err
	}
	skip := cgroupsPath == ""
	switch d := m.(zeroIsUnset).Manager.(type) {
	case v1Manager:
		d.Rootless, d.SkipDenied = true, skip
	case v2Manager:
		d.Rootless, d.SkipDenied = true, skip
	case *hybrid:
		d.v1.Rootless, d.v1.SkipDenied = true, skip
		d.v2.Rootless, d.v2.SkipDenied = true, skip
	}
	return m, nil
}

// Denied says whether err is the kernel refusing an unprivileged user a
// cgroup (EACCES, EPERM, a read-only mount).
func Denied(err error) bool { return fs.Denied(err) }

// errNoCgroup is runc's answer to a freezer request for a rootless
// container that got no cgroup of its own.
var errNoCgroup = errors.New("cannot toggle freezer: cgroups not configured for container")

// None is the manager of a rootless container that joined no cgroup at
// all (every hierarchy was left out): nothing to join or remove, no
// freezer, no counters.
func None() Manager { return none{} }

type none struct{}

// IsNone says whether m is None's manager (no cgroup at all).
func IsNone(m Manager) bool {
	_, ok := m.(none)
	return ok
}

func (none) Apply(int) error     { return nil }
func (none) JoinProcs(int) error { return nil }
func (none) Set(r *specs.LinuxResources) error {
	if c := fs.Wanted(r); c != "" {
		return fmt.Errorf("cannot set %s limit: container could not join or create cgroup", c) // runc's words
	}
	if fs2.NeedsController(r) {
		return errors.New("cannot set limits: container could not join or create cgroup")
	}
	return nil
}
func (none) Freeze() error          { return errNoCgroup }
func (none) Thaw() error            { return errNoCgroup }
func (none) Frozen() (bool, error)  { return false, nil }
func (none) Pids() ([]int, error)   { return nil, errors.New("cgroups not configured for container") }
func (none) Stats() (*Stats, error) { return &Stats{}, nil }
func (none) Destroy() error         { return nil }
func (none) Paths() Paths           { return Paths{} }
