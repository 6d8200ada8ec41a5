package libcontainer

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// rootlessEUID: rt runs as a user other than root (runc's RootlessEUID).
// Such a container needs a user namespace, in which its root is the user.
func rootlessEUID() bool { return os.Geteuid() != 0 }

// validateRootless refuses, in runc's words, what an unprivileged user
// can never make: a container without a user namespace, or a mount option
// naming an id the new namespace does not map.
func validateRootless(s *specs.Spec) error {
	if !rootlessEUID() {
		return nil
	}
	return checkRootless(s)
}

func checkRootless(s *specs.Spec) error {
	userns, ok := findNamespace(s, specs.UserNamespace)
	if !ok {
		return errors.New("rootless container requires user namespaces")
	}
	if userns.Path != "" {
		return nil // its maps are the namespace's own
	}
	for _, m := range s.Mounts {
		for _, o := range m.Options {
			for _, k := range []struct {
				prefix, kind string
				maps         []specs.LinuxIDMapping
			}{{"uid=", "uid", s.Linux.UIDMappings}, {"gid=", "gid", s.Linux.GIDMappings}} {
				v, ok := strings.CutPrefix(o, k.prefix)
				if !ok {
					continue
				}
				id, err := strconv.ParseUint(v, 10, 32)
				if err != nil || !containerIDMapped(k.maps, uint32(id)) {
					return fmt.Errorf("cannot specify %s%s mount option for rootless container: user namespaces enabled, but no mapping found for %s %s", k.prefix, v, k.kind, v)
				}
			}
		}
	}
	return nil
}

// containerIDMapped says whether a container id falls in one of the mappings.
func containerIDMapped(maps []specs.LinuxIDMapping, id uint32) bool {
	for _, m := range maps {
		if id >= m.ContainerID && uint64(id) < uint64(m.ContainerID)+uint64(m.Size) {
			return true
		}
	}
	return false
}

// selfMap: one mapping of a single id onto the caller's own, the one map
// the kernel lets an unprivileged process write itself.
func selfMap(maps []specs.LinuxIDMapping, own int) bool {
	return len(maps) == 1 && maps[0].Size == 1 && int64(maps[0].HostID) == int64(own)
}

// writeIDMapsRootless writes the maps of the new user namespace of pid as
// a non-root user. A map of the user's own id alone is written directly
// (for the gid map the kernel then requires setgroups to be denied in the
// namespace, as runc does); wider maps, from the ranges /etc/subuid and
// /etc/subgid grant the user, go through the setuid newuidmap and
// newgidmap (package uidmap), which check those files.
func writeIDMapsRootless(pid int, s *specs.Spec) error {
	proc := "/proc/" + strconv.Itoa(pid) + "/"
	if selfMap(s.Linux.UIDMappings, os.Geteuid()) {
		if err := os.WriteFile(proc+"uid_map", []byte(idMapText(s.Linux.UIDMappings)), 0); err != nil {
			return fmt.Errorf("write uid_map: %w", err)
		}
	} else if err := mapTool("newuidmap", pid, s.Linux.UIDMappings); err != nil {
		return err
	}
	if selfMap(s.Linux.GIDMappings, os.Getegid()) {
		if err := os.WriteFile(proc+"setgroups", []byte("deny"), 0); err != nil {
			return fmt.Errorf("write setgroups: %w", err)
		}
		if err := os.WriteFile(proc+"gid_map", []byte(idMapText(s.Linux.GIDMappings)), 0); err != nil {
			return fmt.Errorf("write gid_map: %w", err)
		}
		return nil
	}
	return mapTool("newgidmap", pid, s.Linux.GIDMappings)
}

// mapTool runs newuidmap or newgidmap for pid with the mappings; its own
// message (a range the user was not granted) is part of the error.
func mapTool(tool string, pid int, maps []specs.LinuxIDMapping) error {
	path, err := exec.LookPath(tool)
	if err != nil {
		return fmt.Errorf("rootless: mappings other than the user's own id need %s (package uidmap): %w", tool, err)
	}
	args := []string{strconv.Itoa(pid)}
	for _, m := range maps {
		args = append(args, strconv.FormatUint(uint64(m.ContainerID), 10),
			strconv.FormatUint(uint64(m.HostID), 10), strconv.FormatUint(uint64(m.Size), 10))
	}
	var stderr bytes.Buffer
	cmd := exec.Command(path, args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg != "" {
			return fmt.Errorf("%s %s: %w: %s", tool, strings.Join(args, " "), err, msg)
		}
		return fmt.Errorf("%s %s: %w", tool, strings.Join(args, " "), err)
	}
	return nil
}

func idMapText(maps []specs.LinuxIDMapping) string {
	var b strings.Builder
	for _, m := range maps {
		fmt.Fprintf(&b, "%d %d %d\n", m.ContainerID, m.HostID, m.Size)
	}
	return b.String()
}
