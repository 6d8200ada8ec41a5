package seccomp

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

func lookBusybox() (string, error) {
	const p = "/bin/busybox"
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("needs %s: %w", p, err)
	}
	return p, nil
}

func runtimeArch() string { return runtime.GOARCH }

func fmtArchs(a []specs.Arch) string {
	if len(a) == 0 {
		return "native only"
	}
	s := make([]string, len(a))
	for i, x := range a {
		s[i] = string(x)
	}
	return strings.Join(s, ",")
}

// bpfLen is the number of BPF instructions libseccomp generates for f.
func bpfLen(t *testing.T, f *libseccomp.ScmpFilter) int {
	t.Helper()
	// ExportBPFMem needs libseccomp 2.6; a file works with 2.5.
	file, err := os.CreateTemp(t.TempDir(), "bpf")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if err := f.ExportBPF(file); err != nil {
		t.Fatalf("export BPF: %v", err)
	}
	st, err := file.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return int(st.Size() / 8)
}

func libAtLeast(v [3]uint) bool {
	a, b, c := libseccomp.GetLibraryVersion()
	return !versionLess([3]uint{a, b, c}, v)
}

func TestValidate(t *testing.T) {
	ok := getcwdRule(specs.ActAllow, nil)
	tests := []struct {
		name    string
		profile specs.LinuxSeccomp
		wantErr string
	}{
		{"good", specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: uintp(1),
			Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86},
			Flags:         []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog},
			Syscalls:      []specs.LinuxSyscall{ok, getcwdRule(specs.ActTrace, uintp(3), arg(5, specs.OpMaskedEqual, 1, 1))}}, ""},
		{"default action", specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_FOO"},
			`linux.seccomp.defaultAction: unknown action "SCMP_ACT_FOO"`},
		{"empty default action", specs.LinuxSeccomp{},
			`linux.seccomp.defaultAction: unknown action ""`},
		{"notify default", specs.LinuxSeccomp{DefaultAction: specs.ActNotify},
			`linux.seccomp.defaultAction: "SCMP_ACT_NOTIFY" cannot be the default action`},
		{"default errnoRet with allow", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, DefaultErrnoRet: uintp(1)},
			`linux.seccomp.defaultAction: errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not "SCMP_ACT_ALLOW"`},
		{"arch", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86, "SCMP_ARCH_Z80"}},
			`linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_Z80"`},
		{"flag", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_FOO"}},
			`linux.seccomp.flags[0]: unknown flag "SECCOMP_FILTER_FLAG_FOO"`},
		{"syscall action", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{ok, ok, ok, getcwdRule("SCMP_ACT_FOO", nil)}},
			`linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"`},
		{"syscall errnoRet with kill", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{getcwdRule(specs.ActKill, uintp(1))}},
			`linux.seccomp.syscalls[0].action: errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not "SCMP_ACT_KILL"`},
		{"errnoRet too big", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{getcwdRule(specs.ActErrno, uintp(1<<16))}},
			`linux.seccomp.syscalls[0].action: errnoRet 65536 is not an errno libseccomp accepts (at most 4094)`},
		{"operator", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{ok, getcwdRule(specs.ActErrno, nil, arg(0, specs.OpEqualTo, 1, 0), arg(1, "SCMP_CMP_FOO", 1, 0))}},
			`linux.seccomp.syscalls[1].args[1].op: unknown operator "SCMP_CMP_FOO"`},
		{"arg index", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{getcwdRule(specs.ActErrno, nil, arg(6, specs.OpEqualTo, 1, 0))}},
			`linux.seccomp.syscalls[0].args[0].index: 6 is out of range (a syscall has 6 arguments, 0-5)`},
		{"no names", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Action: specs.ActErrno}}},
			`linux.seccomp.syscalls[0].names: empty`},
		{"empty name", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read", ""}, Action: specs.ActErrno}}},
			`linux.seccomp.syscalls[0].names[1]: empty syscall name`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(&tc.profile)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("err = %v\nwant    %s", err, tc.wantErr)
			}
			// Load refuses it too, before touching the kernel.
			if _, _, err := Load(&tc.profile); err == nil || err.Error() != tc.wantErr {
				t.Fatalf("Load err = %v, want the Validate error", err)
			}
		})
	}
	if err := Validate(nil); err != nil {
		t.Fatalf("Validate(nil) = %v", err)
	}
	if fd, skipped, err := Load(nil); fd != -1 || skipped != nil || err != nil {
		t.Fatalf("Load(nil) = %d, %v, %v", fd, skipped, err)
	}
}

