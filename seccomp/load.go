package seccomp

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// rule is one libseccomp rule before it is added to a per-arch filter.
type rule struct {
	name   string
	nr     libseccomp.ScmpSyscall // native number, or libseccomp's pseudo number
	action libseccomp.ScmpAction
	conds  []libseccomp.ScmpCondition // nil: unconditional
	// isDefault marks a rule whose action is the default one: libseccomp
	// refuses it and it changes nothing, but the syscall still counts as
	// named for the ENOSYS maximum.
	isDefault bool
}

// Load builds the filter and loads it into the calling thread and (TSYNC)
// the whole process. It returns the notify listener fd (-1 when no rule
// uses SCMP_ACT_NOTIFY) and the syscall names libseccomp does not know,
// which were left out of the filter (the caller logs them).
func Load(s *specs.LinuxSeccomp) (notifyFd int, skipped []string, err error) {
	if s == nil {
		return -1, nil, nil
	}
	filter, maxNr, skipped, notify, err := build(s)
	if err != nil {
		return -1, skipped, err
	}
	defer filter.Release()
	var stub []unix.SockFilter
	if wantsENOSYS(s) {
		if stub, err = enosysStub(maxNr); err != nil {
			return -1, skipped, err
		}
	}
	if len(stub) > 0 || ownLoad(s.Flags) {
		fd, err := loadRaw(filter, stub, s.Flags, notify)
		return fd, skipped, err
	}
	if err := filter.Load(); err != nil {
		return -1, skipped, fmt.Errorf("load seccomp filter: %w", err)
	}
	if !notify {
		return -1, skipped, nil
	}
	fd, err := filter.GetNotifFd()
	if err != nil {
		return -1, skipped, fmt.Errorf("get seccomp notify fd: %w", err)
	}
	return int(fd), skipped, nil
}

// build validates s and returns the merged, unloaded filter, and for each
// architecture the largest syscall number the profile names there (for
// the ENOSYS stub; an architecture where it names none is left out).
func build(s *specs.LinuxSeccomp) (_ *libseccomp.ScmpFilter, maxNr map[libseccomp.ScmpArch]int, skipped []string, notify bool, err error) {
	if err := Validate(s); err != nil {
		return nil, nil, nil, false, err
	}
	defAction := toAction(s.DefaultAction, s.DefaultErrnoRet)
	rules, skipped, notify, err := resolveRules(s, defAction)
	if err != nil {
		return nil, nil, skipped, false, err
	}
	archList, err := filterArchs(s.Architectures)
	if err != nil {
		return nil, nil, skipped, false, err
	}
	maxNr = make(map[libseccomp.ScmpArch]int)

	var merged *libseccomp.ScmpFilter
	defer func() {
		if err != nil && merged != nil {
			merged.Release()
		}
	}()
	for _, a := range archList {
		f, n, err := archFilter(s, defAction, a, rules)
		if err != nil {
			return nil, nil, skipped, false, err
		}
		if n > 0 {
			// As runc: 0 (only read, on x86_64) counts as naming none.
			maxNr[a] = n
		}
		if merged == nil {
			merged = f
			continue
		}
		// A successful Merge consumes f; a failed one leaves it to us.
		if err := merged.Merge(f); err != nil {
			f.Release()
			return nil, nil, skipped, false, fmt.Errorf("merge seccomp filter for %s: %w", a, err)
		}
	}
	return merged, maxNr, skipped, notify, nil
}

func toAction(a specs.LinuxSeccompAction, errnoRet *uint) libseccomp.ScmpAction {
	act := actions[a]
	if takesErrno(a) {
		code := uint(unix.EPERM)
		if errnoRet != nil {
			code = *errnoRet
		}
		act = act.SetReturnCode(int16(uint16(code)))
	}
	return act
}

