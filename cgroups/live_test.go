package cgroups

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// liveManager makes a cgroup under a test-only parent on this host and a
// sleep to put in it; both are removed in t.Cleanup even on failure.
func liveManager(t *testing.T) (Manager, *exec.Cmd) {
	t.Helper()
	return liveManagerCmd(t, exec.Command("sleep", "300"))
}

func liveManagerCmd(t *testing.T, cmd *exec.Cmd) (Manager, *exec.Cmd) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if Mode() == Unified {
		t.Skip("host runs cgroup v2; the VM harness covers it")
	}
	parent := fmt.Sprintf("/rt-unittest-%d", os.Getpid())
	m, err := New(parent+"/"+strings.ReplaceAll(t.Name(), "/", "_"), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = m.Thaw()
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
		if err := m.Destroy(); err != nil {
			t.Errorf("Destroy: %v", err)
		}
		for _, d := range m.Paths().Dirs() {
			if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s still exists after Destroy", d)
			}
			// The test parent is made by Apply; Destroy removes it too.
			if _, err := os.Stat(filepath.Dir(d)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("parent %s still exists after Destroy", filepath.Dir(d))
				_ = unix.Rmdir(filepath.Dir(d))
			}
		}
	})
	if err := m.Apply(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	return m, cmd
}

func readFile(t *testing.T, dir, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func ptr[T any](v T) *T { return &v }

func TestLiveApplySetStatsDestroy(t *testing.T) {
	// The workload waits until it is in the cgroup, then spends CPU and
	// memory there so the counters move, and sleeps.
	sh := exec.Command("/bin/busybox", "sh", "-c",
		`read x; i=0; s=x; while [ $i -lt 3000 ]; do i=$((i+1)); s="$s$s"; s=${s:0:4096}; done; exec sleep 300`)
	stdin, err := sh.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	m, cmd := liveManagerCmd(t, sh)
	if _, err := stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	waitExec(t, cmd.Process.Pid, "sleep")
	paths := m.Paths()
	for _, c := range []string{"memory", "cpu", "cpuacct", "cpuset", "pids", "devices", "freezer", "blkio"} {
		if _, ok := paths.V1[c]; !ok {
			t.Errorf("Paths() has no %s entry: %v", c, paths)
		}
	}
	if Mode() == Hybrid {
		if paths.V2 == "" {
			t.Errorf("hybrid Paths() has no unified entry: %v", paths)
		}
	}
	for _, d := range paths.Dirs() {
		procs := readFile(t, d, "cgroup.procs")
		if !slices.Contains(strings.Fields(procs), fmt.Sprint(cmd.Process.Pid)) {
			t.Errorf("pid %d not in %s/cgroup.procs (%q)", cmd.Process.Pid, d, procs)
		}
	}

	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: ptr(int64(64 << 20)), Swap: ptr(int64(128 << 20)), Reservation: ptr(int64(32 << 20)), Swappiness: ptr(uint64(10))},
		CPU:    &specs.LinuxCPU{Shares: ptr(uint64(512)), Quota: ptr(int64(50000)), Period: ptr(uint64(100000)), Cpus: "0", Mems: "0"},
		Pids:   &specs.LinuxPids{Limit: ptr(int64(42))},
		Devices: []specs.LinuxDeviceCgroup{
			{Allow: true, Type: "c", Major: ptr(int64(1)), Minor: ptr(int64(3)), Access: "rwm"},
			{Allow: true, Type: "c", Major: ptr(int64(1)), Minor: ptr(int64(5)), Access: "r"},
		},
	}
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ ctrl, file, want string }{
		{"memory", "memory.limit_in_bytes", fmt.Sprint(64 << 20)},
		{"memory", "memory.memsw.limit_in_bytes", fmt.Sprint(128 << 20)},
		{"memory", "memory.soft_limit_in_bytes", fmt.Sprint(32 << 20)},
		{"memory", "memory.swappiness", "10"},
		{"cpu", "cpu.shares", "512"},
		{"cpu", "cpu.cfs_quota_us", "50000"},
		{"cpu", "cpu.cfs_period_us", "100000"},
		{"cpuset", "cpuset.cpus", "0"},
		{"pids", "pids.max", "42"},
		{"devices", "devices.list", "c 1:3 rwm\nc 1:5 r"},
	} {
		if got := readFile(t, paths.V1[c.ctrl], c.file); got != c.want {
			t.Errorf("%s = %q, want %q", c.file, got, c.want)
		}
	}

	// Raise limit and memory+swap together above the current memsw: the
	// writes must go memsw first or the kernel refuses the limit.
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(256 << 20)), Swap: ptr(int64(512 << 20))}}); err != nil {
		t.Fatalf("raise: %v", err)
	}
	// And lower both below the current limit: limit first.
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(16 << 20)), Swap: ptr(int64(32 << 20))}}); err != nil {
		t.Fatalf("lower: %v", err)
	}
	if got := readFile(t, paths.V1["memory"], "memory.memsw.limit_in_bytes"); got != fmt.Sprint(32<<20) {
		t.Errorf("memsw after lowering = %s", got)
	}

	// A value the kernel refuses names the file and the value:
	// memory+swap below the memory limit.
	err = m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: ptr(int64(8 << 20))}})
	want := fmt.Sprintf("write %s: %q: invalid argument", filepath.Join(paths.V1["memory"], "memory.memsw.limit_in_bytes"), fmt.Sprint(8<<20))
	if err == nil || err.Error() != want {
		t.Errorf("swap below limit: err = %v, want prefix %q", err, want)
	}
	if err := m.Set(&specs.LinuxResources{Unified: map[string]string{"memory.max": "1"}}); err == nil && Mode() != Unified {
		t.Error("unified accepted on cgroup v1")
	}

	pids, err := m.Pids()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pids, []int{cmd.Process.Pid}) {
		t.Errorf("Pids() = %v, want [%d]", pids, cmd.Process.Pid)
	}

	st, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Pids.Current != 1 || st.Pids.Limit != 42 {
		t.Errorf("pids stats = %+v", st.Pids)
	}
	if st.Memory.Usage.Limit != 16<<20 || st.Memory.Usage.Usage == 0 || st.Memory.Raw == nil {
		t.Errorf("memory stats = %+v", st.Memory.Usage)
	}
	if st.Memory.Swap.Limit != 32<<20 {
		t.Errorf("memsw limit = %d", st.Memory.Swap.Limit)
	}
	if st.CPU.Usage.Total == 0 || len(st.CPU.Usage.Percpu) == 0 {
		t.Errorf("cpu stats = %+v", st.CPU.Usage)
	}
}

