package seccomp

import (
	"encoding/binary"
	"encoding/json"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// FuzzValidate feeds random profiles through Validate and, for every
// profile Validate accepts, through build (the filter is made, never
// loaded). Validate must not panic, and must not accept a profile that
// cannot be built: rt validates at create, so a profile that passes there
// and fails in the init is an error found too late, inside the container.
//
// The input is a byte string that profileFromBytes decodes into a profile,
// so the fuzzer's mutations land on actions, names, errnos, architectures,
// flags and argument conditions rather than on JSON syntax. Names mostly
// come from pools of valid and near-valid values; a selector byte of 0xff
// takes raw bytes from the input as the string instead.
func FuzzValidate(f *testing.F) {
	seeds := [][]byte{
		{},
		// allow by default, one ERRNO rule
		{0, 0, 0, 0, 1, 1, 2, 1, 0},
		// default ERRNO with errnoRet, x86 + x32, two rules on one syscall
		{1, 1, 38, 0, 2, 2, 3, 0, 2, 1, 0, 0, 0, 1, 5, 0, 0},
		// a conditional rule with a masked-equal comparison
		{0, 0, 1, 0, 1, 1, 4, 1, 0, 1, 1, 6, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0},
		// raw strings everywhere
		{0xff, 3, 'f', 'o', 'o', 0, 0, 0, 1, 1, 0xff, 2, 'x', 'y', 0xff, 1, 'z'},
		// notify rule, log flag, repeated argument index
		{0, 0, 0, 1, 1, 1, 5, 8, 0, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0},
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := profileFromBytes(data)
		if err := Validate(p); err != nil {
			return
		}
		filter, _, _, _, err := build(p)
		if err != nil {
			raw, _ := json.Marshal(p)
			t.Fatalf("Validate accepted a profile that does not build: %v\nprofile: %s", err, raw)
		}
		filter.Release()
	})
}

// TestFuzzSeedsDecode keeps the decoder honest: the seeds reach both the
// accepting and the refusing side of Validate, so the fuzz target is not
// stuck on one of them.
func TestFuzzSeedsDecode(t *testing.T) {
	accept := profileFromBytes([]byte{0, 0, 0, 0, 1, 1, 2, 1, 0})
	if err := Validate(accept); err != nil {
		raw, _ := json.Marshal(accept)
		t.Fatalf("seed should be valid: %v (%s)", err, raw)
	}
	if len(accept.Syscalls) != 1 || accept.Syscalls[0].Action != specs.ActErrno {
		raw, _ := json.Marshal(accept)
		t.Fatalf("seed decoded unexpectedly: %s", raw)
	}
	refuse := profileFromBytes([]byte{0xff, 3, 'f', 'o', 'o'})
	if err := Validate(refuse); err == nil {
		t.Fatalf("default action %q accepted", refuse.DefaultAction)
	}
}

// fuzzBytes hands out the input a little at a time; past the end it
// returns zeros, so every input decodes to some profile.
type fuzzBytes struct{ b []byte }

func (g *fuzzBytes) byte() byte {
	if len(g.b) == 0 {
		return 0
	}
	c := g.b[0]
	g.b = g.b[1:]
	return c
}

func (g *fuzzBytes) uint64() uint64 {
	var buf [8]byte
	for i := range buf {
		buf[i] = g.byte()
	}
	return binary.LittleEndian.Uint64(buf[:])
}

// str picks pool[n % len(pool)] for a selector n, or with 0xff takes up to
// 31 raw bytes from the input.
func (g *fuzzBytes) str(pool []string) string {
	n := g.byte()
	if n == 0xff {
		l := int(g.byte() % 32)
		if l > len(g.b) {
			l = len(g.b)
		}
		s := string(g.b[:l])
		g.b = g.b[l:]
		return s
	}
	return pool[int(n)%len(pool)]
}

// errnoRet is absent, a small errno, or (rarely) a value past 16 bits.
func (g *fuzzBytes) errnoRet() *uint {
	switch g.byte() % 4 {
	case 0, 1:
		return nil
	case 2:
		v := uint(g.byte())
		return &v
	default:
		v := uint(g.uint64() & 0x3ffff)
		return &v
	}
}

var (
	fuzzActions = []string{
		string(specs.ActAllow), string(specs.ActErrno), string(specs.ActKill), string(specs.ActKillThread),
		string(specs.ActKillProcess), string(specs.ActTrap), string(specs.ActTrace), string(specs.ActLog),
		string(specs.ActNotify), "SCMP_ACT_BOGUS", "", "scmp_act_allow",
	}
	fuzzArchs = []string{
		string(specs.ArchX86_64), string(specs.ArchX86), string(specs.ArchX32), string(specs.ArchAARCH64),
		string(specs.ArchARM), string(specs.ArchS390X), string(specs.ArchRISCV64), string(specs.ArchPPC64LE),
		string(specs.ArchMIPSEL64), string(specs.ArchLOONGARCH64), "SCMP_ARCH_PDP11", "",
	}
	fuzzFlags = []string{
		string(flagTsync), string(specs.LinuxSeccompFlagLog), string(specs.LinuxSeccompFlagSpecAllow),
		string(specs.LinuxSeccompFlagWaitKillableRecv), "SECCOMP_FILTER_FLAG_NEW_LISTENER", "",
	}
	// Native and foreign syscalls (socketcall exists on x86 only,
	// arm_fadvise64_64 on arm only), ones numbered far apart, and names no
	// libseccomp knows.
	fuzzSyscalls = []string{
		"read", "write", "openat", "mkdir", "mkdirat", "getcwd", "kill", "clone", "clone3", "socket",
		"socketcall", "ipc", "arm_fadvise64_64", "open", "futex", "personality", "io_uring_setup",
		"execve", "exit_group", "no_such_syscall", "",
	}
	fuzzOps = []string{
		string(specs.OpNotEqual), string(specs.OpLessThan), string(specs.OpLessEqual), string(specs.OpEqualTo),
		string(specs.OpGreaterEqual), string(specs.OpGreaterThan), string(specs.OpMaskedEqual), "SCMP_CMP_BOGUS",
	}
)

// profileFromBytes decodes data into a profile: default action and errno,
// up to 3 architectures, up to 2 flags, up to 7 syscall entries of up to 3
// names and 3 argument conditions each.
func profileFromBytes(data []byte) *specs.LinuxSeccomp {
	g := &fuzzBytes{b: data}
	p := &specs.LinuxSeccomp{
		DefaultAction:   specs.LinuxSeccompAction(g.str(fuzzActions)),
		DefaultErrnoRet: g.errnoRet(),
	}
	for range g.byte() % 4 {
		p.Architectures = append(p.Architectures, specs.Arch(g.str(fuzzArchs)))
	}
	for range g.byte() % 3 {
		p.Flags = append(p.Flags, specs.LinuxSeccompFlag(g.str(fuzzFlags)))
	}
	for range g.byte() % 8 {
		var sc specs.LinuxSyscall
		for range g.byte() % 4 {
			sc.Names = append(sc.Names, g.str(fuzzSyscalls))
		}
		sc.Action = specs.LinuxSeccompAction(g.str(fuzzActions))
		sc.ErrnoRet = g.errnoRet()
		for range g.byte() % 4 {
			sc.Args = append(sc.Args, specs.LinuxSeccompArg{
				Index:    uint(g.byte() % 8),
				Op:       specs.LinuxSeccompOperator(g.str(fuzzOps)),
				Value:    g.uint64(),
				ValueTwo: g.uint64(),
			})
		}
		p.Syscalls = append(p.Syscalls, sc)
	}
	return p
}
