package seccomp

import (
	"reflect"
	"slices"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

func getcwdRule(action specs.LinuxSeccompAction, errnoRet *uint, args ...specs.LinuxSeccompArg) specs.LinuxSyscall {
	return specs.LinuxSyscall{Names: []string{"getcwd"}, Action: action, ErrnoRet: errnoRet, Args: args}
}

func allowAll(rules ...specs.LinuxSyscall) specs.LinuxSeccomp {
	return specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: rules}
}

func TestActionsInProcess(t *testing.T) {
	tests := []struct {
		name   string
		rule   specs.LinuxSyscall
		notify int32
		want   int
	}{
		{"errno defaults to EPERM", getcwdRule(specs.ActErrno, nil), 0, int(unix.EPERM)},
		{"errno with errnoRet", getcwdRule(specs.ActErrno, uintp(uint(unix.EXDEV))), 0, int(unix.EXDEV)},
		{"trace without a tracer is ENOSYS", getcwdRule(specs.ActTrace, uintp(7)), 0, int(unix.ENOSYS)},
		{"log lets it through", getcwdRule(specs.ActLog, nil), 0, 0},
		{"notify answered by the listener", getcwdRule(specs.ActNotify, nil), int32(unix.ENOTBLK), int(unix.ENOTBLK)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := mustRun(t, childRequest{
				Profile:     allowAll(tc.rule),
				Probes:      []probe{getcwdProbe(4096), {Nr: unix.SYS_GETPID}},
				NotifyErrno: tc.notify,
			})
			if want := []int{tc.want, 0}; !reflect.DeepEqual(res.Errnos, want) {
				t.Fatalf("errnos (getcwd, getpid) = %v, want %v", res.Errnos, want)
			}
			if isNotify := tc.rule.Action == specs.ActNotify; isNotify != (res.NotifyFd >= 0) {
				t.Fatalf("notify fd = %d for action %s", res.NotifyFd, tc.rule.Action)
			}
		})
	}
}

func TestActionsKillTheWorkload(t *testing.T) {
	if _, err := lookBusybox(); err != nil {
		t.Skip(err)
	}
	for _, action := range []specs.LinuxSeccompAction{specs.ActKill, specs.ActKillThread, specs.ActKillProcess, specs.ActTrap} {
		t.Run(string(action), func(t *testing.T) {
			// Under the filter, busybox's pwd -P calls getcwd.
			res, st := startChild(t, childRequest{
				Profile: allowAll(getcwdRule(action, nil)),
				Exec:    []string{"/bin/busybox", "pwd", "-P"},
			})
			if res == nil || res.Error != "" {
				t.Fatalf("child report %+v", res)
			}
			if !diedOf(st, syscall.SIGSYS) {
				t.Fatalf("workload ended %v, want killed by SIGSYS", st)
			}
		})
	}
	t.Run("control: allowed pwd exits 0", func(t *testing.T) {
		_, st := startChild(t, childRequest{
			Profile: allowAll(getcwdRule(specs.ActErrno, nil, specs.LinuxSeccompArg{Index: 1, Value: 1, Op: specs.OpEqualTo})),
			Exec:    []string{"/bin/busybox", "pwd", "-P"},
		})
		if !st.Success() {
			t.Fatalf("workload ended %v, want exit 0", st)
		}
	})
}

func TestKillProcessKillsEveryThread(t *testing.T) {
	// The probe runs on a locked thread of a multi-threaded Go process: the
	// whole process must die, and no report is written.
	res, st := startChild(t, childRequest{
		Profile: allowAll(getcwdRule(specs.ActKillProcess, nil)),
		Probes:  []probe{getcwdProbe(4096)},
	})
	if res != nil || !diedOf(st, syscall.SIGSYS) {
		t.Fatalf("child ended %v with report %+v, want killed by SIGSYS", st, res)
	}
}

func arg(index uint, op specs.LinuxSeccompOperator, v, v2 uint64) specs.LinuxSeccompArg {
	return specs.LinuxSeccompArg{Index: index, Op: op, Value: v, ValueTwo: v2}
}