// resolveRules turns the profile's entries into rules in native numbering.
// Names libseccomp does not know are returned in skipped (once each); rules
// whose action equals the default are kept only as isDefault markers.
func resolveRules(s *specs.LinuxSeccomp, def libseccomp.ScmpAction) (rules []rule, skipped []string, notify bool, err error) {
	seen := make(map[string]bool)
	for i, sc := range s.Syscalls {
		act := toAction(sc.Action, sc.ErrnoRet)
		condSets, err := conditions(sc.Args)
		if err != nil {
			return nil, nil, false, fmt.Errorf("linux.seccomp.syscalls[%d].args: %w", i, err)
		}
		for _, name := range sc.Names {
			nr, err := libseccomp.GetSyscallFromName(name)
			if err != nil {
				if !seen[name] {
					seen[name] = true
					skipped = append(skipped, name)
				}
				continue
			}
			// Only a rule that is really added makes the filter a notifier.
			notify = notify || sc.Action == specs.ActNotify
			for _, conds := range condSets {
				rules = append(rules, rule{name: name, nr: nr, action: act, conds: conds, isDefault: act == def})
			}
		}
	}
	return rules, skipped, notify, nil
}

// conditions returns the condition lists to add, one rule each: all
// conditions together when every argument index is distinct, else one
// rule per condition (see the package comment).
func conditions(args []specs.LinuxSeccompArg) ([][]libseccomp.ScmpCondition, error) {
	if len(args) == 0 {
		return [][]libseccomp.ScmpCondition{nil}, nil
	}
	conds := make([]libseccomp.ScmpCondition, 0, len(args))
	repeated := false
	var used [6]bool
	for j, arg := range args {
		values := []uint64{arg.Value}
		if arg.Op == specs.OpMaskedEqual {
			// value is the mask, valueTwo what the masked argument must equal.
			values = append(values, arg.ValueTwo)
		}
		c, err := libseccomp.MakeCondition(arg.Index, operators[arg.Op], values...)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", j, err)
		}
		if used[arg.Index] {
			repeated = true
		}
		used[arg.Index] = true
		conds = append(conds, c)
	}
	if !repeated {
		return [][]libseccomp.ScmpCondition{conds}, nil
	}
	sets := make([][]libseccomp.ScmpCondition, len(conds))
	for i, c := range conds {
		sets[i] = []libseccomp.ScmpCondition{c}
	}
	return sets, nil
}

// filterArchs is the native architecture followed by the profile's others.
func filterArchs(list []specs.Arch) ([]libseccomp.ScmpArch, error) {
	native, err := libseccomp.GetNativeArch()
	if err != nil {
		return nil, fmt.Errorf("seccomp native architecture: %w", err)
	}
	out := []libseccomp.ScmpArch{native}
	for _, a := range list {
		sa := archs[a]
		dup := false
		for _, have := range out {
			dup = dup || have == sa
		}
		if !dup {
			out = append(out, sa)
		}
	}
	return out, nil
}

// archFilter builds the filter for one architecture (attributes, the
// profile's rules that exist there) and returns the largest syscall
// number the profile names there, -1 for none.
func archFilter(s *specs.LinuxSeccomp, def libseccomp.ScmpAction, arch libseccomp.ScmpArch,
	rules []rule) (_ *libseccomp.ScmpFilter, maxNr int, err error) {
	f, err := libseccomp.NewFilter(def)
	if err != nil {
		return nil, -1, fmt.Errorf("new seccomp filter (default %s): %w", s.DefaultAction, err)
	}
	defer func() {
		if err != nil {
			f.Release()
		}
	}()
	native, err := libseccomp.GetNativeArch()
	if err != nil {
		return nil, -1, fmt.Errorf("seccomp native architecture: %w", err)
	}
	if arch != native {
		if err := f.AddArch(arch); err != nil {
			return nil, -1, fmt.Errorf("add seccomp architecture %s: %w", arch, err)
		}
		if err := f.RemoveArch(native); err != nil {
			return nil, -1, fmt.Errorf("remove seccomp architecture %s: %w", native, err)
		}
	}
	if err := setAttributes(f, s.Flags); err != nil {
		return nil, -1, err
	}

	maxNr = -1
	for _, r := range rules {
		archNr, err := libseccomp.GetSyscallFromNameByArch(r.name, arch)
		if err != nil || archNr < 0 {
			continue // the syscall does not exist on this architecture
		}
		maxNr = max(maxNr, int(archNr))
		if r.isDefault {
			continue
		}
		if r.conds == nil {
			err = f.AddRule(r.nr, r.action)
		} else {
			err = f.AddRuleConditional(r.nr, r.action, r.conds)
		}
		if err != nil {
			return nil, -1, fmt.Errorf("seccomp rule for %q (%s) on %s: %w", r.name, r.action, arch, err)
		}
	}
	return f, maxNr, nil
}

