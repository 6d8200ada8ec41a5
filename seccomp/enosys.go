package seccomp

import (
	"fmt"
	"maps"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// wantsENOSYS is runc 1.5's rule for the stub: every default action but a
// permissive one (ALLOW, LOG, and TRACE: a tracer handles new syscalls
// itself) gets it, unless the default errno is ENOSYS already.
func wantsENOSYS(s *specs.LinuxSeccomp) bool {
	if s.DefaultErrnoRet != nil && *s.DefaultErrnoRet == uint(unix.ENOSYS) {
		return false
	}
	switch s.DefaultAction {
	case specs.ActAllow, specs.ActLog, specs.ActTrace:
		return false
	}
	return true
}

// auditArch is the AUDIT_ARCH_* value the kernel puts in seccomp_data.arch
// for each libseccomp architecture. x86_64 and x32 share one: an x32
// syscall is told apart by __X32_SYSCALL_BIT in its number.
var auditArch = map[libseccomp.ScmpArch]uint32{
	libseccomp.ArchX86:         unix.AUDIT_ARCH_I386,
	libseccomp.ArchAMD64:       unix.AUDIT_ARCH_X86_64,
	libseccomp.ArchX32:         unix.AUDIT_ARCH_X86_64,
	libseccomp.ArchARM:         unix.AUDIT_ARCH_ARM,
	libseccomp.ArchARM64:       unix.AUDIT_ARCH_AARCH64,
	libseccomp.ArchMIPS:        unix.AUDIT_ARCH_MIPS,
	libseccomp.ArchMIPS64:      unix.AUDIT_ARCH_MIPS64,
	libseccomp.ArchMIPS64N32:   unix.AUDIT_ARCH_MIPS64N32,
	libseccomp.ArchMIPSEL:      unix.AUDIT_ARCH_MIPSEL,
	libseccomp.ArchMIPSEL64:    unix.AUDIT_ARCH_MIPSEL64,
	libseccomp.ArchMIPSEL64N32: unix.AUDIT_ARCH_MIPSEL64N32,
	libseccomp.ArchPPC:         unix.AUDIT_ARCH_PPC,
	libseccomp.ArchPPC64:       unix.AUDIT_ARCH_PPC64,
	libseccomp.ArchPPC64LE:     unix.AUDIT_ARCH_PPC64LE,
	libseccomp.ArchS390:        unix.AUDIT_ARCH_S390,
	libseccomp.ArchS390X:       unix.AUDIT_ARCH_S390X,
	libseccomp.ArchPARISC:      unix.AUDIT_ARCH_PARISC,
	libseccomp.ArchPARISC64:    unix.AUDIT_ARCH_PARISC64,
	libseccomp.ArchRISCV64:     unix.AUDIT_ARCH_RISCV64,
	libseccomp.ArchLOONGARCH64: unix.AUDIT_ARCH_LOONGARCH64,
	libseccomp.ArchM68K:        unix.AUDIT_ARCH_M68K,
	libseccomp.ArchSH:          unix.AUDIT_ARCH_SHEL, // libseccomp's "sh" is little-endian
	libseccomp.ArchSHEB:        unix.AUDIT_ARCH_SH,
}

const x32SyscallBit = 0x40000000

// Classic BPF opcodes (linux/filter.h) and the seccomp_data offsets.
const (
	bpfLdAbsW  = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	bpfJeq     = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	bpfJgt     = unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K
	bpfJset    = unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K
	bpfJa      = unix.BPF_JMP | unix.BPF_JA
	bpfRet     = unix.BPF_RET | unix.BPF_K
	offNr      = 0
	offArch    = 4
	retENOSYS  = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
	targetNext = -1 // the next instruction
)

// insn is a stub instruction whose jumps name targets (instruction
// indexes, or targetNext) until they are resolved.
type insn struct {
	code     uint16
	k        uint32
	jt, jf   int
	jaTarget int
}

// enosysStub is the BPF program put in front of libseccomp's: for each
// architecture in maxNr (the largest syscall number the profile names
// there), a syscall numbered above it returns ENOSYS; every other syscall,
// and every architecture not in maxNr, falls through to libseccomp's
// program, which starts by loading the architecture itself.
func enosysStub(maxNr map[libseccomp.ScmpArch]int) ([]unix.SockFilter, error) {
	type group struct {
		audit uint32
		nr    map[libseccomp.ScmpArch]int
	}
	var groups []*group
	byAudit := map[uint32]*group{}
	for _, a := range sortedArchs(maxNr) {
		audit, ok := auditArch[a]
		if !ok {
			return nil, fmt.Errorf("seccomp ENOSYS stub: no audit architecture for %s", a)
		}
		g := byAudit[audit]
		if g == nil {
			g = &group{audit: audit, nr: map[libseccomp.ScmpArch]int{}}
			byAudit[audit] = g
			groups = append(groups, g)
		}
		g.nr[a] = maxNr[a]
	}
	if len(groups) == 0 {
		return nil, nil
	}

	// Targets resolved once the length is known: the ENOSYS return and
	// the first instruction of libseccomp's program.
	const enosys, filter = -2, -3
	var prog []insn
	above := func(max int) insn { return insn{code: bpfJgt, k: uint32(max), jt: enosys, jf: filter} }
	for _, g := range groups {
		start := len(prog)
		prog = append(prog,
			insn{code: bpfLdAbsW, k: offArch},
			insn{code: bpfJeq, k: g.audit, jt: targetNext, jf: 0}, // jf: the next group, below
			insn{code: bpfLdAbsW, k: offNr},
		)
		jeq := start + 1
		if g.audit == unix.AUDIT_ARCH_X86_64 {
			// x86_64 numbers, then x32 ones (with the x32 bit).
			jset := len(prog)
			prog = append(prog, insn{code: bpfJset, k: x32SyscallBit, jt: 0, jf: targetNext})
			if n, ok := g.nr[libseccomp.ArchAMD64]; ok {
				prog = append(prog, above(n))
			} else {
				prog = append(prog, insn{code: bpfJa, jaTarget: filter})
			}
			prog[jset].jt = len(prog)
			if n, ok := g.nr[libseccomp.ArchX32]; ok {
				prog = append(prog, above(n))
			} else {
				prog = append(prog, insn{code: bpfJa, jaTarget: filter})
			}
		} else {
			if g.audit == unix.AUDIT_ARCH_S390 || g.audit == unix.AUDIT_ARCH_S390X {
				// An unknown "large" syscall reaches seccomp as setup (0),
				// the s390 multiplexer nobody calls otherwise.
				prog = append(prog, insn{code: bpfJeq, k: 0, jt: enosys, jf: targetNext})
			}
			for _, n := range g.nr {
				prog = append(prog, above(n))
			}
		}
		prog[jeq].jf = len(prog)
	}
	// No architecture matched: into the filter; then the ENOSYS return.
	prog = append(prog, insn{code: bpfJa, jaTarget: filter}, insn{code: bpfRet, k: retENOSYS})
	targets := map[int]int{enosys: len(prog) - 1, filter: len(prog)}

	out := make([]unix.SockFilter, len(prog))
	for i, in := range prog {
		rel := func(t int) (int, error) {
			if t == targetNext {
				return 0, nil
			}
			if abs, ok := targets[t]; ok {
				t = abs
			}
			d := t - (i + 1)
			if d < 0 {
				return 0, fmt.Errorf("seccomp ENOSYS stub: backward jump at %d", i)
			}
			return d, nil
		}
		f := unix.SockFilter{Code: in.code, K: in.k}
		switch in.code {
		case bpfJa:
			d, err := rel(in.jaTarget)
			if err != nil {
				return nil, err
			}
			f.K = uint32(d)
		case bpfJeq, bpfJgt, bpfJset:
			jt, err := rel(in.jt)
			if err != nil {
				return nil, err
			}
			jf, err := rel(in.jf)
			if err != nil {
				return nil, err
			}
			if jt > 255 || jf > 255 {
				return nil, fmt.Errorf("seccomp ENOSYS stub: jump too long at %d", i)
			}
			f.Jt, f.Jf = uint8(jt), uint8(jf)
		}
		out[i] = f
	}
	return out, nil
}

// sortedArchs is the keys of m in a fixed order, so the stub is the same
// program for the same profile.
func sortedArchs(m map[libseccomp.ScmpArch]int) []libseccomp.ScmpArch {
	return slices.Sorted(maps.Keys(m))
}
