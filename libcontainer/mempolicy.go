package libcontainer

import (
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// linux.memoryPolicy: the NUMA policy of the container's processes, set
// with set_mempolicy(2) by the init and by rt exec's process on itself
// just before execve (the kernel keeps a task's policy across execve and
// gives it to its children).

// The modes and flags of <linux/mempolicy.h>; x/sys/unix has none.
var mpolModes = map[specs.MemoryPolicyModeType]int{
	specs.MpolDefault:            0,
	specs.MpolPreferred:          1,
	specs.MpolBind:               2,
	specs.MpolInterleave:         3,
	specs.MpolLocal:              4,
	specs.MpolPreferredMany:      5,
	specs.MpolWeightedInterleave: 6,
}

var mpolFlags = map[specs.MemoryPolicyFlagType]int{
	specs.MpolFNumaBalancing: 1 << 13,
	specs.MpolFRelativeNodes: 1 << 14,
	specs.MpolFStaticNodes:   1 << 15,
}

// mpolMaxNode is the highest node number accepted, as runc does: the
// kernel's MAX_NUMNODES is 1024 on the common distribution kernels.
const mpolMaxNode = 1023

// nodeMask is a set of NUMA nodes 0..mpolMaxNode, as set_mempolicy reads it.
type nodeMask [(mpolMaxNode + 1) / 64]uint64

func (m *nodeMask) set(n int)      { m[n/64] |= 1 << (n % 64) }
func (m *nodeMask) has(n int) bool { return m[n/64]&(1<<(n%64)) != 0 }

func (m *nodeMask) intersects(o *nodeMask) bool {
	for i := range m {
		if m[i]&o[i] != 0 {
			return true
		}
	}
	return false
}

func (m *nodeMask) count() int {
	c := 0
	for _, w := range m {
		c += bits.OnesCount64(w)
	}
	return c
}

func (m *nodeMask) String() string {
	var s []string
	for n := 0; n <= mpolMaxNode; n++ {
		if m.has(n) {
			s = append(s, strconv.Itoa(n))
		}
	}
	return strings.Join(s, ",")
}

// parseNodes reads a node list ("0-3,7"), the syntax of cpuset.mems.
// Blank members are skipped; at least one member is needed.
func parseNodes(list string) (*nodeMask, error) {
	m := &nodeMask{}
	members := 0
	for _, part := range strings.Split(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		members++
		lo, hi, isRange := strings.Cut(part, "-")
		first, err := parseNode(lo)
		if err != nil {
			return nil, err
		}
		last := first
		if isRange {
			if last, err = parseNode(hi); err != nil {
				return nil, err
			}
			if last < first {
				return nil, fmt.Errorf("invalid range %q", part)
			}
		}
		for n := first; n <= last; n++ {
			m.set(n)
		}
	}
	if members == 0 {
		return nil, fmt.Errorf("no node in %q", list)
	}
	return m, nil
}

func parseNode(s string) (int, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not a node number", s)
	}
	if n > mpolMaxNode {
		return 0, fmt.Errorf("node %d: values larger than %d are not supported", n, mpolMaxNode)
	}
	return int(n), nil
}

// memPolicy is linux.memoryPolicy in the form set_mempolicy takes.
type memPolicy struct {
	mode  int // mode | flags
	nodes *nodeMask
}

// parseMemoryPolicy checks linux.memoryPolicy as runc does: a known mode
// and flags, a well-formed node list, no nodes for default and local, at
// least one for the modes that spread or bind over nodes. Whether the
// nodes exist and the flags fit the mode is the kernel's word, at
// set_mempolicy time.
func parseMemoryPolicy(p *specs.LinuxMemoryPolicy) (*memPolicy, error) {
	mode, ok := mpolModes[p.Mode]
	if !ok {
		return nil, fmt.Errorf("linux.memoryPolicy.mode: invalid memory policy mode %q", p.Mode)
	}
	mp := &memPolicy{mode: mode, nodes: &nodeMask{}}
	if p.Nodes != "" {
		m, err := parseNodes(p.Nodes)
		if err != nil {
			return nil, fmt.Errorf("linux.memoryPolicy.nodes: invalid memory policy nodes %q: %w", p.Nodes, err)
		}
		mp.nodes = m
	}
	for i, f := range p.Flags {
		v, ok := mpolFlags[f]
		if !ok {
			return nil, fmt.Errorf("linux.memoryPolicy.flags[%d]: invalid memory policy flag %q", i, f)
		}
		mp.mode |= v
	}
	n := mp.nodes.count()
	switch p.Mode {
	case specs.MpolDefault, specs.MpolLocal:
		if n != 0 {
			return nil, fmt.Errorf("linux.memoryPolicy.nodes: memory policy mode %s requires 0 nodes but got %d", p.Mode, n)
		}
	case specs.MpolBind, specs.MpolInterleave, specs.MpolPreferredMany, specs.MpolWeightedInterleave:
		if n == 0 {
			return nil, fmt.Errorf("linux.memoryPolicy.nodes: memory policy mode %s requires at least one node but got 0", p.Mode)
		}
	}
	return mp, nil
}

