package devices

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func i64(v int64) *int64 { return &v }

var rules = []specs.LinuxDeviceCgroup{
	{Allow: false, Access: "rwm"},
	{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rwm"},
	{Allow: true, Type: "c", Major: i64(1), Minor: i64(5), Access: "r"},
	{Allow: true, Type: "b", Major: i64(8), Access: "m"},
}

func TestV1Writes(t *testing.T) {
	w, err := V1Writes(rules)
	if err != nil {
		t.Fatal(err)
	}
	want := []V1Write{
		{"devices.deny", "a"},
		{"devices.deny", "a *:* rwm"},
		{"devices.allow", "c 1:3 rwm"},
		{"devices.allow", "c 1:5 r"},
		{"devices.allow", "b 8:* m"},
	}
	if fmt.Sprint(w) != fmt.Sprint(want) {
		t.Errorf("V1Writes = %v\nwant %v", w, want)
	}
	for _, bad := range []specs.LinuxDeviceCgroup{{Type: "x"}, {Access: "rwx"}, {Major: i64(-2)}} {
		if _, err := V1Writes([]specs.LinuxDeviceCgroup{bad}); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestInstructions(t *testing.T) {
	insns, err := Instructions(rules)
	if err != nil {
		t.Fatal(err)
	}
	s := fmt.Sprint(insns)
	// Rules are tested last-first; the deny-all rule ends the program,
	// so no default block follows it (the verifier refuses dead code).
	if strings.Contains(s, "rule5") {
		t.Errorf("unreachable default block emitted:\n%v", s)
	}
	last := insns[len(insns)-2]
	if last.Constant != 0 {
		t.Errorf("final verdict %v, want deny", last)
	}
	// Without a catch-all, a default deny block is appended.
	insns, err = Instructions(rules[1:2])
	if err != nil {
		t.Fatal(err)
	}
	if got := insns[len(insns)-2]; got.Symbol() != "rule1" || got.Constant != 0 {
		t.Errorf("default block = %v (symbol %q)", got, got.Symbol())
	}
}

// TestEBPFLive loads the program and attaches it to a cgroup2 dir made for
// the test (the hybrid host's /sys/fs/cgroup/unified works: device
// programs run on the unified hierarchy whatever v1 does), then checks
// what a process inside can open, and that Set replaces the program.
func TestEBPFLive(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	root := ""
	for _, r := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		var st unix.Statfs_t
		if unix.Statfs(r, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
			root = r
			break
		}
	}
	if root == "" {
		t.Skip("no cgroup2 mount")
	}
	dir := filepath.Join(root, fmt.Sprintf("rt-unittest-dev-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := unix.Rmdir(dir); err != nil {
			t.Errorf("rmdir %s: %v", dir, err)
		}
	})

	probe := func() string {
		cmd := exec.Command("/bin/busybox", "sh", "-c",
			`read x; (head -c1 /dev/zero >/dev/null 2>&1 && echo zero-ok) ; (echo >/dev/null 2>&1 && echo null-ok); true`)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		cmd.Stdout = &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(cmd.Process.Pid)), 0); err != nil {
			t.Fatal(err)
		}
		_, _ = stdin.Write([]byte("go\n"))
		stdin.Close()
		if err := cmd.Wait(); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Fatalf("probe: %v", err)
		}
		return strings.Join(strings.Fields(out.String()), " ")
	}

	if got := probe(); got != "zero-ok null-ok" {
		t.Fatalf("without program: %q", got)
	}
	allowNull := []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rwm"},
	}
	if err := ApplyV2(dir, allowNull); err != nil {
		t.Fatal(err)
	}
	if got := probe(); got != "null-ok" {
		t.Errorf("allow only /dev/null: %q", got)
	}
	// Update: allow /dev/zero read; the old program must be replaced, not
	// stacked (stacked programs must all allow).
	if err := ApplyV2(dir, append(allowNull, specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i64(1), Minor: i64(5), Access: "r"})); err != nil {
		t.Fatal(err)
	}
	if got := probe(); got != "zero-ok null-ok" {
		t.Errorf("after update: %q", got)
	}
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	q, err := link.QueryPrograms(link.QueryOptions{Target: fd, Attach: ebpf.AttachCGroupDevice})
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Programs) != 1 {
		t.Errorf("%d programs attached after update, want 1", len(q.Programs))
	}
}
