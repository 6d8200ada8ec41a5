package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

type fakeProbe struct {
	ns    map[string]bool
	caps  []string
	archs []string
	flags []string
	lib   string
	mpol  [2][]string
	idmap bool
}

func (f fakeProbe) hasNamespace(n string) bool { return f.ns[n] }
func (f fakeProbe) kernelCaps() []string       { return f.caps }
func (f fakeProbe) seccompArchs() []string     { return f.archs }
func (f fakeProbe) seccompFlags() []string     { return f.flags }
func (f fakeProbe) libseccompVersion() string  { return f.lib }
func (f fakeProbe) memoryPolicy() ([]string, []string) {
	return f.mpol[0], f.mpol[1]
}
func (f fakeProbe) idmapMounts() bool { return f.idmap }

func TestBuildFeaturesFollowsProbe(t *testing.T) {
	tests := []struct {
		name   string
		probe  fakeProbe
		wantNS []string
	}{
		{
			name:   "old kernel without time and cgroup namespaces",
			probe:  fakeProbe{ns: map[string]bool{"mnt": true, "pid": true, "net": true, "ipc": true, "uts": true, "user": true}, caps: []string{"CAP_CHOWN"}, archs: []string{"SCMP_ARCH_X86_64"}, lib: "2.5.4"},
			wantNS: []string{"ipc", "mount", "network", "pid", "user", "uts"},
		},
		{
			name: "all namespaces",
			probe: fakeProbe{ns: map[string]bool{"mnt": true, "pid": true, "net": true, "ipc": true, "uts": true, "user": true, "cgroup": true, "time": true}, caps: []string{"CAP_CHOWN", "CAP_BPF"}, flags: []string{"SECCOMP_FILTER_FLAG_LOG"},
				mpol: [2][]string{{"MPOL_BIND", "MPOL_DEFAULT"}, {"MPOL_F_STATIC_NODES"}}},
			wantNS: []string{"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := buildFeatures(tt.probe)
			if f.OCIVersionMin != "1.0.0" || f.OCIVersionMax != specs.Version {
				t.Errorf("oci versions = %q..%q, want 1.0.0..%s", f.OCIVersionMin, f.OCIVersionMax, specs.Version)
			}
			if !slices.Equal(f.Linux.Namespaces, tt.wantNS) {
				t.Errorf("namespaces = %v, want %v", f.Linux.Namespaces, tt.wantNS)
			}
			if !slices.Equal(f.Linux.Capabilities, tt.probe.caps) {
				t.Errorf("capabilities = %v, want %v", f.Linux.Capabilities, tt.probe.caps)
			}
			if mp := f.Linux.MemoryPolicy; mp == nil || !slices.Equal(mp.Modes, tt.probe.mpol[0]) || !slices.Equal(mp.Flags, tt.probe.mpol[1]) {
				t.Errorf("memoryPolicy = %+v, want modes %v flags %v", mp, tt.probe.mpol[0], tt.probe.mpol[1])
			}
			if !slices.Equal(f.Linux.Seccomp.Archs, tt.probe.archs) {
				t.Errorf("seccomp archs = %v, want %v", f.Linux.Seccomp.Archs, tt.probe.archs)
			}
			if !slices.Equal(f.Linux.Seccomp.SupportedFlags, tt.probe.flags) {
				t.Errorf("seccomp flags = %v, want %v", f.Linux.Seccomp.SupportedFlags, tt.probe.flags)
			}
			v, ok := f.Annotations["io.github.seccomp.libseccomp.version"]
			if (tt.probe.lib != "") != ok || v != tt.probe.lib {
				t.Errorf("libseccomp annotation = %q (present %v), want %q", v, ok, tt.probe.lib)
			}
			if f.Annotations["org.rt-runtime.rt.version"] != version {
				t.Errorf("version annotation = %q, want %q", f.Annotations["org.rt-runtime.rt.version"], version)
			}
			if f.Annotations["org.rt-runtime.rt.checkpoint.enabled"] != "true" {
				t.Errorf("checkpoint annotation = %q, want \"true\"", f.Annotations["org.rt-runtime.rt.checkpoint.enabled"])
			}
			if c := f.Linux.Cgroup; c == nil || !*c.V1 || !*c.V2 || !*c.Systemd || !*c.Rdma {
				t.Errorf("cgroup = %+v, want v1 v2 rdma systemd", c)
			}
			if !slices.Contains(f.Linux.Seccomp.Actions, "SCMP_ACT_NOTIFY") || !slices.Contains(f.Linux.Seccomp.Operators, "SCMP_CMP_MASKED_EQ") {
				t.Errorf("seccomp actions %v / operators %v miss NOTIFY / MASKED_EQ", f.Linux.Seccomp.Actions, f.Linux.Seccomp.Operators)
			}
		})
	}
}

// stringKeys returns the string-literal keys of the map literal assigned
// to the package-level var name in file.
func stringKeys(t *testing.T, file, name string) []string {
	return mapStrings(t, file, name, func(kv *ast.KeyValueExpr) ast.Expr { return kv.Key })
}

