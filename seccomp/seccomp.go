// Package seccomp turns the OCI linux.seccomp profile into a libseccomp
// filter and loads it into the calling thread (and, through the TSYNC flag
// that libseccomp-golang always sets, every thread of the process).
//
// Validate checks a profile without loading it, so the core can reject a
// bad one before anything is made; Load validates again and loads.
//
// # Argument conditions
//
// libseccomp allows one comparison per syscall argument in a rule. Like
// runc (opencontainers/runc#2735), an entry whose conditions all name
// different arguments becomes one rule (the conditions are ANDed); an entry
// where any argument index repeats becomes one rule per condition (ORed),
// which is what existing profiles (Docker's among them) were written for.
//
// # ENOSYS for syscalls newer than the profile
//
// A profile written before a syscall existed would answer it with the
// default action (usually EPERM), and programs that probe a new syscall and
// fall back on ENOSYS break. rt does what runc 1.5 does: unless the default
// action is permissive (ALLOW, LOG, TRACE) or ERRNO(ENOSYS) already, a
// short BPF program (enosys.go) goes in front of libseccomp's: for each
// architecture of the filter it returns ENOSYS for every syscall numbered
// above the largest one the profile names on that architecture (x32 apart
// from x86_64 by its syscall bit; on s390 also for the multiplexer, 0), and
// lets everything else through to libseccomp's program. The filter is then
// exported from libseccomp and loaded with seccomp(2) (loadRaw). Syscalls
// below the maximum that the profile does not name keep the default action,
// as in runc.
//
// The filter is built per architecture and merged, as a binary tree
// (optimize level 2): O(log n) per syscall.
//
// # Notify
//
// With SCMP_ACT_NOTIFY in any rule, libseccomp loads the filter with
// SECCOMP_FILTER_FLAG_NEW_LISTENER and Load returns the listener fd; the
// caller passes it to the agent at listenerPath and closes it.
//
// Load leaves no_new_privs alone (the caller applies
// process.noNewPrivileges), so without it Load needs CAP_SYS_ADMIN.
package seccomp

import (
	"fmt"
	"sort"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
)

var actions = map[specs.LinuxSeccompAction]libseccomp.ScmpAction{
	specs.ActAllow:       libseccomp.ActAllow,
	specs.ActErrno:       libseccomp.ActErrno,
	specs.ActKill:        libseccomp.ActKillThread,
	specs.ActKillThread:  libseccomp.ActKillThread,
	specs.ActKillProcess: libseccomp.ActKillProcess,
	specs.ActTrap:        libseccomp.ActTrap,
	specs.ActTrace:       libseccomp.ActTrace,
	specs.ActLog:         libseccomp.ActLog,
	specs.ActNotify:      libseccomp.ActNotify,
}

var operators = map[specs.LinuxSeccompOperator]libseccomp.ScmpCompareOp{
	specs.OpNotEqual:     libseccomp.CompareNotEqual,
	specs.OpLessThan:     libseccomp.CompareLess,
	specs.OpLessEqual:    libseccomp.CompareLessOrEqual,
	specs.OpEqualTo:      libseccomp.CompareEqual,
	specs.OpGreaterEqual: libseccomp.CompareGreaterEqual,
	specs.OpGreaterThan:  libseccomp.CompareGreater,
	specs.OpMaskedEqual:  libseccomp.CompareMaskedEqual,
}

