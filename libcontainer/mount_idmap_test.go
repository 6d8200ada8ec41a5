package libcontainer

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func idmaps(l ...uint32) []specs.LinuxIDMapping {
	var out []specs.LinuxIDMapping
	for i := 0; i+2 < len(l); i += 3 {
		out = append(out, specs.LinuxIDMapping{ContainerID: l[i], HostID: l[i+1], Size: l[i+2]})
	}
	return out
}

func withUserns(s *specs.Spec, path string) {
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace, Path: path})
	if path == "" {
		s.Linux.UIDMappings = idmaps(0, 300000, 65536)
		s.Linux.GIDMappings = idmaps(0, 400000, 65536)
	}
}

// runc 1.5's rules for what an idmapped mount is mapped with.
func TestMountIDMapping(t *testing.T) {
	own := idmaps(0, 100000, 10)
	tests := []struct {
		name   string
		userns *string // nil: none; "": a new one; else joined by path
		mount  specs.Mount
		want   *mountIDMap
	}{
		{"plain bind", nil, specs.Mount{Options: []string{"bind"}}, nil},
		{"own maps, no userns", nil, specs.Mount{Options: []string{"bind"}, UIDMappings: own, GIDMappings: own},
			&mountIDMap{UIDMappings: own, GIDMappings: own}},
		{"own maps beat the container's", ptr(""), specs.Mount{Options: []string{"rbind", "ridmap"}, UIDMappings: own, GIDMappings: own},
			&mountIDMap{UIDMappings: own, GIDMappings: own, Recursive: true}},
		{"idmap takes the new userns's maps", ptr(""), specs.Mount{Options: []string{"bind", "idmap"}},
			&mountIDMap{UIDMappings: idmaps(0, 300000, 65536), GIDMappings: idmaps(0, 400000, 65536)}},
		{"idmap takes a joined userns", ptr("/proc/1/ns/user"), specs.Mount{Options: []string{"bind", "idmap"}},
			&mountIDMap{UserNSPath: "/proc/1/ns/user"}},
		{"the last of idmap/ridmap wins", nil, specs.Mount{Options: []string{"ridmap", "idmap"}}, &mountIDMap{}},
		{"idmap without userns has no maps", nil, specs.Mount{Options: []string{"bind", "ridmap"}}, &mountIDMap{Recursive: true}},
		{"only uid maps: no fill from the userns", ptr(""), specs.Mount{Options: []string{"bind"}, UIDMappings: own},
			&mountIDMap{UIDMappings: own}},
		{"empty list counts as given", ptr(""), specs.Mount{Options: []string{"bind"}, UIDMappings: []specs.LinuxIDMapping{}},
			&mountIDMap{UIDMappings: []specs.LinuxIDMapping{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSpec()
			if tt.userns != nil {
				withUserns(s, *tt.userns)
			}
			got := mountIDMapping(s, &tt.mount)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestValidateIDMapMounts(t *testing.T) {
	defer func(f func() bool) { idmapMountsSupported = f }(idmapMountsSupported)
	idmapMountsSupported = func() bool { return true }
	own := idmaps(0, 100000, 65536)
	bind := func(m specs.Mount) func(*specs.Spec) {
		return func(s *specs.Spec) {
			m.Destination, m.Source = "/mnt", "/src"
			if m.Type == "" {
				m.Type = "bind"
			}
			s.Mounts = []specs.Mount{{Destination: "/tmp", Type: "tmpfs"}, m}
		}
	}
	tests := []struct {
		name   string
		mutate func(*specs.Spec)
		want   string
	}{
		{"own maps", bind(specs.Mount{UIDMappings: own, GIDMappings: own}), ""},
		{"own maps, relative destination", func(s *specs.Spec) {
			s.Mounts = []specs.Mount{{Destination: "mnt/a", Source: "/src", Type: "bind", Options: []string{"bind"}, UIDMappings: own, GIDMappings: own}}
		}, ""},
		{"tmpfs with maps", bind(specs.Mount{Type: "tmpfs", UIDMappings: own, GIDMappings: own}),
			"mounts[1]: id-mapped mounts are only supported for bind-mounts"},
		{"uid maps only", bind(specs.Mount{UIDMappings: own}),
			"mounts[1]: id-mapped mounts must have both uid and gid mappings specified"},
		{"idmap without a userns", bind(specs.Mount{Options: []string{"idmap"}}),
			"mounts[1]: id-mapped mounts must have both uid and gid mappings specified"},
		{"idmap with a new userns", func(s *specs.Spec) {
			withUserns(s, "")
			bind(specs.Mount{Options: []string{"rbind", "ridmap"}})(s)
		}, ""},
		{"idmap with a joined userns", func(s *specs.Spec) {
			withUserns(s, "/proc/1/ns/user")
			bind(specs.Mount{Options: []string{"idmap"}})(s)
		}, ""},
		{"size 0", bind(specs.Mount{UIDMappings: idmaps(0, 1000, 0), GIDMappings: own}),
			"mounts[1].uidMappings[0]: size must not be 0"},
		{"past 32 bits", bind(specs.Mount{UIDMappings: own, GIDMappings: idmaps(0, 4294967295, 2)}),
			"mounts[1].gidMappings[0]: hostID 4294967295 + size 2 is past 4294967296"},
		{"container ranges overlap", bind(specs.Mount{UIDMappings: idmaps(0, 1000, 10, 5, 5000, 10), GIDMappings: own}),
			"mounts[1].uidMappings[1]: containerID range overlaps mounts[1].uidMappings[0]"},
		{"host ranges overlap", bind(specs.Mount{UIDMappings: idmaps(0, 1000, 10, 100, 1009, 1), GIDMappings: own}),
			"mounts[1].uidMappings[1]: hostID range overlaps mounts[1].uidMappings[0]"},
		{"adjacent ranges", bind(specs.Mount{UIDMappings: idmaps(0, 1000, 10, 10, 1010, 10), GIDMappings: own}), ""},
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
				t.Fatalf("want %q, got nil", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("want %q, got %q", tt.want, err)
			}
		})
	}
	idmapMountsSupported = func() bool { return false }
	s := validSpec()
	bind(specs.Mount{UIDMappings: own, GIDMappings: own})(s)
	if err := Validate(s); err == nil || !strings.Contains(err.Error(), "not supported by this kernel") {
		t.Fatalf("kernel without MOUNT_ATTR_IDMAP: got %v", err)
	}
}

func TestMountIDMapKey(t *testing.T) {
	a := &mountIDMap{UIDMappings: idmaps(0, 1, 2), GIDMappings: idmaps(0, 1, 2)}
	b := &mountIDMap{UIDMappings: idmaps(0, 1, 2), GIDMappings: idmaps(0, 1, 2), Recursive: true}
	c := &mountIDMap{UIDMappings: idmaps(0, 1, 2), GIDMappings: idmaps(0, 1, 3)}
	d := &mountIDMap{UIDMappings: idmaps(0, 1, 2, 5, 6, 7), GIDMappings: nil}
	e := &mountIDMap{UIDMappings: idmaps(0, 1, 2), GIDMappings: idmaps(5, 6, 7)}
	if a.key() != b.key() {
		t.Error("recursion is not part of the user namespace")
	}
	if a.key() == c.key() || d.key() == e.key() {
		t.Error("different maps share a key")
	}
	if (&mountIDMap{UserNSPath: "/x"}).key() == a.key() {
		t.Error("a path shares a key with maps")
	}
}

func TestProbeIDMapMounts(t *testing.T) {
	// MOUNT_ATTR_IDMAP came with mount_setattr in Linux 5.12.
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	var major, minor int
	fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &major, &minor)
	want := major > 5 || major == 5 && minor >= 12
	if got := probeIDMapMounts(); got != want {
		t.Errorf("probeIDMapMounts() = %v on Linux %d.%d, want %v", got, major, minor, want)
	}
}

func TestIDMapLines(t *testing.T) {
	if got := idMapLines(idmaps(0, 100000, 65536, 65536, 5, 1)); got != "0 100000 65536\n65536 5 1\n" {
		t.Errorf("idMapLines = %q", got)
	}
}
