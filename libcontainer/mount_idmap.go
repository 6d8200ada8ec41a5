package libcontainer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Idmapped mounts (runtime-spec mounts[].uidMappings/gidMappings and the
// "idmap"/"ridmap" options). This file decides what each mount asks for,
// with runc 1.5's rules; parent_mount_idmap.go makes the mount.

// mountIDMap is what an idmapped mount is mapped with: either maps, for
// which rt makes a user namespace, or the path of the user namespace the
// container joins.
type mountIDMap struct {
	UIDMappings []specs.LinuxIDMapping
	GIDMappings []specs.LinuxIDMapping
	UserNSPath  string
	// Recursive ("ridmap") maps every mount of an rbind tree; otherwise
	// only its top mount is mapped.
	Recursive bool
}

// idmapOption finds the last "idmap"/"ridmap" word of a mount's options.
func idmapOption(opts []string) (found, recursive bool) {
	for _, o := range opts {
		switch o {
		case "idmap":
			found, recursive = true, false
		case "ridmap":
			found, recursive = true, true
		}
	}
	return found, recursive
}

// mountIDMapping says how mount m is idmapped (nil: it is not), as runc 1.5
// decides: the mount's own maps when it has any (an empty list counts);
// otherwise, with "idmap"/"ridmap", the container's user namespace: the
// one it joins by path, or the maps of the one it makes.
func mountIDMapping(s *specs.Spec, m *specs.Mount) *mountIDMap {
	opt, rec := idmapOption(m.Options)
	if !opt && m.UIDMappings == nil && m.GIDMappings == nil {
		return nil
	}
	im := &mountIDMap{UIDMappings: m.UIDMappings, GIDMappings: m.GIDMappings, Recursive: rec}
	if im.UIDMappings == nil && im.GIDMappings == nil && s.Linux != nil {
		if n, ok := findNamespace(s, specs.UserNamespace); ok {
			if n.Path != "" {
				im.UserNSPath = n.Path
			} else {
				im.UIDMappings, im.GIDMappings = s.Linux.UIDMappings, s.Linux.GIDMappings
			}
		}
	}
	return im
}

// key names a mapping, so that mounts with the same maps share one user
// namespace.
func (im *mountIDMap) key() string {
	if im.UserNSPath != "" {
		return "path:" + im.UserNSPath
	}
	var b strings.Builder
	for _, l := range [][]specs.LinuxIDMapping{im.UIDMappings, im.GIDMappings} {
		for _, m := range l {
			fmt.Fprintf(&b, "%d:%d:%d,", m.ContainerID, m.HostID, m.Size)
		}
		b.WriteByte('/')
	}
	return b.String()
}

// validateIDMapMounts checks every idmapped mount up front, with runc's
// words for runc's checks.
func validateIDMapMounts(s *specs.Spec) error {
	for i := range s.Mounts {
		m := &s.Mounts[i]
		im := mountIDMapping(s, m)
		if im == nil {
			continue
		}
		field := "mounts[" + strconv.Itoa(i) + "]"
		if !isBindMount(m) {
			return fmt.Errorf("%s: id-mapped mounts are only supported for bind-mounts", field)
		}
		if !idmapMountsSupported() {
			return fmt.Errorf("%s: %w", field, errNoIDMapMounts)
		}
		if im.UserNSPath != "" {
			continue
		}
		if len(im.UIDMappings) == 0 || len(im.GIDMappings) == 0 {
			return fmt.Errorf("%s: id-mapped mounts must have both uid and gid mappings specified", field)
		}
		if m.UIDMappings == nil {
			continue // the container's own maps, checked with linux.uidMappings
		}
		if err := validateIDMappings(field+".uidMappings", m.UIDMappings); err != nil {
			return err
		}
		if err := validateIDMappings(field+".gidMappings", m.GIDMappings); err != nil {
			return err
		}
	}
	return nil
}

// maxIDMapLines is the kernel's limit of lines in a uid_map or gid_map.
const maxIDMapLines = 340

// validateIDMappings checks maps as the kernel will when rt writes them:
// each range non-empty and inside 32 bits, no two overlapping on either
// side. A bad map fails create before anything is made, naming the entry.
func validateIDMappings(field string, maps []specs.LinuxIDMapping) error {
	if len(maps) > maxIDMapLines {
		return fmt.Errorf("%s: %d ranges, the kernel takes at most %d", field, len(maps), maxIDMapLines)
	}
	for i, m := range maps {
		f := field + "[" + strconv.Itoa(i) + "]"
		if m.Size == 0 {
			return fmt.Errorf("%s: size must not be 0", f)
		}
		if uint64(m.ContainerID)+uint64(m.Size) > 1<<32 {
			return fmt.Errorf("%s: containerID %d + size %d is past 4294967296", f, m.ContainerID, m.Size)
		}
		if uint64(m.HostID)+uint64(m.Size) > 1<<32 {
			return fmt.Errorf("%s: hostID %d + size %d is past 4294967296", f, m.HostID, m.Size)
		}
		for j := 0; j < i; j++ {
			o := maps[j]
			if overlap(m.ContainerID, o.ContainerID, m.Size, o.Size) {
				return fmt.Errorf("%s: containerID range overlaps %s[%d]", f, field, j)
			}
			if overlap(m.HostID, o.HostID, m.Size, o.Size) {
				return fmt.Errorf("%s: hostID range overlaps %s[%d]", f, field, j)
			}
		}
	}
	return nil
}

func overlap(a, b, na, nb uint32) bool {
	return uint64(a) < uint64(b)+uint64(nb) && uint64(b) < uint64(a)+uint64(na)
}

// idMapLines is the text written to a uid_map or gid_map.
func idMapLines(maps []specs.LinuxIDMapping) string {
	var b strings.Builder
	for _, m := range maps {
		fmt.Fprintf(&b, "%d %d %d\n", m.ContainerID, m.HostID, m.Size)
	}
	return b.String()
}

var errNoIDMapMounts = errors.New("idmapped mounts are not supported by this kernel (mount_setattr)")