// WAIT_KILLABLE_RECV is accepted whatever the libseccomp: below 2.6 rt
// loads the exported filter through seccomp(2) itself.
func TestWaitKillableFlag(t *testing.T) {
	p := specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
		Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagWaitKillableRecv}}
	if err := Validate(&p); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(KnownFlags(), string(specs.LinuxSeccompFlagWaitKillableRecv)) {
		t.Fatalf("KnownFlags() = %v misses WAIT_KILLABLE_RECV", KnownFlags())
	}
	if ownLoad(p.Flags) == libAtLeast([3]uint{2, 6, 0}) {
		t.Fatalf("ownLoad = %v with libseccomp 2.6 = %v", ownLoad(p.Flags), libAtLeast([3]uint{2, 6, 0}))
	}
}

func TestFlagsLoad(t *testing.T) {
	for _, flag := range []specs.LinuxSeccompFlag{flagTsync, specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow} {
		t.Run(string(flag), func(t *testing.T) {
			if err := flagError(flag); err != nil {
				t.Skip(err)
			}
			p := allowAll(getcwdRule(specs.ActErrno, nil))
			p.Flags = []specs.LinuxSeccompFlag{flag}
			res := mustRun(t, childRequest{Profile: p, Probes: []probe{getcwdProbe(4096)}})
			if len(res.Errnos) != 1 || res.Errnos[0] != int(unix.EPERM) {
				t.Fatalf("errnos = %v, want [EPERM]", res.Errnos)
			}
		})
	}
}

func TestKnown(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  []string
		want []string
	}{
		{"actions", KnownActions(), []string{"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
			"SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"}},
		{"operators", KnownOperators(), []string{"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
			"SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"}},
	} {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	a := KnownArchs()
	for _, want := range []string{"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"} {
		if !slices.Contains(a, want) {
			t.Errorf("KnownArchs() = %v, missing %s", a, want)
		}
	}
	f := KnownFlags()
	for _, want := range []string{"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"} {
		if !slices.Contains(f, want) {
			t.Errorf("KnownFlags() = %v, missing %s", f, want)
		}
	}
}

// TestFilterSize keeps the filter inside the kernel's 4096-instruction
// limit, for a tiny and a full allowlist on three architectures.
func TestFilterSize(t *testing.T) {
	for _, tc := range []struct {
		name  string
		names []string
	}{
		{"one syscall", []string{"read"}},
		{"everything to 450", allowlistUpTo(t, 450)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := specs.LinuxSeccomp{
				DefaultAction: specs.ActErrno,
				Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
				Syscalls:      []specs.LinuxSyscall{{Names: tc.names, Action: specs.ActAllow}},
			}
			f, _, _, _, err := build(&p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Release()
			n := bpfLen(t, f)
			t.Logf("%d BPF instructions", n)
			if n > bpfMaxInsns {
				t.Fatalf("%d BPF instructions, the kernel takes %d", n, bpfMaxInsns)
			}
		})
	}
}

// BenchmarkBuild measures the filter build on the container start path, for
// a Docker-sized profile on Docker's three x86 architectures.
func BenchmarkBuild(b *testing.B) {
	native, err := libseccomp.GetNativeArch()
	if err != nil {
		b.Fatal(err)
	}
	var names []string
	for n := 0; n <= 450; n++ {
		if name, err := libseccomp.ScmpSyscall(n).GetNameByArch(native); err == nil {
			names = append(names, name)
		}
	}
	p := specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		Syscalls:      []specs.LinuxSyscall{{Names: names, Action: specs.ActAllow}},
	}
	for b.Loop() {
		f, _, _, _, err := build(&p)
		if err != nil {
			b.Fatal(err)
		}
		f.Release()
	}
}