func TestArgConditions(t *testing.T) {
	exdev := int(unix.EXDEV)
	tests := []struct {
		name   string
		args   []specs.LinuxSeccompArg
		probes []probe
		want   []int
	}{
		{"EQ", []specs.LinuxSeccompArg{arg(1, specs.OpEqualTo, 77, 0)},
			[]probe{getcwdProbe(77), getcwdProbe(4096)}, []int{exdev, 0}},
		{"NE", []specs.LinuxSeccompArg{arg(1, specs.OpNotEqual, 4096, 0)},
			[]probe{getcwdProbe(4095), getcwdProbe(4096)}, []int{exdev, 0}},
		{"LT", []specs.LinuxSeccompArg{arg(1, specs.OpLessThan, 50, 0)},
			[]probe{getcwdProbe(49), getcwdProbe(50)}, []int{exdev, 0}},
		{"LE", []specs.LinuxSeccompArg{arg(1, specs.OpLessEqual, 50, 0)},
			[]probe{getcwdProbe(50), getcwdProbe(51)}, []int{exdev, 0}},
		{"GT", []specs.LinuxSeccompArg{arg(1, specs.OpGreaterThan, 5000, 0)},
			[]probe{getcwdProbe(5001), getcwdProbe(4096)}, []int{exdev, 0}},
		{"GE", []specs.LinuxSeccompArg{arg(1, specs.OpGreaterEqual, 5000, 0)},
			[]probe{getcwdProbe(5000), getcwdProbe(4999)}, []int{exdev, 0}},
		// (size & 0xf0) == 0x40
		{"MASKED_EQ", []specs.LinuxSeccompArg{arg(1, specs.OpMaskedEqual, 0xf0, 0x40)},
			[]probe{getcwdProbe(0x4f), getcwdProbe(0x1040), getcwdProbe(0x1000)}, []int{exdev, exdev, 0}},
		// Different arguments: AND. getcwd(NULL, 77) is denied, getcwd(buf, 77)
		// is not, getcwd(NULL, 78) reaches the kernel (EFAULT).
		{"AND across arguments", []specs.LinuxSeccompArg{arg(0, specs.OpEqualTo, 0, 0), arg(1, specs.OpEqualTo, 77, 0)},
			[]probe{{Nr: unix.SYS_GETCWD, Args: [3]uintptr{0, 77}}, getcwdProbe(77), {Nr: unix.SYS_GETCWD, Args: [3]uintptr{0, 78}}},
			[]int{exdev, 0, int(unix.EFAULT)}},
		// The same argument twice: OR, as runc does.
		{"OR on one argument", []specs.LinuxSeccompArg{arg(1, specs.OpEqualTo, 77, 0), arg(1, specs.OpEqualTo, 88, 0)},
			[]probe{getcwdProbe(77), getcwdProbe(88), getcwdProbe(99)}, []int{exdev, exdev, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := mustRun(t, childRequest{
				Profile: allowAll(getcwdRule(specs.ActErrno, uintp(uint(unix.EXDEV)), tc.args...)),
				Probes:  tc.probes,
			})
			if !reflect.DeepEqual(res.Errnos, tc.want) {
				t.Fatalf("errnos = %v, want %v", res.Errnos, tc.want)
			}
		})
	}
}

func TestUnknownNamesSkipped(t *testing.T) {
	rule := specs.LinuxSyscall{Names: []string{"rt_no_such_syscall", "getcwd", "rt_no_such_syscall"}, Action: specs.ActErrno}
	other := specs.LinuxSyscall{Names: []string{"rt_fake_two"}, Action: specs.ActNotify}
	res := mustRun(t, childRequest{
		Profile: allowAll(rule, other),
		Probes:  []probe{getcwdProbe(4096)},
	})
	if want := []string{"rt_no_such_syscall", "rt_fake_two"}; !reflect.DeepEqual(res.Skipped, want) {
		t.Fatalf("skipped = %q, want %q", res.Skipped, want)
	}
	if !reflect.DeepEqual(res.Errnos, []int{int(unix.EPERM)}) {
		t.Fatalf("errnos = %v, want the getcwd rule applied", res.Errnos)
	}
	// The only notify rule was skipped: no listener.
	if res.NotifyFd != -1 {
		t.Fatalf("notify fd = %d, want -1", res.NotifyFd)
	}
}

