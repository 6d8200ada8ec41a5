package libcontainer

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/checkpoint-restore/go-criu/v7/rpc"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"

	"github.com/rt-runtime/rt/cgroups"
)

func TestParseCgroupMode(t *testing.T) {
	for in, want := range map[string]rpc.CriuCgMode{
		"soft": rpc.CriuCgMode_SOFT, "full": rpc.CriuCgMode_FULL,
		"strict": rpc.CriuCgMode_STRICT, "ignore": rpc.CriuCgMode_IGNORE,
	} {
		m, err := ParseCgroupMode(in)
		if err != nil || m.rpc() != want {
			t.Errorf("ParseCgroupMode(%q) = %v (%v), %v; want %v", in, m, m.rpc(), err, want)
		}
	}
	for _, bad := range []string{"", "Soft", "props", "none"} {
		if _, err := ParseCgroupMode(bad); err == nil || err.Error() != "invalid manage-cgroups-mode value" {
			t.Errorf("ParseCgroupMode(%q) err = %v, want runc's words", bad, err)
		}
	}
}

func TestParseEmptyNsAndPageServer(t *testing.T) {
	if ns, err := ParseEmptyNs("network"); err != nil || ns != unix.CLONE_NEWNET {
		t.Errorf("network: %#x %v", ns, err)
	}
	if ns, err := ParseEmptyNs(""); err != nil || ns != 0 {
		t.Errorf("empty: %#x %v", ns, err)
	}
	if _, err := ParseEmptyNs("pid"); err == nil || err.Error() != `namespace "pid" is not supported` {
		t.Errorf("pid: %v", err)
	}
	for in, want := range map[string][2]any{
		"10.0.0.1:27": {"10.0.0.1", int32(27)}, "[::1]:1234": {"::1", int32(1234)}, "": {"", int32(0)},
	} {
		a, p, err := ParsePageServer(in)
		if err != nil || a != want[0] || p != want[1] {
			t.Errorf("ParsePageServer(%q) = %q %d %v, want %v", in, a, p, err, want)
		}
	}
	for _, bad := range []string{"host", ":12", "host:port", "host:70000"} {
		if _, _, err := ParsePageServer(bad); err == nil {
			t.Errorf("ParsePageServer(%q) accepted", bad)
		}
	}
}

