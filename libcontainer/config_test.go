package libcontainer

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func validSpec() *specs.Spec {
	return &specs.Spec{
		Version: specs.Version,
		Root:    &specs.Root{Path: "rootfs"},
		Process: &specs.Process{Args: []string{"sh"}, Cwd: "/", Env: []string{"PATH=/bin"}},
		Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{
			{Type: specs.PIDNamespace}, {Type: specs.MountNamespace}, {Type: specs.NetworkNamespace},
			{Type: specs.IPCNamespace}, {Type: specs.UTSNamespace},
		}},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*specs.Spec)
		want   string // substring of the error; "" = valid
	}{
		{"valid", func(*specs.Spec) {}, ""},
		{"no root", func(s *specs.Spec) { s.Root = nil }, "root.path"},
		{"no process", func(s *specs.Spec) { s.Process = nil }, "process: must be set"},
		{"empty args", func(s *specs.Spec) { s.Process.Args = nil }, "process.args"},
		{"relative cwd", func(s *specs.Spec) { s.Process.Cwd = "tmp" }, `process.cwd: "tmp" is not an absolute path`},
		{"unknown namespace", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "foo"})
		}, `linux.namespaces[5].type: unknown namespace "foo"`},
		{"duplicate namespace", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.PIDNamespace})
		}, "given twice"},
		{"relative ns path", func(s *specs.Spec) { s.Linux.Namespaces[2].Path = "proc/1/ns/net" }, "is not an absolute path"},
		{"newline in ns path", func(s *specs.Spec) { s.Linux.Namespaces[2].Path = "/proc/1/ns/net\nclone 0" }, "linux.namespaces[2].path: \"/proc/1/ns/net\\nclone 0\" contains a control character"},
		{"DEL in ns path", func(s *specs.Spec) { s.Linux.Namespaces[2].Path = "/proc/1/ns/net\x7f" }, "contains a control character"},
		{"unknown time clock", func(s *specs.Spec) {
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic\nns 1 /x": {Secs: 1}}
		}, `linux.timeOffsets: unknown clock "monotonic\nns 1 /x"`},
		{"boottime offset", func(s *specs.Spec) {
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"boottime": {Secs: 1}, "monotonic": {Secs: 2}}
		}, ""},
		{"no mount ns", func(s *specs.Spec) {
			s.Linux.Namespaces = s.Linux.Namespaces[:1]
			s.Linux.MaskedPaths, s.Linux.ReadonlyPaths, s.Mounts = nil, nil, nil
		}, ""},
		{"no mount ns, masked paths", func(s *specs.Spec) {
			s.Linux.Namespaces = s.Linux.Namespaces[:1]
			s.Linux.MaskedPaths = []string{"/proc/kcore"}
		}, "unable to restrict sys entries without a private MNT namespace"},
		{"no mount ns, mounts", func(s *specs.Spec) {
			s.Linux.Namespaces = s.Linux.Namespaces[:1]
			s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = nil, nil
			s.Mounts = []specs.Mount{{Destination: "/tmp", Type: "tmpfs"}}
		}, "mounts[0] (/tmp): without a mount namespace of its own"},
		{"relative mount dest", func(s *specs.Spec) {
			s.Mounts = []specs.Mount{{Destination: "tmp", Type: "tmpfs"}}
		}, ""},
		{"empty mount dest", func(s *specs.Spec) {
			s.Mounts = []specs.Mount{{Type: "tmpfs"}}
		}, `mounts[0].destination: must be set`},
		{"unsupported mount option", func(s *specs.Spec) {
			s.Mounts = []specs.Mount{{Destination: "/tmp", Type: "tmpfs", Options: []string{"X-mount.mkdir"}}}
		}, `mounts[0].options: mount option "X-mount.mkdir"`},
		{"idmap on tmpfs", func(s *specs.Spec) {
			s.Mounts = []specs.Mount{{Destination: "/tmp", Type: "tmpfs", Options: []string{"idmap"}}}
		}, `mounts[0]: id-mapped mounts are only supported for bind-mounts`},
		{"maps without userns", func(s *specs.Spec) {
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 1}}
		}, "need a user namespace"},
		{"userns without maps", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		}, "needs uidMappings and gidMappings"},
		{"hostname without uts", func(s *specs.Spec) {
			s.Hostname = "x"
			s.Linux.Namespaces = s.Linux.Namespaces[:4]
		}, "new uts namespace"},
		{"net sysctl without netns", func(s *specs.Spec) {
			s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"}
			s.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.MountNamespace}}
		}, `"net.ipv4.ip_forward" requires a new network namespace`},
		{"net sysctl with netns", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"} }, ""},
		{"ipc sysctl without ipc ns", func(s *specs.Spec) {
			s.Linux.Sysctl = map[string]string{"kernel.shm_rmid_forced": "1"}
			s.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.MountNamespace}}
		}, "requires a new ipc namespace"},
		{"host-wide sysctl", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"kernel.panic": "1"} }, "not namespaced"},
		{"sysctl with ..", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"net/../../x": "1"} }, "not a sysctl name"},
		{"bad device type", func(s *specs.Spec) {
			s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/x", Type: "z"}}
		}, `unknown device type "z"`},
		{"bad rlimit", func(s *specs.Spec) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_FOO"}}
		}, `unknown rlimit "RLIMIT_FOO"`},
		{"soft above hard", func(s *specs.Spec) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 10, Hard: 5}}
		}, "above hard limit"},
		{"bad propagation", func(s *specs.Spec) { s.Linux.RootfsPropagation = "sideways" }, `unknown propagation "sideways"`},
		{"relative hook", func(s *specs.Spec) {
			s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "hook"}}}
		}, `hooks.createRuntime[0].path`},
		{"bad seccomp action", func(s *specs.Spec) {
			s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_NOPE"}
		}, "SCMP_ACT_NOPE"},
		{"env without =", func(s *specs.Spec) { s.Process.Env = []string{"FOO"} }, "is not KEY=VALUE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSpec()
			tt.mutate(s)
			err := Validate(s)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("want valid, got %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("want error containing %q, got nil", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("want error containing %q, got %q", tt.want, err)
			}
		})
	}
}