func validateMemoryPolicy(p *specs.LinuxMemoryPolicy) error {
	if p == nil {
		return nil
	}
	_, err := parseMemoryPolicy(p)
	return err
}

func setMempolicy(mode int, nodes *nodeMask) error {
	var mask unsafe.Pointer
	maxnode := uintptr(0)
	if nodes != nil && nodes.count() > 0 {
		mask = unsafe.Pointer(&nodes[0])
		// The kernel reads maxnode-1 bits.
		maxnode = uintptr(len(nodes)*64 + 1)
	}
	_, _, e := unix.Syscall(unix.SYS_SET_MEMPOLICY, uintptr(mode), uintptr(mask), maxnode)
	if e != 0 {
		return e
	}
	return nil
}

// allowedNodes asks the kernel which nodes this task may use (its
// cpuset's mems that are online): get_mempolicy(MPOL_F_MEMS_ALLOWED).
func allowedNodes() (*nodeMask, error) {
	const mpolFMemsAllowed = 1 << 2
	m := &nodeMask{}
	_, _, e := unix.Syscall6(unix.SYS_GET_MEMPOLICY, 0, uintptr(unsafe.Pointer(&m[0])),
		uintptr(len(m)*64+1), 0, mpolFMemsAllowed, 0)
	if e != 0 {
		return nil, e
	}
	return m, nil
}

// applyMemoryPolicy sets linux.memoryPolicy on the calling thread (the
// init's, locked; its policy passes execve). A refusal by the kernel is
// explained: nodes this machine lacks, or mode and flags that do not go
// together.
func applyMemoryPolicy(p *specs.LinuxMemoryPolicy) error {
	if p == nil {
		return nil
	}
	mp, err := parseMemoryPolicy(p)
	if err != nil {
		return err
	}
	err = setMempolicy(mp.mode, mp.nodes)
	if err == nil {
		return nil
	}
	if errors.Is(err, unix.ENOSYS) {
		return fmt.Errorf("linux.memoryPolicy: this kernel has no NUMA memory policies (set_mempolicy: %w)", err)
	}
	relative := mp.mode&mpolFlags[specs.MpolFRelativeNodes] != 0
	if errors.Is(err, unix.EINVAL) && mp.nodes.count() > 0 && !relative {
		// The kernel refuses a node set of which no node is usable.
		if allowed, aerr := allowedNodes(); aerr == nil && !mp.nodes.intersects(allowed) {
			return fmt.Errorf("linux.memoryPolicy.nodes: no node of %q is on this machine or allowed to the container (usable nodes: %s): set_mempolicy: %w",
				p.Nodes, allowed, err)
		}
	}
	return fmt.Errorf("linux.memoryPolicy: mode %s, flags %s, nodes %q: set_mempolicy: %w", p.Mode, flagNames(p.Flags), p.Nodes, err)
}

func flagNames(f []specs.MemoryPolicyFlagType) string {
	if len(f) == 0 {
		return "(no flags)"
	}
	s := make([]string, len(f))
	for i, v := range f {
		s[i] = string(v)
	}
	return strings.Join(s, "|")
}

// MemoryPolicySupport returns the modes and flags this kernel accepts,
// each tried with set_mempolicy on a thread of this process that is then
// given its default policy back (rt features).
func MemoryPolicySupport() (modes, flags []string) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer setMempolicy(0, nil)
	allowed, err := allowedNodes()
	if err != nil || allowed.count() == 0 {
		return nil, nil
	}
	for name, mode := range mpolModes {
		nodes := allowed
		if name == specs.MpolDefault || name == specs.MpolLocal {
			nodes = nil
		}
		if setMempolicy(mode, nodes) == nil {
			modes = append(modes, string(name))
		}
	}
	for name, flag := range mpolFlags {
		if setMempolicy(mpolModes[specs.MpolBind]|flag, allowed) == nil {
			flags = append(flags, string(name))
		}
	}
	sort.Strings(modes)
	sort.Strings(flags)
	return modes, flags
}
