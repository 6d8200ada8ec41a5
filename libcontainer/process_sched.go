package libcontainer

import (
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

// applyScheduler sets process.scheduler with sched_setattr.
func applyScheduler(s *specs.Scheduler) error {
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
		return fmt.Errorf("set scheduler %s: %w", s.Policy, err)
	}
	return nil
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

// lastAttrs are the steps right before execve: personality, the final CPU
// affinity and the address-space rlimits.
func lastAttrs(s *specs.Spec, p *specs.Process, late []specs.POSIXRlimit) error {
	if err := applyPersonality(s.Linux.Personality); err != nil {
		return err
	}
	if a := p.ExecCPUAffinity; a != nil {
		if err := applyAffinity(a.Final); err != nil {
			return err
		}
	}
	return setRlimits(late)
}