func setAttributes(f *libseccomp.ScmpFilter, list []specs.LinuxSeccompFlag) error {
	// The caller applies process.noNewPrivileges itself.
	if err := f.SetNoNewPrivsBit(false); err != nil {
		return fmt.Errorf("seccomp: clear the no_new_privs attribute: %w", err)
	}
	// Binary tree by syscall number: O(log n) per syscall, see the package comment.
	if err := f.SetOptimize(2); err != nil {
		return fmt.Errorf("seccomp: set optimize level 2: %w", err)
	}
	for _, flag := range list {
		if err := flags[flag].set(f); err != nil {
			return fmt.Errorf("seccomp flag %s: %w", flag, err)
		}
	}
	return nil
}

// bpfMaxInsns is the kernel's limit on a classic BPF program (BPF_MAXINSNS).
const bpfMaxInsns = 4096

// seccomp(2) filter flags (linux/seccomp.h).
const (
	filterFlagTsync            = 1 << 0
	filterFlagLog              = 1 << 1
	filterFlagSpecAllow        = 1 << 2
	filterFlagNewListener      = 1 << 3
	filterFlagTsyncESRCH       = 1 << 4
	filterFlagWaitKillableRecv = 1 << 5
)

// libseccompHasWaitKill: libseccomp 2.6 sets WAIT_KILLABLE_RECV itself.
func libseccompHasWaitKill() bool {
	major, minor, micro := libseccomp.GetLibraryVersion()
	return !versionLess([3]uint{major, minor, micro}, [3]uint{2, 6, 0})
}

// setWaitKill is the attribute on a libseccomp that has it; otherwise
// loadRaw sets the flag and the attribute stays unset.
func setWaitKill(f *libseccomp.ScmpFilter) error {
	if !libseccompHasWaitKill() {
		return nil
	}
	return f.SetWaitKill(true)
}

// ownLoad: the profile asks for a flag the installed libseccomp cannot set.
func ownLoad(list []specs.LinuxSeccompFlag) bool {
	return slices.Contains(list, specs.LinuxSeccompFlagWaitKillableRecv) && !libseccompHasWaitKill()
}

// loadRaw loads the filter libseccomp built, exported as BPF behind the
// ENOSYS stub when there is one, with seccomp(SECCOMP_SET_MODE_FILTER) and
// exactly the flags the profile asks for (TSYNC always, as libseccomp-golang does; NEW_LISTENER, with
// TSYNC_ESRCH which the kernel needs beside TSYNC, when a rule notifies).
// WAIT_KILLABLE_RECV only exists for a listener; the kernel refuses it
// alone, so without a notify rule it is left out, as libseccomp does.
func loadRaw(f *libseccomp.ScmpFilter, stub []unix.SockFilter, list []specs.LinuxSeccompFlag, notify bool) (int, error) {
	insns, flags, err := program(f, stub, list, notify)
	if err != nil {
		return -1, err
	}
	prog := unix.SockFprog{Len: uint16(len(insns)), Filter: &insns[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&prog)))
	runtime.KeepAlive(insns)
	if errno != 0 {
		return -1, fmt.Errorf("load seccomp filter (seccomp(2), flags %#x): %w", flags, errno)
	}
	if !notify {
		return -1, nil
	}
	return int(r), nil
}