func TestDumpOptions(t *testing.T) {
	st := &State{Rootfs: "/b/rootfs", CgroupPaths: cgroups.Paths{V2: "/sys/fs/cgroup/x"}}
	st.Pid = 42
	mounts := []*rpc.ExtMountMap{{Key: proto.String("/m"), Val: proto.String("/m")}}
	o := dumpOptions(st, CheckpointOpts{TCPEstablished: true, ExtUnixSk: true, ShellJob: true, FileLocks: true,
		AutoDedup: true, LinkRemap: true, TCPSkipInFlight: true, EmptyNs: unix.CLONE_NEWNET, CgroupMode: "full"}, mounts)
	if o.GetPid() != 42 || o.GetRoot() != "/b/rootfs" || o.GetLogFile() != "dump.log" || o.GetLogLevel() != 4 {
		t.Errorf("pid/root/log: %v", o)
	}
	if !o.GetTcpEstablished() || !o.GetExtUnixSk() || !o.GetShellJob() || !o.GetFileLocks() || !o.GetAutoDedup() ||
		!o.GetLinkRemap() || !o.GetTcpSkipInFlight() || o.GetEmptyNs() != unix.CLONE_NEWNET {
		t.Errorf("flags not passed: %v", o)
	}
	if o.GetLeaveRunning() || o.GetTrackMem() || o.ParentImg != nil {
		t.Errorf("a plain dump stops the tree and tracks no memory: %v", o)
	}
	if !o.GetOrphanPtsMaster() || !o.GetNotifyScripts() || !o.GetManageCgroups() || o.GetManageCgroupsMode() != rpc.CriuCgMode_FULL {
		t.Errorf("pts/notify/cgroups: %v", o)
	}
	if o.GetFreezeCgroup() != "/sys/fs/cgroup/x" || len(o.ExtMnt) != 1 {
		t.Errorf("freezer %q, ext %v", o.GetFreezeCgroup(), o.ExtMnt)
	}

	if o.ConfigFile != nil {
		t.Errorf("config file without the annotation: %q", o.GetConfigFile())
	}
	st.Spec = &specs.Spec{Annotations: map[string]string{"org.criu.config": "/etc/criu/c1.conf"}}
	if f := dumpOptions(st, CheckpointOpts{}, nil).GetConfigFile(); f != "/etc/criu/c1.conf" {
		t.Errorf("org.criu.config: config file %q", f)
	}
	st.Spec = nil
	o = dumpOptions(st, CheckpointOpts{PreDump: true}, nil)
	if !o.GetLeaveRunning() || !o.GetTrackMem() || o.GetLogFile() != "pre-dump.log" || o.GetManageCgroupsMode() != rpc.CriuCgMode_SOFT {
		t.Errorf("pre-dump: %v", o)
	}
	o = dumpOptions(st, CheckpointOpts{ParentPath: "../pre", LeaveRunning: true, CgroupMode: "ignore"}, nil)
	if o.GetParentImg() != "../pre" || !o.GetTrackMem() || !o.GetLeaveRunning() {
		t.Errorf("parent: %v", o)
	}
	if o.GetManageCgroups() || o.GetManageCgroupsMode() != rpc.CriuCgMode_IGNORE {
		t.Errorf("ignore: %v", o)
	}
	st.CgroupPaths = cgroups.Paths{V1: map[string]string{"freezer": "/sys/fs/cgroup/freezer/x", "memory": "/m"}, V2: "/u/x"}
	if f := dumpOptions(st, CheckpointOpts{}, nil).GetFreezeCgroup(); f != "/sys/fs/cgroup/freezer/x" {
		t.Errorf("v1 freezer = %q", f)
	}
	st.CgroupPaths = cgroups.Paths{V1: map[string]string{"memory": "/m"}, V2: "/u/x"}
	if o := dumpOptions(st, CheckpointOpts{}, nil); o.FreezeCgroup != nil {
		t.Errorf("hybrid without freezer: %q", o.GetFreezeCgroup())
	}
}

func TestRestoreOptions(t *testing.T) {
	desc := []string{"/dev/null", "pipe:[77]", "pipe:[78]"}
	ext := []extMount{{Dest: "/data", Source: "/host/data"}, {Dest: "/proc/kcore", Source: "/dev/null"}}
	o := restoreOptions(RestoreOpts{ShellJob: true, TCPEstablished: true, LsmProfile: "apparmor:p",
		LsmMountContext: "ctx", CgroupMode: "ignore"}, ext, desc)
	if !o.GetRstSibling() || !o.GetOrphanPtsMaster() || !o.GetNotifyScripts() || o.GetLogFile() != "restore.log" {
		t.Errorf("process model: %v", o)
	}
	if !o.GetShellJob() || !o.GetTcpEstablished() || o.GetLsmProfile() != "apparmor:p" || o.GetLsmMountContext() != "ctx" {
		t.Errorf("flags: %v", o)
	}
	if o.GetManageCgroups() || o.GetManageCgroupsMode() != rpc.CriuCgMode_IGNORE {
		t.Errorf("ignore: %v", o)
	}
	var got []string
	for _, m := range o.ExtMnt {
		got = append(got, m.GetKey()+"="+m.GetVal())
	}
	if !slices.Equal(got, []string{"/data=/host/data", "/proc/kcore=/dev/null"}) {
		t.Errorf("ext mounts %v", got)
	}
	got = nil
	for _, f := range o.InheritFd {
		got = append(got, f.GetKey()+"@"+string(rune('0'+f.GetFd())))
	}
	if !slices.Equal(got, []string{"pipe:[77]@1", "pipe:[78]@2"}) {
		t.Errorf("inherit fds %v (only pipes, at their stdio number)", got)
	}
	if o := restoreOptions(RestoreOpts{}, nil, nil); o.LsmProfile != nil || o.GetManageCgroupsMode() != rpc.CriuCgMode_SOFT || !o.GetManageCgroups() {
		t.Errorf("defaults: %v", o)
	}
}

func TestDescriptorsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if err := writeDescriptors(dir, os.Getpid()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, descriptorsFile))
	if !strings.HasPrefix(string(b), `["`) {
		t.Errorf("not a JSON array of strings as runc writes it: %s", b)
	}
	d, err := readDescriptors(dir)
	if err != nil || len(d) != 3 {
		t.Fatalf("%v %v", d, err)
	}
	for i, got := range d {
		want, _ := os.Readlink("/proc/self/fd/" + string(rune('0'+i)))
		if got != want {
			t.Errorf("fd %d: %q, want %q", i, got, want)
		}
	}
	if _, err := readDescriptors(t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestExternalMounts(t *testing.T) {
	s := &specs.Spec{
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs"},
			{Destination: "/data", Type: "bind", Source: "/host/data", Options: []string{"rbind"}},
			{Destination: "/link", Source: "rel", Options: []string{"bind"}},
			{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup"},
		},
		Linux: &specs.Linux{
			MaskedPaths: []string{"/proc/kcore", "/proc/acpi"},
			Devices:     []specs.LinuxDevice{{Path: "/dev/fuse"}},
		},
	}
	resolve := func(p string) string {
		if p == "/link" {
			return "/target"
		}
		return p
	}
	isFile := func(p string) bool { return p == "/proc/kcore" }
	cg := func(m *specs.Mount) []extMount {
		return []extMount{{Dest: m.Destination + "/memory", Source: "/cg/memory/x"}}
	}
	str := func(ms []extMount) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Dest+"="+m.Source)
		}
		return out
	}
	got := str(externalMounts(s, "/bundle", resolve, isFile, cg))
	want := []string{"/data=/host/data", "/target=/bundle/rel", "/sys/fs/cgroup/memory=/cg/memory/x", "/proc/kcore=/dev/null"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	// In a user namespace the device nodes are binds of the host's.
	s.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.UserNamespace}}
	got = str(externalMounts(s, "/bundle", resolve, isFile, cg))
	for _, d := range []string{"/dev/null=/dev/null", "/dev/tty=/dev/tty", "/dev/fuse=/dev/fuse"} {
		if !slices.Contains(got, d) {
			t.Errorf("user namespace: %s missing from %v", d, got)
		}
	}
}

func TestCgroupBinds(t *testing.T) {
	v2 := &specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup"}
	paths := cgroups.Paths{V2: "/sys/fs/cgroup/pod/c1"}
	if b := cgroupBinds(v2, nil, "/sys/fs/cgroup", paths, true); b != nil {
		t.Errorf("v2 with a cgroup namespace is CRIU's own cgroup2 mount: %v", b)
	}
	if b := cgroupBinds(v2, nil, "/sys/fs/cgroup", paths, false); len(b) != 1 || b[0] != (extMount{"/sys/fs/cgroup", "/sys/fs/cgroup/pod/c1"}) {
		t.Errorf("v2 bind: %v", b)
	}
	v1 := []string{"/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/rdma"}
	paths = cgroups.Paths{V1: map[string]string{
		"cpu": "/sys/fs/cgroup/cpu,cpuacct/c1", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct/c1", "memory": "/sys/fs/cgroup/memory/c1",
	}, V2: "/sys/fs/cgroup/unified/c1"}
	b := cgroupBinds(v2, v1, "/sys/fs/cgroup/unified", paths, true)
	want := []extMount{
		{"/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct/c1"},
		{"/sys/fs/cgroup/memory", "/sys/fs/cgroup/memory/c1"},
		{"/sys/fs/cgroup/unified", "/sys/fs/cgroup/unified/c1"},
	}
	if !slices.Equal(b, want) {
		t.Errorf("v1: %v\nwant %v", b, want)
	}
}

func TestMountResolver(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "real/dir"), 0o755)
	os.Symlink("/real/dir", filepath.Join(root, "abs"))
	os.Symlink("real", filepath.Join(root, "rel"))
	os.Symlink("/etc", filepath.Join(root, "escape"))
	os.WriteFile(filepath.Join(root, "real/file"), nil, 0o644)
	r, err := newMountResolver(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	for in, want := range map[string]string{
		"/abs": "/real/dir", "rel/dir": "/real/dir", "/missing/x": "/missing/x", "/real/file": "/real/file",
		// An absolute link resolves inside the rootfs, never to the host's /etc.
		"/escape": "/escape",
	} {
		if got := r.resolve(in); got != want {
			t.Errorf("resolve(%q) = %q, want %q", in, got, want)
		}
	}
	if !r.isFile("/real/file") || r.isFile("/real/dir") || r.isFile("/missing") {
		t.Error("isFile in the rootfs")
	}
	// /proc and /sys are looked up on the host, as the container's are alike.
	if !r.isFile("/proc/self/stat") || r.isFile("/proc/sys") || r.isFile("/sys/kernel") {
		t.Error("isFile under /proc, /sys")
	}
}

