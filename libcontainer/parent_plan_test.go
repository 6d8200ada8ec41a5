package libcontainer

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rt-runtime/rt/cgroups"
	"github.com/rt-runtime/rt/libcontainer/plan"
)

var updatePlans = flag.Bool("update-plans", false, "rewrite testdata/plan/*.golden")

// planHost are the host facts every golden plan is compiled with: a
// hybrid host (cgroup v1 hierarchies and a cgroup2 mount), kernel 6.x caps.
var planHost = planFacts{
	lastCap: 40,
	cgroupV1: []string{"/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids",
		"/sys/fs/cgroup/systemd"},
	cgroupV2: "/sys/fs/cgroup/unified",
	kcore:    true,
	seccomp:  &seccompProgram{flags: 1, bpf: []byte("\x06\x00\x00\x00\x00\x00\xff\x7f")},
}

func loadPlanSpec(t *testing.T, name string) *specs.Spec {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "plan", name))
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return &s
}

func planConfig(s *specs.Spec) *initConfig {
	return &initConfig{
		ID: "plan-test", Spec: s, Rootfs: "/run/bundle/rootfs", Bundle: "/run/bundle",
		ExecFifoFd: 4, ExecResultFd: 5,
		CgroupPaths: cgroups.Paths{
			V1: map[string]string{
				"cpu": "/sys/fs/cgroup/cpu,cpuacct/plan-test", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct/plan-test",
				"memory": "/sys/fs/cgroup/memory/plan-test", "pids": "/sys/fs/cgroup/pids/plan-test",
			},
			V2: "/sys/fs/cgroup/unified/plan-test",
		},
	}
}

