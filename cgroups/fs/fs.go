// Package fs drives cgroup v1: one directory per mounted hierarchy, resource
// limits written to each controller's files.
package fs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rt-runtime/rt/cgroups/internal/cgfile"
	"github.com/rt-runtime/rt/cgroups/stats"
)

// Manager is a container's set of v1 cgroup dirs.
type Manager struct {
	// paths maps subsystem ("memory", "name=systemd") to its dir.
	// Co-mounted controllers map to the same dir.
	paths map[string]string
	// created holds, per dir, the dirs Apply made, outermost first.
	created map[string][]string
	// Rootless is runc's rootless cgroup mode: errors of the devices
	// controller are ignored (an unprivileged user never has it), and
	// with SkipDenied a hierarchy the user may not write is left out.
	Rootless bool
	// SkipDenied makes Apply leave out (not fail on) a hierarchy whose
	// dir it is denied to create or join: rootless mode without an
	// explicit cgroupsPath, as runc does.
	SkipDenied bool
	// skipped holds, per subsystem Apply left out, the denial.
	skipped map[string]error
}

// New returns a manager for the dirs in paths (subsystem -> dir).
func New(paths map[string]string) *Manager {
	p := make(map[string]string, len(paths))
	for k, v := range paths {
		p[k] = v
	}
	return &Manager{paths: p, created: make(map[string][]string)}
}

// Has reports whether the controller is mounted (has a dir).
func (m *Manager) Has(controller string) bool {
	_, ok := m.paths[controller]
	return ok
}

// Paths returns subsystem -> dir.
func (m *Manager) Paths() map[string]string {
	p := make(map[string]string, len(m.paths))
	for k, v := range m.paths {
		p[k] = v
	}
	return p
}