var archs = map[specs.Arch]libseccomp.ScmpArch{
	specs.ArchX86:         libseccomp.ArchX86,
	specs.ArchX86_64:      libseccomp.ArchAMD64,
	specs.ArchX32:         libseccomp.ArchX32,
	specs.ArchARM:         libseccomp.ArchARM,
	specs.ArchAARCH64:     libseccomp.ArchARM64,
	specs.ArchMIPS:        libseccomp.ArchMIPS,
	specs.ArchMIPS64:      libseccomp.ArchMIPS64,
	specs.ArchMIPS64N32:   libseccomp.ArchMIPS64N32,
	specs.ArchMIPSEL:      libseccomp.ArchMIPSEL,
	specs.ArchMIPSEL64:    libseccomp.ArchMIPSEL64,
	specs.ArchMIPSEL64N32: libseccomp.ArchMIPSEL64N32,
	specs.ArchPPC:         libseccomp.ArchPPC,
	specs.ArchPPC64:       libseccomp.ArchPPC64,
	specs.ArchPPC64LE:     libseccomp.ArchPPC64LE,
	specs.ArchS390:        libseccomp.ArchS390,
	specs.ArchS390X:       libseccomp.ArchS390X,
	specs.ArchPARISC:      libseccomp.ArchPARISC,
	specs.ArchPARISC64:    libseccomp.ArchPARISC64,
	specs.ArchRISCV64:     libseccomp.ArchRISCV64,
	specs.ArchLOONGARCH64: libseccomp.ArchLOONGARCH64,
	specs.ArchM68K:        libseccomp.ArchM68K,
	specs.ArchSH:          libseccomp.ArchSH,
	specs.ArchSHEB:        libseccomp.ArchSHEB,
}

// flagTsync is accepted as a no-op: libseccomp-golang always sets TSYNC.
const flagTsync specs.LinuxSeccompFlag = "SECCOMP_FILTER_FLAG_TSYNC"

// flagSupport describes what a flag needs: the libseccomp version that
// can set it and the libseccomp API level (what the kernel offers).
type flagSupport struct {
	minLib [3]uint
	minAPI uint
	set    func(*libseccomp.ScmpFilter) error
}

var flags = map[specs.LinuxSeccompFlag]flagSupport{
	flagTsync:                       {minLib: [3]uint{2, 2, 0}, minAPI: 2, set: func(*libseccomp.ScmpFilter) error { return nil }},
	specs.LinuxSeccompFlagLog:       {minLib: [3]uint{2, 4, 0}, minAPI: 3, set: func(f *libseccomp.ScmpFilter) error { return f.SetLogBit(true) }},
	specs.LinuxSeccompFlagSpecAllow: {minLib: [3]uint{2, 5, 0}, minAPI: 4, set: func(f *libseccomp.ScmpFilter) error { return f.SetSSB(true) }},
	// libseccomp 2.6 sets it; with an older one rt loads the exported
	// filter through seccomp(2) itself (loadRaw), and the kernel (5.19+)
	// is the judge.
	specs.LinuxSeccompFlagWaitKillableRecv: {minLib: [3]uint{2, 5, 0}, minAPI: 0, set: setWaitKill},
}

func sortedKeys[K ~string, V any](m map[K]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, string(k))
	}
	sort.Strings(out)
	return out
}

// KnownActions lists the actions this build understands.
func KnownActions() []string { return sortedKeys(actions) }

// KnownOperators lists the argument comparison operators.
func KnownOperators() []string { return sortedKeys(operators) }

// KnownArchs lists the architectures that the libseccomp rt runs with can
// build filters for (a subset of the spec's list on older libraries).
func KnownArchs() []string {
	var out []string
	for _, name := range sortedKeys(archs) {
		if archSupported(archs[specs.Arch(name)]) {
			out = append(out, name)
		}
	}
	return out
}

// KnownFlags lists the seccomp(2) flags this build can set with the
// libseccomp and kernel it runs on.
func KnownFlags() []string {
	var out []string
	for _, name := range sortedKeys(flags) {
		if flagError(specs.LinuxSeccompFlag(name)) == nil {
			out = append(out, name)
		}
	}
	return out
}

var (
	archProbeMu sync.Mutex
	archProbed  = map[libseccomp.ScmpArch]bool{}
)

// archSupported asks libseccomp whether it knows arch: an architecture the
// library was built without cannot resolve even "read".
func archSupported(a libseccomp.ScmpArch) bool {
	archProbeMu.Lock()
	defer archProbeMu.Unlock()
	ok, done := archProbed[a]
	if !done {
		// Naming a syscall is not enough: libseccomp refuses to add an
		// arch of the other endianness to a filter, so probe that.
		ok = false
		if _, err := libseccomp.GetSyscallFromNameByArch("read", a); err == nil {
			if f, err := libseccomp.NewFilter(libseccomp.ActAllow); err == nil {
				ok = f.AddArch(a) == nil
				f.Release()
			}
		}
		archProbed[a] = ok
	}
	return ok
}

