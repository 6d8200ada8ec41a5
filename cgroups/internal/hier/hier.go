// Package hier finds the cgroup hierarchies of the host (from
// /proc/self/mountinfo) and rt's own place in them (from /proc/self/cgroup),
// and resolves a container's cgroupsPath to one directory per hierarchy.
package hier

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"sync"

	"github.com/moby/sys/mountinfo"
)

// V1Controllers are the v1 controllers rt gives a directory when mounted.
var V1Controllers = []string{
	"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids",
	"net_cls", "net_prio", "hugetlb", "perf_event", "rdma", "misc",
}

// Mount is one cgroup hierarchy as mounted.
type Mount struct {
	Mountpoint string
	// Root is the hierarchy path shown at the mount point ("/" unless the
	// mount is a bind of a sub-tree or made inside a cgroup namespace).
	Root string
	// Subsystems of a v1 mount: controllers and "name=..." hierarchies.
	Subsystems []string
}

// Layout is every cgroup mount of the mount namespace.
type Layout struct {
	// V1 maps a subsystem ("memory", "name=systemd") to its mount.
	// Co-mounted controllers ("cpu,cpuacct") share one Mount.
	V1 map[string]Mount
	// Unified is the first cgroup2 mount, nil when there is none.
	Unified *Mount
}

// ParseMountinfo reads the cgroup mounts out of a mountinfo file.
func ParseMountinfo(r io.Reader) (*Layout, error) {
	mounts, err := mountinfo.GetMountsFromReader(r, mountinfo.FSTypeFilter("cgroup", "cgroup2"))
	if err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	l := &Layout{V1: make(map[string]Mount)}
	for _, mi := range mounts {
		m := Mount{Mountpoint: mi.Mountpoint, Root: mi.Root}
		if mi.FSType == "cgroup2" {
			if l.Unified == nil {
				l.Unified = &m
			}
			continue
		}
		for _, opt := range strings.Split(mi.VFSOptions, ",") {
			if strings.HasPrefix(opt, "name=") || isController(opt) {
				m.Subsystems = append(m.Subsystems, opt)
			}
		}
		for _, s := range m.Subsystems {
			if _, seen := l.V1[s]; !seen {
				l.V1[s] = m
			}
		}
	}
	return l, nil
}

func isController(s string) bool {
	for _, c := range V1Controllers {
		if c == s {
			return true
		}
	}
	return false
}

// Own is where a process is in each hierarchy, as /proc/<pid>/cgroup
// shows it: paths relative to the hierarchies' roots.
type Own struct {
	// V1 maps a subsystem to its path. Co-mounted controllers appear
	// under each name and under the joined name ("cpu,cpuacct").
	V1 map[string]string
	// V2 is the path in the cgroup2 hierarchy (the "0::/x" line).
	V2 string
}

// ParseProcCgroup reads a /proc/<pid>/cgroup file.
func ParseProcCgroup(r io.Reader) (Own, error) {
	out := Own{V1: make(map[string]string)}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			return Own{}, fmt.Errorf("cgroup file: bad line %q", sc.Text())
		}
		if parts[1] == "" {
			out.V2 = parts[2]
			continue
		}
		out.V1[parts[1]] = parts[2]
		if strings.Contains(parts[1], ",") {
			for _, s := range strings.Split(parts[1], ",") {
				out.V1[s] = parts[2]
			}
		}
	}
	if err := sc.Err(); err != nil {
		return Own{}, fmt.Errorf("read cgroup file: %w", err)
	}
	return out, nil
}

var (
	hostOnce   sync.Once
	hostLayout *Layout
	hostErr    error
	selfOnce   sync.Once
	selfOwn    Own
	selfErr    error
)

// Host returns the layout of rt's mount namespace, read once.
func Host() (*Layout, error) {
	hostOnce.Do(func() {
		f, err := os.Open("/proc/self/mountinfo")
		if err != nil {
			hostErr = fmt.Errorf("open mountinfo: %w", err)
			return
		}
		defer f.Close()
		hostLayout, hostErr = ParseMountinfo(f)
	})
	return hostLayout, hostErr
}

// Self returns rt's own cgroups, read once.
func Self() (Own, error) {
	selfOnce.Do(func() {
		f, err := os.Open("/proc/self/cgroup")
		if err != nil {
			selfErr = fmt.Errorf("open /proc/self/cgroup: %w", err)
			return
		}
		defer f.Close()
		selfOwn, selfErr = ParseProcCgroup(f)
	})
	return selfOwn, selfErr
}

// CleanPath checks a spec cgroupsPath: it may not climb out of the
// hierarchy (an absolute one) or out of rt's own cgroup (a relative one).
func CleanPath(p string) (string, error) {
	if path.IsAbs(p) {
		return path.Clean(p), nil
	}
	c := path.Clean(p)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("cgroupsPath %q leaves rt's own cgroup", p)
	}
	return c, nil
}

// Dir resolves cgroupsPath (already cleaned) in the hierarchy mounted by m,
// where own is rt's path in that hierarchy (from /proc/self/cgroup).
// An absolute cgroupsPath is taken from the hierarchy's root (the mount
// point); a relative one from rt's own cgroup.
func Dir(m Mount, own, cgroupsPath string) string {
	if path.IsAbs(cgroupsPath) {
		return path.Join(m.Mountpoint, cgroupsPath)
	}
	rel := own
	if m.Root != "/" {
		// The mount shows only the sub-tree at Root; paths in
		// /proc/self/cgroup are relative to the namespace root or start
		// with Root when rt sees the whole hierarchy.
		if r, ok := strings.CutPrefix(own, m.Root); ok && (r == "" || r[0] == '/') {
			rel = r
		}
	}
	return path.Join(m.Mountpoint, rel, cgroupsPath)
}