func TestDecodeSpecLineColumn(t *testing.T) {
	_, err := DecodeSpec([]byte("{\n  \"ociVersion\": \"1.0.0\",\n  \"root\": {,\n}"), "config.json")
	if err == nil || !strings.Contains(err.Error(), "line 3, column") {
		t.Fatalf("want line 3 in the error, got %v", err)
	}
	_, err = DecodeSpec([]byte(`{"process": {"args": "sh"}}`), "config.json")
	if err == nil || !strings.Contains(err.Error(), "process.args") {
		t.Fatalf("want a type error naming process.args, got %v", err)
	}
}

// FuzzValidate: no input makes decoding or validation panic.
func FuzzValidate(f *testing.F) {
	f.Add([]byte(`{"ociVersion":"1.3.0","root":{"path":"r"},"process":{"args":["sh"],"cwd":"/"},"linux":{"namespaces":[{"type":"mount"}]}}`))
	f.Add([]byte(`{"mounts":[{"destination":"x","options":["ro","rbind","X-mount.foo"]}],"linux":{"sysctl":{"net.a":"1"}}}`))
	f.Add([]byte(`{"linux":{"namespaces":[{"type":"foo","path":"rel"}],"uidMappings":[{}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeSpec(b, "config.json")
		if err != nil {
			return
		}
		_ = Validate(s)
	})
}

func TestValidateID(t *testing.T) {
	for _, id := range []string{"a", "A-b_c.d+e", "123"} {
		if err := ValidateID(id); err != nil {
			t.Errorf("ValidateID(%q) = %v, want ok", id, err)
		}
	}
	for _, id := range []string{"", ".", "..", "a/b", "a b", "../x", "é", strings.Repeat("a", 1025)} {
		if err := ValidateID(id); err == nil {
			t.Errorf("ValidateID(%q) = nil, want error", id)
		}
	}
}

func TestIDMapped(t *testing.T) {
	host := "         0          0 4294967295\n"
	userns := "0 100000 65536\n65536 1000 1\n"
	for _, c := range []struct {
		maps string
		id   uint32
		want bool
	}{
		{host, 0, true},
		{host, 2147483648, true},
		{host, 4294967294, true},
		{host, 4294967295, false}, // setresuid's -1: "unchanged"
		{userns, 65535, true},
		{userns, 65536, true},
		{userns, 65537, false},
		{"", 0, false},
	} {
		if got := idMapped(c.maps, c.id); got != c.want {
			t.Errorf("idMapped(%q, %d) = %v, want %v", c.maps, c.id, got, c.want)
		}
	}
}