func TestCriuFailureLine(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "dump.log")
	// The cause is the last error before the summary: the first one here
	// is one CRIU recovered from.
	os.WriteFile(log, []byte("(00.01) Found mmap_min_addr\n"+
		"(00.02) Error (criu/page-xfer.c:392): page-xfer: No parent image found\n"+
		"tar: unrecognized option '--no-unquote'\n"+
		"(00.03) Error (criu/util.c:642): exited, status=1\n"+
		"(00.04) Error (criu/filesystems.c:426): Can't dump tmpfs content\n"+
		"(00.05) Error (criu/cr-dump.c:2053): Dumping FAILED.\n"), 0o644)
	ce := &criuError{Type: rpc.CriuReqType_DUMP, Errno: 0}
	err := criuFailure("checkpoint", ce, log)
	want := "checkpoint: criu dump failed: Can't dump tmpfs content; log: " + log
	if err.Error() != want {
		t.Errorf("got  %q\nwant %q", err, want)
	}
	if !errors.As(err, new(*criuError)) {
		t.Error("the line does not unwrap to CRIU's error")
	}
	// No log: CRIU's own message and errno.
	ce = &criuError{Type: rpc.CriuReqType_PRE_DUMP, Errno: int32(unix.EBADRQC), Msg: "bad opts"}
	err = criuFailure("checkpoint", ce, filepath.Join(dir, "none.log"))
	if !strings.HasPrefix(err.Error(), "checkpoint: criu pre-dump failed: bad opts (") || strings.Contains(err.Error(), "\n") {
		t.Errorf("got %q", err)
	}
	// Not CRIU's failure: wrapped as is.
	if err := criuFailure("restore", errors.New("criu exited"), log); err.Error() != "restore: criu exited" {
		t.Errorf("got %q", err)
	}
}

func TestParseCgroupRoots(t *testing.T) {
	in := "12:cpu,cpuacct:/pod/c1\n3:name=systemd:/pod/c1\n0::/pod/c1\n"
	roots, err := parseCgroupRoots(bufio.NewScanner(strings.NewReader(in)))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range roots {
		got = append(got, r.GetCtrl()+"="+r.GetPath())
	}
	if !slices.Equal(got, []string{"cpu=/pod/c1", "cpuacct=/pod/c1", "name=systemd=/pod/c1", "=/pod/c1"}) {
		t.Errorf("got %v", got)
	}
}

func TestVersionNumber(t *testing.T) {
	v := func(maj, min, sub int32, git string) *rpc.CriuVersion {
		r := &rpc.CriuVersion{MajorNumber: proto.Int32(maj), MinorNumber: proto.Int32(min)}
		if sub != 0 {
			r.Sublevel = proto.Int32(sub)
		}
		if git != "" {
			r.Gitid = proto.String(git)
		}
		return r
	}
	for _, tt := range []struct {
		v    *rpc.CriuVersion
		want int
	}{{v(3, 17, 1, ""), 31701}, {v(4, 0, 0, ""), 40000}, {v(3, 17, 0, "abc"), 31800}, {v(2, 99, 0, ""), 29900}} {
		if got := versionNumber(tt.v); got != tt.want {
			t.Errorf("%v = %d, want %d", tt.v, got, tt.want)
		}
	}
	if 29900 >= minCriuVersion || 30000 < minCriuVersion {
		t.Error("CRIU 3.0 is the oldest rt takes")
	}
}

func TestUnderOtherMount(t *testing.T) {
	ms := []specs.Mount{{Destination: "/dev"}, {Destination: "/a"}, {Destination: "/a/b"}}
	for in, want := range map[string]bool{"/dev/x": true, "/a": false, "/a/b": true, "/a/b/c": true, "/ab": false, "/x": false} {
		if got := underOtherMount(ms, in); got != want {
			t.Errorf("%s: %v, want %v", in, got, want)
		}
	}
}
