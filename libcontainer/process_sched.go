package libcontainer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The process attributes the kernel keeps across execve: scheduling
// policy, I/O priority, personality and CPU affinity. They are set by the
// init on itself, the last steps before execve.

var schedPolicies = map[specs.LinuxSchedulerPolicy]uint32{
	specs.SchedOther: 0, specs.SchedFIFO: 1, specs.SchedRR: 2, specs.SchedBatch: 3,
	specs.SchedISO: 4, specs.SchedIdle: 5, specs.SchedDeadline: 6,
}

var schedFlags = map[specs.LinuxSchedulerFlag]uint64{
	specs.SchedFlagResetOnFork: 0x01, specs.SchedFlagReclaim: 0x02, specs.SchedFlagDLOverrun: 0x04,
	specs.SchedFlagKeepPolicy: 0x08, specs.SchedFlagKeepParams: 0x10,
	specs.SchedFlagUtilClampMin: 0x20, specs.SchedFlagUtilClampMax: 0x40,
}

var ioprioClasses = map[specs.IOPriorityClass]int{
	specs.IOPRIO_CLASS_RT: 1, specs.IOPRIO_CLASS_BE: 2, specs.IOPRIO_CLASS_IDLE: 3,
}

var personalities = map[specs.LinuxPersonalityDomain]uintptr{
	specs.PerLinux: 0x0000, specs.PerLinux32: 0x0008,
}

func validateProcessAttrs(p *specs.Process, field string) error {
	if s := p.Scheduler; s != nil {
		if _, ok := schedPolicies[s.Policy]; !ok {
			return fmt.Errorf("%s.scheduler.policy: unknown policy %q", field, s.Policy)
		}
		for i, f := range s.Flags {
			if _, ok := schedFlags[f]; !ok {
				return fmt.Errorf("%s.scheduler.flags[%d]: unknown flag %q", field, i, f)
			}
		}
	}
	if io := p.IOPriority; io != nil {
		if _, ok := ioprioClasses[io.Class]; !ok {
			return fmt.Errorf("%s.ioPriority.class: unknown class %q", field, io.Class)
		}
		if io.Priority < 0 || io.Priority > 7 {
			return fmt.Errorf("%s.ioPriority.priority: %d is not in 0..7", field, io.Priority)
		}
	}
	if a := p.ExecCPUAffinity; a != nil {
		for _, v := range []string{a.Initial, a.Final} {
			if _, err := parseCPUList(v); err != nil {
				return fmt.Errorf("%s.execCPUAffinity: %w", field, err)
			}
		}
	}
	return nil
}

func validatePersonality(p *specs.LinuxPersonality) error {
	if p == nil {
		return nil
	}
	if _, ok := personalities[p.Domain]; !ok {
		return fmt.Errorf("linux.personality.domain: unknown domain %q", p.Domain)
	}
	if len(p.Flags) > 0 {
		return fmt.Errorf("linux.personality.flags: %q: no flags are defined", p.Flags[0])
	}
	return nil
}

// applyScheduler sets process.scheduler with sched_setattr. The kernel
// refuses SCHED_DEADLINE (EPERM) to a task whose CPUs do not span its root
// domain, which a cpuset smaller than the machine makes so: that gets
// runc's message.
func applyScheduler(s *specs.Scheduler, cpusetCpus string) error {
	if s == nil {
		return nil
	}
	attr := unix.SchedAttr{
		Size: unix.SizeofSchedAttr, Policy: schedPolicies[s.Policy], Nice: s.Nice,
		Priority: uint32(s.Priority), Runtime: s.Runtime, Deadline: s.Deadline, Period: s.Period,
	}
	for _, f := range s.Flags {
		attr.Flags |= schedFlags[f]
	}
	if err := unix.SchedSetAttr(0, &attr, 0); err != nil {
		if errors.Is(err, unix.EPERM) && cpusetCpus != "" {
			return fmt.Errorf("set scheduler %s: process scheduler can't be used together with AllowedCPUs (linux.resources.cpu.cpus %q): %w", s.Policy, cpusetCpus, err)
		}
		return fmt.Errorf("set scheduler %s: %w", s.Policy, err)
	}
	return nil
}

// cpusetCpus is linux.resources.cpu.cpus, or "".
func cpusetCpus(s *specs.Spec) string {
	if s.Linux == nil || s.Linux.Resources == nil || s.Linux.Resources.CPU == nil {
		return ""
	}
	return s.Linux.Resources.CPU.Cpus
}

// applyIOPriority sets process.ioPriority with ioprio_set.
func applyIOPriority(io *specs.LinuxIOPriority) error {
	if io == nil {
		return nil
	}
	const whoProcess, classShift = 1, 13
	prio := ioprioClasses[io.Class]<<classShift | io.Priority
	if _, _, e := unix.Syscall(unix.SYS_IOPRIO_SET, whoProcess, 0, uintptr(prio)); e != 0 {
		return fmt.Errorf("set I/O priority %s/%d: %w", io.Class, io.Priority, e)
	}
	return nil
}

// applyPersonality sets linux.personality.
func applyPersonality(p *specs.LinuxPersonality) error {
	if p == nil {
		return nil
	}
	if _, _, e := unix.Syscall(unix.SYS_PERSONALITY, personalities[p.Domain], 0, 0); e != 0 {
		return fmt.Errorf("set personality %s: %w", p.Domain, e)
	}
	return nil
}

// applyAffinity pins the process to a CPU list ("" leaves it alone).
func applyAffinity(list string) error {
	if list == "" {
		return nil
	}
	set, err := parseCPUList(list)
	if err != nil {
		return err
	}
	if err := unix.SchedSetaffinity(0, set); err != nil {
		return fmt.Errorf("set CPU affinity %q: %w", list, err)
	}
	return nil
}

// initialAffinity runs first in the init, already in the container's
// cgroup. As runc 1.4+ does, the CPU affinity inherited from rt's caller is
// not kept: the process may run on every CPU of its cpuset (asking for all
// CPUs gets exactly those, the kernel masks the request with the cpuset;
// moving into a cpuset with the same CPUs changes no affinity). For rt exec,
// process.execCPUAffinity.initial is used instead when set; the spec makes
// execCPUAffinity not apply to the container's init, and runc ignores it
// there.
func initialAffinity(p *specs.Process, exec bool) error {
	if a := p.ExecCPUAffinity; exec && a != nil && a.Initial != "" {
		return applyAffinity(a.Initial)
	}
	var all unix.CPUSet
	for i := 0; i < len(all)*64; i++ {
		all.Set(i)
	}
	if err := unix.SchedSetaffinity(0, &all); err != nil {
		return fmt.Errorf("reset CPU affinity: %w", err)
	}
	return nil
}

// parseCPUList parses "0-3,5" into a CPU set.
func parseCPUList(s string) (*unix.CPUSet, error) {
	var set unix.CPUSet
	if s == "" {
		return &set, nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 0 || b < a || b >= 1024 {
			return nil, fmt.Errorf("%q is not a CPU list", s)
		}
		for c := a; c <= b; c++ {
			set.Set(c)
		}
	}
	return &set, nil
}

// lastAttrs are the steps right before execve: the final CPU affinity of
// an exec'd process and the address-space rlimits.
func lastAttrs(p *specs.Process, exec bool, late []specs.POSIXRlimit) error {
	if a := p.ExecCPUAffinity; exec && a != nil {
		if err := applyAffinity(a.Final); err != nil {
			return err
		}
	}
	return setRlimits(late)
}
