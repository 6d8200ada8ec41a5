package libcontainer

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// mountOptions is the parsed form of one mounts[].options list.
type mountOptions struct {
	flags       uintptr         // MS_* for mount(2)
	clear       uintptr         // MS_* an option turned off (rw, suid, dev, exec, atime ...)
	propagation []uintptr       // MS_SHARED, MS_PRIVATE ... (with MS_REC), applied after the mount
	data        []string        // filesystem-specific options
	recAttr     *unix.MountAttr // rro, rnosuid ...: mount_setattr(AT_RECURSIVE)
	copyUp      bool            // tmpcopyup: a tmpfs starts with the covered directory's tree
}

var flagOptions = map[string]struct {
	clear bool
	flag  uintptr
}{
	"ro":            {false, unix.MS_RDONLY},
	"rw":            {true, unix.MS_RDONLY},
	"nosuid":        {false, unix.MS_NOSUID},
	"suid":          {true, unix.MS_NOSUID},
	"nodev":         {false, unix.MS_NODEV},
	"dev":           {true, unix.MS_NODEV},
	"noexec":        {false, unix.MS_NOEXEC},
	"exec":          {true, unix.MS_NOEXEC},
	"sync":          {false, unix.MS_SYNCHRONOUS},
	"async":         {true, unix.MS_SYNCHRONOUS},
	"dirsync":       {false, unix.MS_DIRSYNC},
	"remount":       {false, unix.MS_REMOUNT},
	"mand":          {false, unix.MS_MANDLOCK},
	"nomand":        {true, unix.MS_MANDLOCK},
	"atime":         {true, unix.MS_NOATIME},
	"noatime":       {false, unix.MS_NOATIME},
	"diratime":      {true, unix.MS_NODIRATIME},
	"nodiratime":    {false, unix.MS_NODIRATIME},
	"relatime":      {false, unix.MS_RELATIME},
	"norelatime":    {true, unix.MS_RELATIME},
	"strictatime":   {false, unix.MS_STRICTATIME},
	"nostrictatime": {true, unix.MS_STRICTATIME},
	"bind":          {false, unix.MS_BIND},
	"rbind":         {false, unix.MS_BIND | unix.MS_REC},
	"silent":        {false, unix.MS_SILENT},
	"loud":          {true, unix.MS_SILENT},
	"symfollow":     {true, unix.MS_NOSYMFOLLOW},
	"nosymfollow":   {false, unix.MS_NOSYMFOLLOW},
	"lazytime":      {false, unix.MS_LAZYTIME},
	"nolazytime":    {true, unix.MS_LAZYTIME},
	"defaults":      {false, 0},
}

var propagationFlags = map[string]uintptr{
	"private":     unix.MS_PRIVATE,
	"rprivate":    unix.MS_PRIVATE | unix.MS_REC,
	"shared":      unix.MS_SHARED,
	"rshared":     unix.MS_SHARED | unix.MS_REC,
	"slave":       unix.MS_SLAVE,
	"rslave":      unix.MS_SLAVE | unix.MS_REC,
	"unbindable":  unix.MS_UNBINDABLE,
	"runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

// recursive attribute options (mount_setattr with AT_RECURSIVE), as runc
// and the spec name them.
var recAttrOptions = map[string]struct {
	clear bool
	attr  uint64
}{
	"rro":          {false, unix.MOUNT_ATTR_RDONLY},
	"rrw":          {true, unix.MOUNT_ATTR_RDONLY},
	"rnosuid":      {false, unix.MOUNT_ATTR_NOSUID},
	"rsuid":        {true, unix.MOUNT_ATTR_NOSUID},
	"rnodev":       {false, unix.MOUNT_ATTR_NODEV},
	"rdev":         {true, unix.MOUNT_ATTR_NODEV},
	"rnoexec":      {false, unix.MOUNT_ATTR_NOEXEC},
	"rexec":        {true, unix.MOUNT_ATTR_NOEXEC},
	"rnodiratime":  {false, unix.MOUNT_ATTR_NODIRATIME},
	"rdiratime":    {true, unix.MOUNT_ATTR_NODIRATIME},
	"rnoatime":     {false, unix.MOUNT_ATTR_NOATIME},
	"rrelatime":    {false, unix.MOUNT_ATTR_RELATIME},
	"rstrictatime": {false, unix.MOUNT_ATTR_STRICTATIME},
}

// parseMountOptions splits OCI mount options into flags, propagation and
// filesystem data. Unknown words are passed to the filesystem as data, as
// mount(8) does; options rt cannot honour are refused.
func parseMountOptions(opts []string) (*mountOptions, error) {
	m := &mountOptions{}
	for _, o := range opts {
		if o == "" {
			continue
		}
		if f, ok := flagOptions[o]; ok {
			if f.clear {
				m.flags &^= f.flag
				m.clear |= f.flag
			} else {
				m.flags |= f.flag
				m.clear &^= f.flag
			}
			continue
		}
		if p, ok := propagationFlags[o]; ok {
			m.propagation = append(m.propagation, p)
			continue
		}
		if a, ok := recAttrOptions[o]; ok {
			if m.recAttr == nil {
				m.recAttr = &unix.MountAttr{}
			}
			if a.clear {
				m.recAttr.Attr_clr |= a.attr
			} else {
				m.recAttr.Attr_set |= a.attr
				if a.attr&unix.MOUNT_ATTR__ATIME != 0 || a.attr == unix.MOUNT_ATTR_RELATIME {
					m.recAttr.Attr_clr |= unix.MOUNT_ATTR__ATIME
				}
			}
			continue
		}
		switch {
		case o == "idmap", o == "ridmap":
			// The mapping itself: mountIDMapping (mount_idmap.go).
		case o == "tmpcopyup":
			// tmpfs only (init_mount_copyup.go); other types ignore it, as runc.
			m.copyUp = true
		case strings.HasPrefix(o, "X-mount."):
			return nil, fmt.Errorf("mount option %q is not supported", o)
		default:
			m.data = append(m.data, o)
		}
	}
	return m, nil
}

var rlimitTypes = map[string]int{
	"RLIMIT_AS":         unix.RLIMIT_AS,
	"RLIMIT_CORE":       unix.RLIMIT_CORE,
	"RLIMIT_CPU":        unix.RLIMIT_CPU,
	"RLIMIT_DATA":       unix.RLIMIT_DATA,
	"RLIMIT_FSIZE":      unix.RLIMIT_FSIZE,
	"RLIMIT_LOCKS":      unix.RLIMIT_LOCKS,
	"RLIMIT_MEMLOCK":    unix.RLIMIT_MEMLOCK,
	"RLIMIT_MSGQUEUE":   unix.RLIMIT_MSGQUEUE,
	"RLIMIT_NICE":       unix.RLIMIT_NICE,
	"RLIMIT_NOFILE":     unix.RLIMIT_NOFILE,
	"RLIMIT_NPROC":      unix.RLIMIT_NPROC,
	"RLIMIT_RSS":        unix.RLIMIT_RSS,
	"RLIMIT_RTPRIO":     unix.RLIMIT_RTPRIO,
	"RLIMIT_RTTIME":     unix.RLIMIT_RTTIME,
	"RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING,
	"RLIMIT_STACK":      unix.RLIMIT_STACK,
}

// cgroupBindSource is the container's cgroup dir in the hierarchy mounted
// at mp (the source of its bind under /sys/fs/cgroup), or "" when the
// container has none there.
func cgroupBindSource(dirs []string, mp string) string {
	for _, d := range dirs {
		if d == mp || strings.HasPrefix(d, mp+"/") {
			return d
		}
	}
	return ""
}