// waitExec waits until pid runs the program comm.
func waitExec(t *testing.T, pid int, comm string) {
	t.Helper()
	for i := 0; i < 500; i++ {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(string(b)) == comm {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("pid %d never exec'd %s", pid, comm)
}

func TestLiveFreezeThaw(t *testing.T) {
	m, cmd := liveManager(t)
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	state := func() string {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid))
		if err != nil {
			t.Fatal(err)
		}
		// The state letter follows the ")" that ends the command name.
		s := string(b)
		return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])[0]
	}
	if got := readFile(t, m.Paths().V1["freezer"], "freezer.state"); got != "FROZEN" {
		t.Errorf("freezer.state = %s after Freeze", got)
	}
	if f, err := m.Frozen(); !f || err != nil {
		t.Errorf("Frozen() = %v, %v after Freeze", f, err)
	}
	// A frozen task is in D (v1 freezer) state, never running.
	if s := state(); s == "R" {
		t.Errorf("task state %s while frozen", s)
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, m.Paths().V1["freezer"], "freezer.state"); got != "THAWED" {
		t.Errorf("freezer.state = %s after Thaw", got)
	}
	if f, err := m.Frozen(); f || err != nil {
		t.Errorf("Frozen() = %v, %v after Thaw", f, err)
	}
}

func TestLiveJoinExisting(t *testing.T) {
	m, _ := liveManager(t)
	// A second container of the same pod: same path, New+Apply joins.
	other := exec.Command("sleep", "300")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Process.Kill(); _, _ = other.Process.Wait() }()
	m2, err := Load(m.Paths())
	if err != nil {
		t.Fatal(err)
	}
	if err := m2.Apply(other.Process.Pid); err != nil {
		t.Fatal(err)
	}
	// An exec'd process: JoinProcs moves it into every dir.
	third := exec.Command("sleep", "300")
	if err := third.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = third.Process.Kill(); _, _ = third.Process.Wait() }()
	if err := m2.JoinProcs(third.Process.Pid); err != nil {
		t.Fatal(err)
	}
	for _, d := range m.Paths().Dirs() {
		if procs := readFile(t, d, "cgroup.procs"); !slices.Contains(strings.Fields(procs), fmt.Sprint(third.Process.Pid)) {
			t.Errorf("JoinProcs: pid %d not in %s/cgroup.procs", third.Process.Pid, d)
		}
	}
	pids, err := m.Pids()
	if err != nil {
		t.Fatal(err)
	}
	if len(pids) != 3 {
		t.Errorf("Pids() after join = %v", pids)
	}
}

func TestLiveNotifyOOM(t *testing.T) {
	// The hog waits until it is in the cgroup and limited, then doubles a
	// string until the kernel kills it.
	sh := exec.Command("/bin/busybox", "sh", "-c", `read x; s=x; while :; do s="$s$s"; done`)
	stdin, err := sh.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	m, cmd := liveManagerCmd(t, sh)
	limit := ptr(int64(8 << 20))
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: limit, Swap: limit}}); err != nil {
		t.Fatal(err)
	}
	w, err := NotifyOOM(m.Paths())
	if err != nil || w == nil {
		t.Fatalf("NotifyOOM = %v, %v", w, err)
	}
	defer w.Close()
	if n, err := w.Wait(0); n != 0 || err != nil {
		t.Fatalf("before the hog ran: %d, %v", n, err)
	}
	if _, err := stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait() // killed by the OOM killer
	total := 0
	for i := 0; i < 30 && total == 0; i++ {
		n, err := w.Wait(time.Second)
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	if total == 0 {
		t.Errorf("the hog died (%v) and no OOM was reported", cmd.ProcessState)
	}
}
