package capabilities

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestNewNames(t *testing.T) {
	tests := []struct {
		name     string
		caps     specs.LinuxCapabilities
		last     int
		wantErr  string
		wantWarn int
		wantBnd  set
		wantAmb  set
	}{
		{
			name:     "valid",
			caps:     specs.LinuxCapabilities{Bounding: []string{"CAP_CHOWN", "CAP_KILL"}, Ambient: []string{"CAP_KILL"}},
			last:     40,
			wantBnd:  1<<unix.CAP_CHOWN | 1<<unix.CAP_KILL,
			wantAmb:  1 << unix.CAP_KILL,
			wantWarn: 1, // ambient CAP_KILL is neither permitted nor inheritable
		},
		{
			name:     "unknown names are skipped with one warning",
			caps:     specs.LinuxCapabilities{Effective: []string{"CAP_CHOWN", "CAP_FOO"}, Permitted: []string{"cap_chown", "CHOWN"}},
			last:     40,
			wantWarn: 1,
		},
		{
			name:     "newer than the kernel is skipped with one warning",
			caps:     specs.LinuxCapabilities{Bounding: []string{"CAP_BPF", "CAP_CHOWN"}, Effective: []string{"CAP_BPF"}},
			last:     37,
			wantWarn: 1,
			wantBnd:  1 << unix.CAP_CHOWN,
		},
		{
			name:     "unknown and newer share the warning; an ambient cap not inheritable has its own",
			caps:     specs.LinuxCapabilities{Ambient: []string{"CAP_PERFMON", "CAP_NOPE", "CAP_KILL"}, Permitted: []string{"CAP_KILL"}},
			last:     37,
			wantWarn: 2,
			wantAmb:  1 << unix.CAP_KILL,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, warnings, err := newCaps(&tc.caps, tc.last, kernel{})
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if len(warnings) != tc.wantWarn {
				t.Fatalf("warnings = %q, want %d", warnings, tc.wantWarn)
			}
			if c.bounding != tc.wantBnd || c.ambient != tc.wantAmb {
				t.Fatalf("bounding %#x ambient %#x, want %#x %#x", c.bounding, c.ambient, tc.wantBnd, tc.wantAmb)
			}
		})
	}
}

func TestNilCapsIsNoop(t *testing.T) {
	c, w, err := New(nil)
	if c != nil || w != nil || err != nil {
		t.Fatalf("New(nil) = %v, %v, %v", c, w, err)
	}
	if err := c.DropBounding(); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(); err != nil {
		t.Fatal(err)
	}
}

func TestKernelCaps(t *testing.T) {
	last, err := lastCap()
	if err != nil {
		t.Fatal(err)
	}
	names := KernelCaps()
	want := last + 1
	if want > len(capByNumber) {
		want = len(capByNumber)
	}
	if len(names) != want || names[0] != "CAP_CHOWN" {
		t.Fatalf("KernelCaps() = %v (%d), want %d names from CAP_CHOWN", names, len(names), want)
	}
	for i, name := range names {
		if capNames[name] != i {
			t.Fatalf("KernelCaps()[%d] = %s, number %d", i, name, capNames[name])
		}
	}
}

// recorder is a fake system that logs each call.
type recorder struct {
	calls   []string
	failOn  string
	failErr error
}

func (r *recorder) record(call string) error {
	r.calls = append(r.calls, call)
	if call == r.failOn {
		return r.failErr
	}
	return nil
}
func (r *recorder) capBsetDrop(n int) error { return r.record(fmt.Sprintf("drop %d", n)) }
func (r *recorder) capset(e, p, i set) error {
	return r.record(fmt.Sprintf("capset %#x %#x %#x", uint64(e), uint64(p), uint64(i)))
}
func (r *recorder) ambientClearAll() error   { return r.record("ambient clear") }
func (r *recorder) ambientRaise(n int) error { return r.record(fmt.Sprintf("ambient raise %d", n)) }