// planCases are the configs whose whole plan is held in a golden file.
var planCases = []struct {
	golden string
	config func(t *testing.T) (*initConfig, *planFacts)
}{
	{"rt-spec", func(t *testing.T) (*initConfig, *planFacts) {
		return planConfig(loadPlanSpec(t, "rt-spec.json")), &planHost
	}},
	{"bench", func(t *testing.T) (*initConfig, *planFacts) {
		return planConfig(loadPlanSpec(t, "bench.json")), &planHost
	}},
	{"exec", func(t *testing.T) (*initConfig, *planFacts) {
		// rt exec of a process of its own in the bench's container.
		cfg := planConfig(loadPlanSpec(t, "bench.json"))
		umask := uint32(0o077)
		cfg.Exec, cfg.ExecFifoFd, cfg.ExecResultFd, cfg.PreserveFds = true, -1, -1, 2
		cfg.Process = &specs.Process{
			Args: []string{"sh", "-c", "id"}, Cwd: "/tmp",
			Env:  []string{"PATH=/bin", "A=1", "A=2", "HOME=/root"},
			User: specs.User{UID: 1000, GID: 100, AdditionalGids: []uint32{10, 20}, Umask: &umask},
			Capabilities: &specs.LinuxCapabilities{
				Bounding: []string{"CAP_KILL", "CAP_NET_RAW"}, Effective: []string{"CAP_KILL"},
				Permitted: []string{"CAP_KILL", "CAP_NET_RAW"}, Inheritable: []string{"CAP_NET_RAW"},
				Ambient: []string{"CAP_NET_RAW", "CAP_KILL", "CAP_NO_SUCH"},
			},
			Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_AS", Soft: 1 << 30, Hard: 1 << 30},
				{Type: "RLIMIT_NPROC", Soft: 100, Hard: 200}},
			NoNewPrivileges: true,
			Terminal:        true, ConsoleSize: &specs.Box{Height: 24, Width: 80},
			Scheduler:       &specs.Scheduler{Policy: specs.SchedFIFO, Priority: 10, Flags: []specs.LinuxSchedulerFlag{specs.SchedFlagResetOnFork}},
			IOPriority:      &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 4},
			ExecCPUAffinity: &specs.CPUAffinity{Initial: "0-2,5", Final: "1"},
		}
		cfg.Spec.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux32}
		cfg.Spec.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0,2-3",
			Flags: []specs.MemoryPolicyFlagType{specs.MpolFStaticNodes}}
		cfg.Spec.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
		return cfg, &planHost
	}},
	{"features", func(t *testing.T) (*initConfig, *planFacts) {
		// What a busier config asks of the init: binds with their
		// options, a read-only /dev, devices, sysctls, a user
		// namespace (devices bound from the host), seccomp without
		// no_new_privileges (loaded before the user switch), an
		// unbindable root, a cgroup v2 host with a cgroup namespace.
		s := loadPlanSpec(t, "rt-spec.json")
		s.Process.Terminal = false
		s.Process.NoNewPrivileges = false
		s.Process.Env = append(s.Process.Env, "HOME=")
		s.Process.Cwd = "/work"
		adj := -500
		s.Process.OOMScoreAdj = &adj
		s.Domainname = "example.org"
		s.Linux.RootfsPropagation = "unbindable"
		s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1", "kernel.msgmax": "8192"}
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace},
			specs.LinuxNamespace{Type: specs.CgroupNamespace})
		s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActErrno}
		uid := uint32(0)
		s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, UID: &uid, GID: &uid},
			{Path: "/dev/null", Type: "c", Major: 1, Minor: 3}}
		for i := range s.Mounts {
			if s.Mounts[i].Destination == "/dev" {
				s.Mounts[i].Options = append(s.Mounts[i].Options, "ro")
			}
			if s.Mounts[i].Destination == "/sys/fs/cgroup" {
				s.Mounts[i].Type = "cgroup2"
			}
		}
		s.Mounts = append(s.Mounts,
			specs.Mount{Destination: "/data", Type: "bind", Source: "/srv/data", Options: []string{"rbind", "ro", "nosuid", "rprivate"}},
			specs.Mount{Destination: "cache", Source: "cache", Options: []string{"bind", "rw", "exec", "rro"}},
			specs.Mount{Destination: "/run", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m", "noatime"}})
		s.Root.Readonly = false
		s.Linux.MaskedPaths = append(s.Linux.MaskedPaths, "/proc/kcore/")
		cfg := planConfig(s)
		cfg.NoNewKeyring, cfg.Rootless, cfg.PreserveFds = true, true, 1
		cfg.CgroupPaths = cgroups.Paths{V2: "/sys/fs/cgroup/plan-test"}
		host := planHost
		host.cgroupV1, host.cgroupV2, host.kcore = nil, "/sys/fs/cgroup", false
		return cfg, &host
	}},
}

// TestPlanGolden holds the whole plan of each config: a change of the
// init's order, flags or fields shows here as a diff of the dump. Run
// `go test ./libcontainer -run TestPlanGolden -update-plans` to accept one.
func TestPlanGolden(t *testing.T) {
	for _, c := range planCases {
		t.Run(c.golden, func(t *testing.T) {
			cfg, facts := c.config(t)
			p, err := compilePlan(cfg, facts)
			if err != nil {
				t.Fatalf("compilePlan: %v", err)
			}
			got := p.Dump()
			path := filepath.Join("testdata", "plan", c.golden+".golden")
			if *updatePlans {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("plan of %s differs from %s:\n%s", c.golden, path, lineDiff(string(want), got))
			}
			b, err := p.Encode()
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			back, err := plan.Decode(b)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(normalize(back), normalize(p)) {
				t.Errorf("Decode(Encode(p)) != p:\n%s", lineDiff(got, back.Dump()))
			}
			// The encoded plan seeds the C decoder's fuzz target.
			seed := filepath.Join("plan", "internal", "cplan", "testdata", "fuzz", "FuzzCDecode", "plan-"+c.golden)
			corpus := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			if *updatePlans {
				if err := os.WriteFile(seed, []byte(corpus), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if old, err := os.ReadFile(seed); err != nil || string(old) != corpus {
				t.Errorf("fuzz seed %s is not this plan (run with -update-plans)", seed)
			}
		})
	}
}

// normalize makes nil and empty lists the same, as the wire does.
func normalize(p *plan.Plan) *plan.Plan {
	out := &plan.Plan{}
	for _, e := range p.Entries {
		n := plan.Entry{Op: e.Op, Name: e.Name}
		for _, f := range e.Fields {
			if len(f.List) == 0 {
				f.List = nil
			}
			if len(f.U32s) == 0 {
				f.U32s = nil
			}
			if len(f.Raw) == 0 {
				f.Raw = nil
			}
			n.Fields = append(n.Fields, f)
		}
		out.Entries = append(out.Entries, n)
	}
	return out
}

func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			b.WriteString("- " + a + "\n+ " + c + "\n")
		}
	}
	return b.String()
}

