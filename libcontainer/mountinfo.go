package libcontainer

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/moby/sys/mountinfo"
)

// Shared by both sides: the init reads its new mount namespace during
// set-up, the parent (checkpoint, restore) the host's.

// selfMounts parses /proc/self/mountinfo, the table of the mount namespace
// the caller is in as the /proc mounted at /proc shows it: during setup in
// the init, the container's new namespace through the host's /proc (not
// mountinfo.GetMounts, which reads /proc/thread-self).
func selfMounts(filter mountinfo.FilterFunc) ([]*mountinfo.Info, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	defer f.Close()
	mounts, err := mountinfo.GetMountsFromReader(f, filter)
	if err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	return mounts, nil
}

// hostCgroupMounts lists the mount points of cgroup v1 hierarchies and the
// cgroup2 mount, as this mount namespace sees them.
func hostCgroupMounts() (v1 []string, v2 string, err error) {
	mounts, err := selfMounts(mountinfo.FSTypeFilter("cgroup", "cgroup2"))
	if err != nil {
		return nil, "", err
	}
	for _, m := range mounts {
		if !strings.HasPrefix(m.Mountpoint, "/sys/fs/cgroup") {
			continue
		}
		if m.FSType == "cgroup" {
			v1 = append(v1, m.Mountpoint)
		} else {
			v2 = m.Mountpoint
		}
	}
	sort.Strings(v1)
	return v1, v2, nil
}