// flagError says why flag cannot be set here, or nil when it can.
func flagError(flag specs.LinuxSeccompFlag) error {
	fs, ok := flags[flag]
	if !ok {
		return fmt.Errorf("unknown flag %q", flag)
	}
	major, minor, micro := libseccomp.GetLibraryVersion()
	have := [3]uint{major, minor, micro}
	if versionLess(have, fs.minLib) {
		return fmt.Errorf("flag %q needs libseccomp >= %d.%d.%d (this is %d.%d.%d)",
			flag, fs.minLib[0], fs.minLib[1], fs.minLib[2], major, minor, micro)
	}
	api, err := libseccomp.GetAPI()
	if err != nil {
		return fmt.Errorf("flag %q: libseccomp API level: %w", flag, err)
	}
	if api < fs.minAPI {
		return fmt.Errorf("flag %q needs libseccomp API level %d (the running kernel gives %d)", flag, fs.minAPI, api)
	}
	return nil
}

func versionLess(a, b [3]uint) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// errnoActions are the actions that carry an errno.
func takesErrno(a specs.LinuxSeccompAction) bool {
	return a == specs.ActErrno || a == specs.ActTrace
}

// Validate checks a profile without loading it. Errors name the field.
func Validate(s *specs.LinuxSeccomp) error {
	if s == nil {
		return nil
	}
	const base = "linux.seccomp"
	if err := checkAction(s.DefaultAction, s.DefaultErrnoRet); err != nil {
		return fmt.Errorf("%s.defaultAction: %w", base, err)
	}
	if s.DefaultAction == specs.ActNotify {
		// The init itself would block on its own filter before it could
		// hand the listener fd to anyone.
		return fmt.Errorf("%s.defaultAction: %q cannot be the default action", base, s.DefaultAction)
	}
	for i, a := range s.Architectures {
		sa, ok := archs[a]
		if !ok {
			return fmt.Errorf("%s.architectures[%d]: unknown architecture %q", base, i, a)
		}
		if !archSupported(sa) {
			return fmt.Errorf("%s.architectures[%d]: architecture %q is not supported by this libseccomp", base, i, a)
		}
	}
	for i, f := range s.Flags {
		if err := flagError(f); err != nil {
			return fmt.Errorf("%s.flags[%d]: %w", base, i, err)
		}
	}
	for i, sc := range s.Syscalls {
		field := fmt.Sprintf("%s.syscalls[%d]", base, i)
		if len(sc.Names) == 0 {
			return fmt.Errorf("%s.names: empty", field)
		}
		for j, n := range sc.Names {
			if n == "" {
				return fmt.Errorf("%s.names[%d]: empty syscall name", field, j)
			}
			// The init writes to its sync socket after loading the
			// filter: a notified write would block it (runc's check).
			if n == "write" && sc.Action == specs.ActNotify {
				return fmt.Errorf("%s.names[%d]: SCMP_ACT_NOTIFY cannot be used for the write syscall", field, j)
			}
		}
		if err := checkAction(sc.Action, sc.ErrnoRet); err != nil {
			return fmt.Errorf("%s.action: %w", field, err)
		}
		for j, arg := range sc.Args {
			if arg.Index > 5 {
				return fmt.Errorf("%s.args[%d].index: %d is out of range (a syscall has 6 arguments, 0-5)", field, j, arg.Index)
			}
			if _, ok := operators[arg.Op]; !ok {
				return fmt.Errorf("%s.args[%d].op: unknown operator %q", field, j, arg.Op)
			}
		}
	}
	return nil
}

func checkAction(a specs.LinuxSeccompAction, errnoRet *uint) error {
	if _, ok := actions[a]; !ok {
		return fmt.Errorf("unknown action %q", a)
	}
	if errnoRet != nil {
		if !takesErrno(a) {
			return fmt.Errorf("errnoRet is only valid with %s or %s, not %q", specs.ActErrno, specs.ActTrace, a)
		}
		// An errno is 1..4095 to the kernel; libseccomp takes up to 4094.
		if *errnoRet > 4094 {
			return fmt.Errorf("errnoRet %d is not an errno libseccomp accepts (at most 4094)", *errnoRet)
		}
	}
	return nil
}
