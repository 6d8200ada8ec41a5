package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rt-runtime/rt/libcontainer/internal/pathsafe"
	"golang.org/x/sys/unix"
)

// mountCgroup gives the container its cgroup tree at m.Destination: on v2
// a cgroup2 mount (its cgroup namespace shows the container's cgroup as /)
// or a bind of the container's cgroup; on v1 a tmpfs holding a bind of
// the container's dir in each hierarchy.
func mountCgroup(root *os.File, cfg *initConfig, m *specs.Mount, opts *mountOptions) error {
	flags := opts.flags &^ (unix.MS_REMOUNT | unix.MS_BIND | unix.MS_REC)
	v1, v2, err := hostCgroupMounts()
	if err != nil {
		return err
	}
	target, err := openTarget(root, m.Destination, true)
	if err != nil {
		return err
	}
	defer target.Close()
	_, newCgroupNS := findNamespace(cfg.Spec, specs.CgroupNamespace)
	if len(v1) == 0 || m.Type == "cgroup2" {
		if newCgroupNS {
			err := unix.Mount("cgroup2", fdPath(target), "cgroup2", flags, "")
			if err == nil {
				return nil
			}
			// A user namespace may be refused a cgroup2 superblock (EPERM,
			// EBUSY: a rootless container on v2): as runc, the bind of the
			// container's own cgroup below stands in for it.
			if !errors.Is(err, unix.EPERM) && !errors.Is(err, unix.EBUSY) {
				return fmt.Errorf("mount cgroup2: %w", err)
			}
		}
		p := cfg.CgroupPaths.V2
		if p == "" {
			p = v2
		}
		return bindMount(root, p, target, m.Destination, &mountOptions{flags: flags | unix.MS_BIND})
	}
	if err := unix.Mount("tmpfs", fdPath(target), "tmpfs", flags&^unix.MS_RDONLY, "mode=755"); err != nil {
		return fmt.Errorf("mount tmpfs for cgroups: %w", err)
	}
	top, err := pathsafe.OpenInRoot(root, m.Destination)
	if err != nil {
		return err
	}
	defer top.Close()
	hier := v1
	if v2 != "" {
		hier = append(hier, v2)
	}
	for _, mp := range hier {
		src := cgroupBindSource(cfg.CgroupPaths.Dirs(), mp)
		if src == "" {
			continue
		}
		name := filepath.Base(mp)
		dest := filepath.Join(m.Destination, name)
		sub, err := openTarget(root, dest, true)
		if err != nil {
			return err
		}
		err = bindMount(root, src, sub, dest, &mountOptions{flags: flags | unix.MS_BIND})
		sub.Close()
		if err != nil {
			return err
		}
		// co-mounted controllers (cpu,cpuacct) get one link per name.
		if strings.Contains(name, ",") {
			for _, c := range strings.Split(name, ",") {
				unix.Symlinkat(name, int(top.Fd()), c)
			}
		}
	}
	if flags&unix.MS_RDONLY != 0 {
		if err := unix.Mount("", fdPath(top), "", unix.MS_REMOUNT|flags, "mode=755"); err != nil {
			return fmt.Errorf("remount cgroup tmpfs read-only: %w", err)
		}
	}
	return nil
}