// mapStringValues returns the string-literal values of that map literal.
func mapStringValues(t *testing.T, file, name string) []string {
	return mapStrings(t, file, name, func(kv *ast.KeyValueExpr) ast.Expr { return kv.Value })
}

func mapStrings(t *testing.T, file, name string, pick func(*ast.KeyValueExpr) ast.Expr) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	var keys []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, s := range g.Specs {
			vs, ok := s.(*ast.ValueSpec)
			if !ok || len(vs.Names) != 1 || vs.Names[0].Name != name || len(vs.Values) != 1 {
				continue
			}
			lit, ok := vs.Values[0].(*ast.CompositeLit)
			if !ok {
				t.Fatalf("%s: %s is not a literal", file, name)
			}
			for _, e := range lit.Elts {
				kv, ok := e.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				if b, ok := pick(kv).(*ast.BasicLit); ok && b.Kind == token.STRING {
					k, err := strconv.Unquote(b.Value)
					if err != nil {
						t.Fatalf("%s: key %s: %v", file, b.Value, err)
					}
					keys = append(keys, k)
				}
			}
		}
	}
	if len(keys) == 0 {
		t.Fatalf("%s: no string literals found in %s", file, name)
	}
	return keys
}

// constStrings returns the values of the string constants of type typ.
func constStrings(t *testing.T, file, typ string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || vs.Type == nil || len(vs.Values) != 1 {
			return true
		}
		if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != typ {
			return true
		}
		if b, ok := vs.Values[0].(*ast.BasicLit); ok && b.Kind == token.STRING {
			v, _ := strconv.Unquote(b.Value)
			out = append(out, v)
		}
		return true
	})
	if len(out) == 0 {
		t.Fatalf("%s: no constants of type %s", file, typ)
	}
	return out
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

// The document must list exactly what libcontainer parses: a new mount
// option or hook kind there without a line here fails this test.
func TestFeaturesMatchLibcontainerTables(t *testing.T) {
	const opts = "libcontainer/mountopts.go"
	var want []string
	for _, table := range []string{"flagOptions", "propagationFlags", "recAttrOptions"} {
		want = append(want, stringKeys(t, opts, table)...)
	}
	src, err := os.ReadFile(opts)
	if err != nil {
		t.Fatalf("read %s: %v", opts, err)
	}
	if !strings.Contains(string(src), `"tmpcopyup"`) {
		t.Fatalf("%s no longer handles tmpcopyup: update mountOptionNames", opts)
	}
	want = append(want, "tmpcopyup")
	if got := sortedCopy(mountOptionNames); !slices.Equal(got, sortedCopy(want)) {
		t.Errorf("mountOptionNames = %v\nlibcontainer knows %v", got, sortedCopy(want))
	}

	hooks := constStrings(t, "libcontainer/hooks.go", "hookKind")
	if !slices.Equal(sortedCopy(hookNames), sortedCopy(hooks)) {
		t.Errorf("hookNames = %v, libcontainer runs %v", hookNames, hooks)
	}

	var procNames []string
	for _, n := range namespaceProcNames {
		procNames = append(procNames, n.proc)
	}
	known := mapStringValues(t, "libcontainer/config.go", "nsProcName")
	if !slices.Equal(sortedCopy(procNames), sortedCopy(known)) {
		t.Errorf("namespaceProcNames = %v, libcontainer knows %v", procNames, known)
	}
}

// idmapped mounts are reported, and their options listed, only where the
// kernel has them.
func TestFeaturesIDMap(t *testing.T) {
	for _, kernel := range []bool{false, true} {
		f := buildFeatures(fakeProbe{idmap: kernel})
		got := *f.Linux.MountExtensions.IDMap.Enabled
		if got != kernel {
			t.Errorf("kernel idmap %v: mountExtensions.idmap.enabled = %v", kernel, got)
		}
		for _, o := range idmapOptionNames {
			if slices.Contains(f.MountOptions, o) != kernel {
				t.Errorf("kernel idmap %v: mountOptions has %q = %v", kernel, o, !kernel)
			}
		}
		if !slices.IsSorted(f.MountOptions) {
			t.Errorf("mountOptions not sorted: %v", f.MountOptions)
		}
	}
	src, err := os.ReadFile("libcontainer/mountopts.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range idmapOptionNames {
		if !strings.Contains(string(src), strconv.Quote(o)) {
			t.Errorf("libcontainer/mountopts.go no longer takes %q", o)
		}
	}
}

// The annotations rt acts on are the ones features calls potentially
// unsafe, so an engine filters them from untrusted input.
func TestFeaturesListsUnsafeAnnotations(t *testing.T) {
	got := buildFeatures(fakeProbe{}).PotentiallyUnsafeConfigAnnotations
	for _, want := range []string{"org.systemd.property.", "org.criu.config"} {
		if !slices.Contains(got, want) {
			t.Errorf("potentiallyUnsafeConfigAnnotations = %v, missing %q", got, want)
		}
	}
}