func TestCallOrder(t *testing.T) {
	spec := &specs.LinuxCapabilities{
		Bounding:    []string{"CAP_CHOWN", "CAP_FOWNER", "CAP_KILL"},
		Effective:   []string{"CAP_KILL"},
		Permitted:   []string{"CAP_KILL", "CAP_CHOWN"},
		Inheritable: []string{"CAP_KILL"},
		Ambient:     []string{"CAP_KILL"},
	}
	rec := &recorder{}
	c, _, err := newCaps(spec, 5, rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DropBounding(); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(); err != nil {
		t.Fatal(err)
	}
	want := []string{"drop 1", "drop 2", "drop 4", "capset 0x20 0x21 0x20", "ambient clear", "ambient raise 5"}
	if !reflect.DeepEqual(rec.calls, want) {
		t.Fatalf("calls = %q, want %q", rec.calls, want)
	}

	rec = &recorder{failOn: "ambient raise 5", failErr: unix.EPERM}
	c.sys = rec
	err = c.Apply()
	if !errors.Is(err, unix.EPERM) || !strings.Contains(err.Error(), "CAP_KILL") {
		t.Fatalf("Apply error = %v, want EPERM naming CAP_KILL", err)
	}
}

const childEnv = "RT_CAPS_TEST_CHILD"

// The child's sets: bounding keeps five caps, the workload ends up with only
// NET_BIND_SERVICE (ambient), CHOWN is permitted but not inheritable.
var childSpec = specs.LinuxCapabilities{
	Bounding:    []string{"CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP"},
	Effective:   []string{"CAP_CHOWN", "CAP_NET_BIND_SERVICE"},
	Permitted:   []string{"CAP_CHOWN", "CAP_NET_BIND_SERVICE"},
	Inheritable: []string{"CAP_NET_BIND_SERVICE"},
	Ambient:     []string{"CAP_NET_BIND_SERVICE"},
}

// TestApplyChild is the re-exec'd child; it does nothing in a normal run.
func TestApplyChild(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		t.Skip("helper for TestApplyReexec")
	}
	if err := runChild(mode); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	os.Exit(0)
}

func runChild(mode string) error {
	runtime.LockOSThread() // never unlocked: the thread dies with the process
	caps, _, err := New(&childSpec)
	if err != nil {
		return err
	}
	if err := caps.DropBounding(); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("PR_SET_KEEPCAPS: %w", err)
	}
	// Raw syscalls: Go's unix.Setresuid would switch every thread.
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, 65534, 65534, 65534); e != 0 {
		return fmt.Errorf("setresgid: %w", e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, 65534, 65534, 65534); e != 0 {
		return fmt.Errorf("setresuid: %w", e)
	}
	if err := caps.Apply(); err != nil {
		return err
	}
	switch mode {
	case "thread":
		b, err := os.ReadFile("/proc/thread-self/status")
		if err != nil {
			return err
		}
		_, err = os.Stdout.Write(b)
		return err
	case "exec":
		argv := []string{"busybox", "cat", "/proc/self/status"}
		return unix.Exec("/bin/busybox", argv, []string{"PATH=/bin"})
	}
	return fmt.Errorf("unknown mode %q", mode)
}

func parseCaps(t *testing.T, status []byte) map[string]uint64 {
	t.Helper()
	got := make(map[string]uint64)
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || !strings.HasPrefix(key, "Cap") {
			continue
		}
		v, err := strconv.ParseUint(strings.TrimSpace(val), 16, 64)
		if err != nil {
			t.Fatalf("parse %q: %v", sc.Text(), err)
		}
		got[key] = v
	}
	return got
}

func TestApplyReexec(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("needs /bin/busybox")
	}
	bit := func(n int) uint64 { return 1 << uint(n) }
	bnd := bit(unix.CAP_CHOWN) | bit(unix.CAP_NET_BIND_SERVICE) | bit(unix.CAP_SETUID) |
		bit(unix.CAP_SETGID) | bit(unix.CAP_SETPCAP)
	nbs := bit(unix.CAP_NET_BIND_SERVICE)
	tests := []struct {
		mode string
		want map[string]uint64
	}{
		// In the init's thread right after Apply.
		{"thread", map[string]uint64{
			"CapInh": nbs, "CapPrm": nbs | bit(unix.CAP_CHOWN), "CapEff": nbs | bit(unix.CAP_CHOWN),
			"CapBnd": bnd, "CapAmb": nbs,
		}},
		// In the workload after execve as uid 65534: only the ambient cap is left.
		{"exec", map[string]uint64{
			"CapInh": nbs, "CapPrm": nbs, "CapEff": nbs, "CapBnd": bnd, "CapAmb": nbs,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestApplyChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), childEnv+"="+tc.mode)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("child: %v\nstderr: %s", err, stderr.String())
			}
			got := parseCaps(t, out)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("caps = %#x\nwant   %#x", got, tc.want)
			}
		})
	}
}

// TestProbeLastCap: the bisection finds every possible last capability,
// and the real probe agrees with the host's own procfs (never the
// container's: the init calls it after pivot_root).
func TestProbeLastCap(t *testing.T) {
	for last := 0; last < 64; last++ {
		got, err := probeLastCap(func(n int) error {
			if n > last {
				return unix.EINVAL
			}
			return nil
		})
		if err != nil || got != last {
			t.Fatalf("last %d: got %d, %v", last, got, err)
		}
	}
	if _, err := probeLastCap(func(int) error { return unix.EPERM }); err == nil {
		t.Fatal("a failing prctl gave no error")
	}
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		t.Skip(err)
	}
	want, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if got, err := probeLastCap(capBsetRead); err != nil || got != want {
		t.Fatalf("PR_CAPBSET_READ probe: %d, %v; cap_last_cap says %d", got, err, want)
	}
}