// The fast path must not fall back silently for the configs that matter
// most: rt spec's default and the bench's (runc spec's) config, on this
// host's kind of cgroup layout and on a cgroup v2 one.
func TestDefaultConfigsCompileToPlans(t *testing.T) {
	for _, name := range []string{"rt-spec.json", "bench.json"} {
		for _, v2 := range []bool{false, true} {
			cfg := planConfig(loadPlanSpec(t, name))
			facts := planHost
			if v2 {
				facts.cgroupV1, facts.cgroupV2 = nil, "/sys/fs/cgroup"
				cfg.CgroupPaths = cgroups.Paths{V2: "/sys/fs/cgroup/plan-test"}
			}
			if _, err := compilePlan(cfg, &facts); err != nil {
				t.Errorf("%s (cgroup v2 %v): %v", name, v2, err)
			}
			cfg.Exec, cfg.Process = true, cfg.Spec.Process
			if _, err := compilePlan(cfg, &facts); err != nil {
				t.Errorf("%s exec (cgroup v2 %v): %v", name, v2, err)
			}
		}
	}
}

// The same configs with this host's own facts (its capabilities, cgroup
// mounts, a real seccomp program) compile too, and encode.
func TestHostFactsCompile(t *testing.T) {
	for _, name := range []string{"rt-spec.json", "bench.json"} {
		s := loadPlanSpec(t, name)
		s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActErrno,
			Syscalls: []specs.LinuxSyscall{{Names: []string{"read", "write", "exit_group"}, Action: specs.ActAllow}}}
		facts, err := hostPlanFacts(s, "", nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if facts.seccomp == nil || len(facts.seccomp.bpf) == 0 || len(facts.seccomp.bpf)%8 != 0 {
			t.Fatalf("%s: no BPF program in the facts: %+v", name, facts.seccomp)
		}
		p, err := compilePlan(planConfig(s), facts)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := p.Encode(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

// Each item not covered yet keeps the Go init, and says which.
func TestPlanFallbacks(t *testing.T) {
	for _, c := range []struct {
		item string
		edit func(*initConfig)
	}{
		{"--no-pivot", func(c *initConfig) { c.NoPivot = true }},
		{"linux.namespaces", func(c *initConfig) { c.HostMounts = true }},
		{"hooks.createContainer", func(c *initConfig) {
			c.Spec.Hooks = &specs.Hooks{CreateContainer: []specs.Hook{{Path: "/bin/true"}}}
		}},
		{"hooks.startContainer", func(c *initConfig) {
			c.Spec.Hooks = &specs.Hooks{StartContainer: []specs.Hook{{Path: "/bin/true"}}}
		}},
		{"linux.rootfsPropagation", func(c *initConfig) { c.Spec.Linux.RootfsPropagation = "rshared" }},
		{"mounts[1]", func(c *initConfig) { c.Spec.Mounts[1].Options = append(c.Spec.Mounts[1].Options, "tmpcopyup") }},
		{"mounts[7]", func(c *initConfig) {
			c.Spec.Mounts = append(c.Spec.Mounts, specs.Mount{Destination: "/m", Source: "tmpfs", Type: "tmpfs",
				Options: []string{"silent"}})
		}},
		{"mounts[7]", func(c *initConfig) {
			c.Spec.Mounts = append(c.Spec.Mounts, specs.Mount{Destination: "/m", Source: "/proc", Type: "proc",
				Options: []string{"rbind"}})
		}},
		{"process.apparmorProfile", func(c *initConfig) { c.Spec.Process.ApparmorProfile = "rt-default" }},
		{"process.selinuxLabel", func(c *initConfig) { c.Spec.Process.SelinuxLabel = "system_u:system_r:container_t:s0" }},
		{"linux.seccomp", func(c *initConfig) {
			c.Spec.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActNotify, ListenerPath: "/run/l"}
		}},
	} {
		cfg := planConfig(loadPlanSpec(t, "bench.json"))
		c.edit(cfg)
		_, err := compilePlan(cfg, &planHost)
		var fb *planFallback
		if !errors.As(err, &fb) || fb.item != c.item {
			t.Errorf("%s: compilePlan = %v, want a fallback on %s", c.item, err, c.item)
		}
	}
}

// The scheduler step's bytes are the struct applyScheduler passes to
// sched_setattr.
func TestSchedAttrBytes(t *testing.T) {
	s := &specs.Scheduler{Policy: specs.SchedDeadline, Nice: -3, Priority: 7, Runtime: 1e6, Deadline: 2e6, Period: 3e6,
		Flags: []specs.LinuxSchedulerFlag{specs.SchedFlagResetOnFork, specs.SchedFlagDLOverrun}}
	want := unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: 6, Flags: 0x05, Nice: -3, Priority: 7,
		Runtime: 1e6, Deadline: 2e6, Period: 3e6}
	raw := unsafe.Slice((*byte)(unsafe.Pointer(&want)), unix.SizeofSchedAttr)
	if got := schedAttrBytes(s); !bytes.Equal(got, raw) {
		t.Errorf("schedAttrBytes = %x\nwant %x", got, raw)
	}
}

// An idmapped bind, and any bind in a user namespace, is a bind step that
// asks the parent for the source (always, or when the mapped root is
// refused it), never the Go init.
func TestPlanBindFromParent(t *testing.T) {
	for _, c := range []struct {
		opts   []string
		userns bool
		want   uint64
	}{
		{[]string{"rbind", "idmap"}, false, plan.BindFromParent},
		{[]string{"rbind"}, true, plan.BindFromParentIfDenied},
		{[]string{"rbind"}, false, 0},
	} {
		cfg := planConfig(loadPlanSpec(t, "bench.json"))
		cfg.Spec.Mounts = append(cfg.Spec.Mounts, specs.Mount{Destination: "/m", Source: "/srv", Type: "bind", Options: c.opts})
		if c.userns {
			cfg.Spec.Linux.Namespaces = append(cfg.Spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
			cfg.Spec.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
			cfg.Spec.Linux.GIDMappings = cfg.Spec.Linux.UIDMappings
		}
		if c.opts[len(c.opts)-1] == "idmap" {
			cfg.Spec.Mounts[len(cfg.Spec.Mounts)-1].UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
			cfg.Spec.Mounts[len(cfg.Spec.Mounts)-1].GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
		}
		p, err := compilePlan(cfg, &planHost)
		if err != nil {
			t.Fatalf("%v: %v", c.opts, err)
		}
		found := false
		for _, e := range p.Entries {
			if e.Op == plan.OpBind && e.Name == "mounts[7]" {
				found = true
				if got := e.Fields[5].U64; got != c.want {
					t.Errorf("%v userns=%v: bind opts %#x, want %#x", c.opts, c.userns, got, c.want)
				}
			}
		}
		if !found {
			t.Errorf("%v: no bind step for mounts[7]", c.opts)
		}
	}
}