// dirs lists each distinct dir once, in a stable order.
func (m *Manager) dirs() []string {
	var out []string
	for _, d := range m.paths {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	sort.Strings(out)
	return out
}

// dir returns the dir of controller or an error naming what needs it.
func (m *Manager) dir(controller, field string) (string, error) {
	d, ok := m.paths[controller]
	if !ok {
		return "", fmt.Errorf("%s: the %s cgroup controller is not mounted", field, controller)
	}
	return d, nil
}

// Apply creates the dirs and moves pid into each. A pid <= 0 only creates
// them. An existing dir (a pod shared by several containers) is joined.
func (m *Manager) Apply(pid int) error {
	for _, d := range m.dirs() {
		made, err := cgfile.MkdirAll(d)
		if len(made) > 0 {
			m.created[d] = made
		}
		if err != nil {
			if m.skip(d, err) {
				continue
			}
			return err
		}
	}
	if d, ok := m.paths["cpuset"]; ok {
		// A new cpuset cgroup starts with no cpus and mems, and the
		// kernel refuses tasks until both are set.
		if err := initCpuset(d); err != nil && !m.skip(d, err) {
			return err
		}
	}
	if pid <= 0 {
		return nil
	}
	for _, d := range m.dirs() {
		if err := cgfile.Write(d, "cgroup.procs", strconv.Itoa(pid)); err != nil && !m.skip(d, err) {
			return err
		}
	}
	return nil
}

// skip leaves dir out when SkipDenied holds and err is a denial (the
// user owns no part of this hierarchy): every subsystem on it is dropped
// from the paths, so state.json records only the cgroups joined. Dirs it
// made there (a writable parent) are removed again.
func (m *Manager) skip(dir string, err error) bool {
	if !m.SkipDenied || !Denied(err) {
		return false
	}
	if m.skipped == nil {
		m.skipped = make(map[string]error)
	}
	for s, d := range m.paths {
		if d == dir {
			delete(m.paths, s)
			m.skipped[s] = err
		}
	}
	made := m.created[dir]
	for i := len(made) - 1; i >= 0; i-- {
		if removed, _ := cgfile.RemoveEmpty(made[i]); !removed {
			break
		}
	}
	delete(m.created, dir)
	return true
}

// Denied says whether err is what the kernel answers a user who may not
// write a cgroup: EACCES, EPERM, or a read-only mount.
func Denied(err error) bool {
	return errors.Is(err, os.ErrPermission) || errors.Is(err, unix.EACCES) ||
		errors.Is(err, unix.EPERM) || errors.Is(err, unix.EROFS)
}

// JoinProcs moves pid into every dir (cgroup.procs); the dirs must exist.
func (m *Manager) JoinProcs(pid int) error {
	for _, d := range m.dirs() {
		if err := cgfile.Write(d, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return err
		}
	}
	return nil
}

// Set writes r to the controllers (the table in controllers.go, in its
// order). Fields left nil are not touched; a field whose controller is not
// mounted is an error naming both.
func (m *Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if len(r.Unified) > 0 {
		return errors.New("invalid configuration: cannot use unified on cgroup v1") // runc's words
	}
	for _, c := range controllers {
		if c.set == nil || !c.wants(r) {
			continue
		}
		if m.Rootless && c.name == "devices" {
			// An unprivileged user never has the devices controller;
			// its rules are not expected to apply (runc ignores them).
			if d, ok := m.paths[c.name]; ok {
				c.set(d, r)
			}
			continue
		}
		if err, ok := m.skipped[c.name]; ok {
			// runc's words: the limit was asked for, the cgroup is not ours.
			return fmt.Errorf("cannot set %s limit: container could not join or create cgroup: %w", c.name, err)
		}
		d, err := m.dir(c.name, c.field)
		if err != nil {
			return err
		}
		if err := c.set(d, r); err != nil {
			return err
		}
	}
	return nil
}

// pidsMax is the pids.max value of a spec limit: negative is unlimited,
// and 0 means 1 (runc 1.5 writes that; the kernel has no "no processes").
func pidsMax(limit int64) string {
	if limit < 0 {
		return "max"
	}
	if limit == 0 {
		return "1"
	}
	return strconv.FormatInt(limit, 10)
}

// SetRdma writes rdma.max, one line per device; v1 and v2 share the format.
func SetRdma(dir string, rdma map[string]specs.LinuxRdma) error {
	names := make([]string, 0, len(rdma))
	for n := range rdma {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		l := rdma[name]
		line := name
		if l.HcaHandles != nil {
			line += fmt.Sprintf(" hca_handle=%d", *l.HcaHandles)
		}
		if l.HcaObjects != nil {
			line += fmt.Sprintf(" hca_object=%d", *l.HcaObjects)
		}
		if line == name {
			continue
		}
		if err := cgfile.Write(dir, "rdma.max", line); err != nil {
			return err
		}
	}
	return nil
}

// Pids lists every pid in the container's cgroup and below.
func (m *Manager) Pids() ([]int, error) {
	for _, c := range []string{"pids", "freezer", "devices", "memory", "cpu", "cpuacct", "name=systemd"} {
		if d, ok := m.paths[c]; ok {
			return cgfile.ReadProcsRecursive(d)
		}
	}
	ds := m.dirs()
	if len(ds) == 0 {
		return nil, errors.New("no cgroup dirs to list pids from")
	}
	return cgfile.ReadProcsRecursive(ds[0])
}

// Destroy removes every dir (and nested cgroups the container made), then
// the now-empty parents that Apply created. Missing dirs are fine.
func (m *Manager) Destroy() error {
	var errs []error
	for _, d := range m.dirs() {
		if err := cgfile.RemoveTree(d); err != nil {
			errs = append(errs, err)
			continue
		}
		made := m.created[d]
		for i := len(made) - 1; i >= 0; i-- {
			if made[i] == d {
				continue
			}
			removed, err := cgfile.RemoveEmpty(made[i])
			if err != nil {
				errs = append(errs, err)
			}
			if !removed {
				break
			}
		}
		delete(m.created, d)
	}
	return errors.Join(errs...)
}

// Stats reads the counters of every mounted controller that has them.
func (m *Manager) Stats() (*stats.Stats, error) {
	s := &stats.Stats{Hugetlb: map[string]stats.Hugetlb{}}
	for _, c := range controllers {
		d, ok := m.paths[c.name]
		if !ok || c.stats == nil {
			continue
		}
		if err := c.stats(d, s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func pidsStats(dir string, p *stats.Pids) error {
	cur, err := cgfile.ReadUint(dir, "pids.current")
	if err != nil {
		return err
	}
	max, err := cgfile.ReadUint(dir, "pids.max")
	if err != nil {
		return err
	}
	p.Current = cur
	if max != ^uint64(0) {
		p.Limit = max
	}
	return nil
}

// initCpuset gives dir (and any empty parents up to the first configured
// ancestor) the cpus and mems of their parent.
func initCpuset(dir string) error {
	var empty []string
	for d := dir; ; d = filepath.Dir(d) {
		if !cgfile.Exists(d, "cpuset.cpus") {
			break // above the hierarchy's root
		}
		cpus, err := cgfile.Read(d, "cpuset.cpus")
		if err != nil {
			return err
		}
		mems, err := cgfile.Read(d, "cpuset.mems")
		if err != nil {
			return err
		}
		if cpus != "" && mems != "" {
			break
		}
		empty = append(empty, d)
		if d == "/" {
			break
		}
	}
	for i := len(empty) - 1; i >= 0; i-- {
		d := empty[i]
		parent := filepath.Dir(d)
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			cur, err := cgfile.Read(d, f)
			if err != nil {
				return err
			}
			if cur != "" {
				continue
			}
			v, err := cgfile.Read(parent, f)
			if err != nil {
				return err
			}
			if err := cgfile.Write(d, f, v); err != nil {
				return err
			}
		}
	}
	return nil
}

func setCpuset(dir, cpus, mems string) error {
	if cpus != "" {
		if err := cgfile.Write(dir, "cpuset.cpus", cpus); err != nil {
			return err
		}
	}
	if mems != "" {
		if err := cgfile.Write(dir, "cpuset.mems", mems); err != nil {
			return err
		}
	}
	return nil
}

func isNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }

// Wanted names the first v1 controller other than devices that r sets a
// limit in, in Set's order, or "" for none.
func Wanted(r *specs.LinuxResources) string {
	if r == nil {
		return ""
	}
	for _, c := range controllers {
		if c.set != nil && c.name != "devices" && c.wants(r) {
			return c.name
		}
	}
	return ""
}