// allowlistUpTo allows every native syscall numbered <= top except getcwd.
func allowlistUpTo(t *testing.T, top int) []string {
	t.Helper()
	native, err := libseccomp.GetNativeArch()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := 0; n <= top; n++ {
		name, err := libseccomp.ScmpSyscall(n).GetNameByArch(native)
		if err == nil && n != unix.SYS_GETCWD {
			names = append(names, name)
		}
	}
	return names
}

func TestENOSYSForNewerSyscalls(t *testing.T) {
	if runtimeArch() != "amd64" {
		t.Skip("syscall numbers below are x86_64's")
	}
	const top = 300
	names := allowlistUpTo(t, top)
	probes := []probe{
		getcwdProbe(4096), // named by no rule, below the maximum: the default errno
		{Nr: unix.SYS_GETPID},
		{Nr: unix.SYS_GETRANDOM, Buf: true, Args: [3]uintptr{0, 1}}, // 318, known to libseccomp
		{Nr: 451},  // cachestat, newer than libseccomp 2.5.4
		{Nr: 462},  // mseal
		{Nr: 1000}, // no syscall at all: still ENOSYS, as runc's stub gives it
	}
	enosys := int(unix.ENOSYS)
	for _, archs := range [][]specs.Arch{nil, {specs.ArchX86_64, specs.ArchX86, specs.ArchX32}} {
		t.Run(fmtArchs(archs), func(t *testing.T) {
			profile := specs.LinuxSeccomp{
				DefaultAction:   specs.ActErrno,
				DefaultErrnoRet: uintp(uint(unix.EACCES)),
				Architectures:   archs,
				Syscalls:        []specs.LinuxSyscall{{Names: names, Action: specs.ActAllow}},
			}
			res := mustRun(t, childRequest{Profile: profile, Probes: probes})
			want := []int{int(unix.EACCES), 0, enosys, enosys, enosys, enosys}
			if !reflect.DeepEqual(res.Errnos, want) {
				t.Fatalf("errnos = %v, want %v", res.Errnos, want)
			}
		})
	}
	t.Run("a kill default still gives newer syscalls ENOSYS", func(t *testing.T) {
		profile := specs.LinuxSeccomp{
			DefaultAction: specs.ActKillProcess,
			Syscalls:      []specs.LinuxSyscall{{Names: names, Action: specs.ActAllow}},
		}
		res := mustRun(t, childRequest{Profile: profile, Probes: []probe{{Nr: unix.SYS_GETPID}, {Nr: 451}, {Nr: 1000}}})
		if want := []int{0, enosys, enosys}; !reflect.DeepEqual(res.Errnos, want) {
			t.Fatalf("errnos = %v, want %v", res.Errnos, want)
		}
	})
}

// TestENOSYSStubRule: which profiles get the stub, as runc 1.5 decides.
func TestENOSYSStubRule(t *testing.T) {
	for _, tc := range []struct {
		def      specs.LinuxSeccompAction
		errnoRet *uint
		want     bool
	}{
		{specs.ActErrno, nil, true},
		{specs.ActErrno, uintp(uint(unix.EPERM)), true},
		{specs.ActErrno, uintp(uint(unix.ENOSYS)), false},
		{specs.ActKill, nil, true},
		{specs.ActKillProcess, nil, true},
		{specs.ActTrap, nil, true},
		{specs.ActAllow, nil, false},
		{specs.ActLog, nil, false},
		{specs.ActTrace, nil, false},
	} {
		p := specs.LinuxSeccomp{DefaultAction: tc.def, DefaultErrnoRet: tc.errnoRet}
		if got := wantsENOSYS(&p); got != tc.want {
			t.Errorf("default %s (errnoRet %v): stub %v, want %v", tc.def, tc.errnoRet, got, tc.want)
		}
	}
}