// program is what loadRaw loads: the stub and libseccomp's exported
// program, and the seccomp(2) flags.
func program(f *libseccomp.ScmpFilter, stub []unix.SockFilter, list []specs.LinuxSeccompFlag, notify bool) ([]unix.SockFilter, uintptr, error) {
	bpf, err := exportBPF(f)
	if err != nil {
		return nil, 0, fmt.Errorf("export seccomp filter: %w", err)
	}
	const insnSize = int(unsafe.Sizeof(unix.SockFilter{}))
	if len(bpf) == 0 || len(bpf)%insnSize != 0 {
		return nil, 0, fmt.Errorf("export seccomp filter: %d bytes is no BPF program", len(bpf))
	}
	insns := make([]unix.SockFilter, len(stub)+len(bpf)/insnSize)
	copy(insns, stub)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&insns[len(stub)])), len(bpf)), bpf)
	if len(insns) > bpfMaxInsns {
		return nil, 0, fmt.Errorf("seccomp filter: %d BPF instructions, the kernel takes at most %d", len(insns), bpfMaxInsns)
	}
	flags := uintptr(filterFlagTsync)
	for _, fl := range list {
		switch fl {
		case specs.LinuxSeccompFlagLog:
			flags |= filterFlagLog
		case specs.LinuxSeccompFlagSpecAllow:
			flags |= filterFlagSpecAllow
		case specs.LinuxSeccompFlagWaitKillableRecv:
			if notify {
				flags |= filterFlagWaitKillableRecv
			}
		}
	}
	if notify {
		flags |= filterFlagNewListener | filterFlagTsyncESRCH
	}
	return insns, flags, nil
}

// Program compiles s, in the parent, to what Load would load: the BPF
// program (the ENOSYS stub, when the profile wants one, in front of
// libseccomp's, as struct sock_filter in the host's byte order) and the
// seccomp(2) flags, for an init that loads it without libseccomp (a plan,
// libcontainer/plan). A profile that notifies is refused: its listener fd
// comes from Load. skipped is as for Load.
func Program(s *specs.LinuxSeccomp) (flags uint64, bpf []byte, skipped []string, err error) {
	filter, maxNr, skipped, notify, err := build(s)
	if err != nil {
		return 0, nil, skipped, err
	}
	defer filter.Release()
	if notify {
		return 0, nil, skipped, fmt.Errorf("seccomp: a profile with %s needs its listener fd: no program alone", specs.ActNotify)
	}
	var stub []unix.SockFilter
	if wantsENOSYS(s) {
		if stub, err = enosysStub(maxNr); err != nil {
			return 0, nil, skipped, err
		}
	}
	insns, fl, err := program(filter, stub, s.Flags, false)
	if err != nil {
		return 0, nil, skipped, err
	}
	const insnSize = int(unsafe.Sizeof(unix.SockFilter{}))
	raw := unsafe.Slice((*byte)(unsafe.Pointer(&insns[0])), len(insns)*insnSize)
	return uint64(fl), append([]byte(nil), raw...), skipped, nil
}

// exportBPF is the filter's BPF program. ExportBPFMem needs libseccomp
// 2.6; ExportBPF writes to an fd, here a memfd read back.
func exportBPF(f *libseccomp.ScmpFilter) ([]byte, error) {
	fd, err := unix.MemfdCreate("rt-seccomp-bpf", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd: %w", err)
	}
	file := os.NewFile(uintptr(fd), "rt-seccomp-bpf")
	defer file.Close()
	if err := f.ExportBPF(file); err != nil {
		return nil, err
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(file)
}