// TestENOSYSStubProgram: the stub checks the architecture, jumps to
// ENOSYS above each maximum and otherwise into the filter that follows;
// x86_64 and x32 share an audit architecture and split on the x32 bit.
func TestENOSYSStubProgram(t *testing.T) {
	stub, err := enosysStub(map[libseccomp.ScmpArch]int{
		libseccomp.ArchAMD64: 334, libseccomp.ArchX32: x32SyscallBit | 334, libseccomp.ArchX86: 386,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Run the program on (arch, nr) by interpreting it.
	run := func(arch, nr uint32) string {
		var acc uint32
		for pc := 0; pc < len(stub); pc++ {
			in := stub[pc]
			switch in.Code {
			case bpfLdAbsW:
				acc = map[uint32]uint32{offNr: nr, offArch: arch}[in.K]
				continue
			case bpfJa:
				pc += int(in.K)
				continue
			case bpfRet:
				if in.K == retENOSYS {
					return "ENOSYS"
				}
				return "ret"
			}
			var cond bool
			switch in.Code {
			case bpfJeq:
				cond = acc == in.K
			case bpfJgt:
				cond = acc > in.K
			case bpfJset:
				cond = acc&in.K != 0
			default:
				t.Fatalf("unexpected opcode %#x at %d", in.Code, pc)
			}
			if cond {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		}
		return "filter"
	}
	for _, tc := range []struct {
		arch, nr uint32
		want     string
	}{
		{unix.AUDIT_ARCH_X86_64, 39, "filter"},
		{unix.AUDIT_ARCH_X86_64, 334, "filter"},
		{unix.AUDIT_ARCH_X86_64, 335, "ENOSYS"},
		{unix.AUDIT_ARCH_X86_64, 1000, "ENOSYS"},
		{unix.AUDIT_ARCH_X86_64, x32SyscallBit | 10, "filter"},
		{unix.AUDIT_ARCH_X86_64, x32SyscallBit | 335, "ENOSYS"},
		{unix.AUDIT_ARCH_I386, 386, "filter"},
		{unix.AUDIT_ARCH_I386, 387, "ENOSYS"},
		{unix.AUDIT_ARCH_AARCH64, 5000, "filter"}, // not in the profile: libseccomp's bad-arch action
	} {
		if got := run(tc.arch, tc.nr); got != tc.want {
			t.Errorf("arch %#x nr %#x: %s, want %s", tc.arch, tc.nr, got, tc.want)
		}
	}
	// Without x32 in the profile an x32 syscall goes to the filter (which
	// refuses the architecture), not to ENOSYS.
	stub, err = enosysStub(map[libseccomp.ScmpArch]int{libseccomp.ArchAMD64: 334})
	if err != nil {
		t.Fatal(err)
	}
	if got := run(unix.AUDIT_ARCH_X86_64, x32SyscallBit|335); got != "filter" {
		t.Errorf("x32 syscall without x32 in the profile: %s, want filter", got)
	}
}

func TestExplicitDefaultActionCountsAsNamed(t *testing.T) {
	// getrandom named with the default action: it must keep that errno and
	// not be treated as newer than the profile.
	names := allowlistUpTo(t, 300)
	profile := specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Syscalls: []specs.LinuxSyscall{
			{Names: names, Action: specs.ActAllow},
			{Names: []string{"getrandom"}, Action: specs.ActErrno},
		},
	}
	if runtimeArch() != "amd64" {
		t.Skip("syscall numbers below are x86_64's")
	}
	res := mustRun(t, childRequest{Profile: profile, Probes: []probe{
		{Nr: unix.SYS_GETRANDOM, Buf: true, Args: [3]uintptr{0, 1}},
		{Nr: unix.SYS_PIDFD_OPEN}, // 434, above getrandom (318)
	}})
	if want := []int{int(unix.EPERM), int(unix.ENOSYS)}; !reflect.DeepEqual(res.Errnos, want) {
		t.Fatalf("errnos = %v, want %v", res.Errnos, want)
	}
}

// TestNotifyBehindStub: a deny default takes rt's own load (the stub in
// front), which must still make the filter a notifier (NEW_LISTENER) and
// hand back its fd.
func TestNotifyBehindStub(t *testing.T) {
	if runtimeArch() != "amd64" {
		t.Skip("syscall numbers below are x86_64's")
	}
	profile := specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Syscalls: []specs.LinuxSyscall{
			// Up to rseq: the child answers its notifications itself, and
			// libseccomp's answering path calls seccomp(2) (317).
			{Names: allowlistUpTo(t, 334), Action: specs.ActAllow},
			getcwdRule(specs.ActNotify, nil),
		},
	}
	res := mustRun(t, childRequest{
		Profile:     profile,
		Probes:      []probe{getcwdProbe(4096), {Nr: 451}},
		NotifyErrno: int32(unix.ENOTBLK),
	})
	if res.NotifyFd < 0 {
		t.Fatal("no notify fd from a deny-default profile with a notify rule")
	}
	if want := []int{int(unix.ENOTBLK), int(unix.ENOSYS)}; !reflect.DeepEqual(res.Errnos, want) {
		t.Fatalf("errnos (getcwd, 451) = %v, want %v", res.Errnos, want)
	}
}

// Program's BPF and flags, loaded with seccomp(2) alone (as a plan's C
// executor loads them), filter exactly as Load does: the stub's ENOSYS,
// the errno default, allowed calls, an argument condition.
func TestProgramFiltersAsLoad(t *testing.T) {
	if runtimeArch() != "amd64" {
		t.Skip("syscall numbers below are x86_64's")
	}
	names := allowlistUpTo(t, 300)
	profiles := map[string]specs.LinuxSeccomp{
		"allowlist with the ENOSYS stub": {
			DefaultAction: specs.ActErrno, DefaultErrnoRet: uintp(uint(unix.EACCES)),
			Syscalls: []specs.LinuxSyscall{{Names: names, Action: specs.ActAllow}},
		},
		"denylist with a condition": {
			DefaultAction: specs.ActAllow,
			Flags:         []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagSpecAllow},
			Syscalls: []specs.LinuxSyscall{
				{Names: []string{"getppid"}, Action: specs.ActErrno, ErrnoRet: uintp(uint(unix.EPERM))},
				{Names: []string{"getcwd"}, Action: specs.ActErrno, ErrnoRet: uintp(uint(unix.E2BIG)),
					Args: []specs.LinuxSeccompArg{{Index: 1, Value: 10, Op: specs.OpEqualTo}}},
			},
		},
	}
	probes := []probe{getcwdProbe(4096), getcwdProbe(10), {Nr: unix.SYS_GETPID}, {Nr: unix.SYS_GETPPID},
		{Nr: 451}, {Nr: 1000}}
	for name, profile := range profiles {
		t.Run(name, func(t *testing.T) {
			want := mustRun(t, childRequest{Profile: profile, Probes: probes})
			got := mustRun(t, childRequest{Profile: profile, Probes: probes, Program: true})
			if !reflect.DeepEqual(got.Errnos, want.Errnos) {
				t.Fatalf("Program's filter gives errnos %v, Load's %v", got.Errnos, want.Errnos)
			}
			if !slices.ContainsFunc(want.Errnos, func(e int) bool { return e != 0 }) {
				t.Fatalf("no probe was filtered (%v): the comparison shows nothing", want.Errnos)
			}
		})
	}
	if _, _, _, err := Program(&specs.LinuxSeccomp{DefaultAction: specs.ActNotify}); err == nil {
		t.Error("Program of a notifying profile succeeded")
	}
}
