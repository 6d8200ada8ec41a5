package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/rt-runtime/rt/libcontainer/internal/pathsafe"
	"golang.org/x/sys/unix"
)

func fileMode(m os.FileMode) *os.FileMode { return &m }

// defaultDevices are made in every container's /dev, as runc does.
var defaultDevices = []specs.LinuxDevice{
	{Path: "/dev/null", Type: "c", Major: 1, Minor: 3, FileMode: fileMode(0o666)},
	{Path: "/dev/zero", Type: "c", Major: 1, Minor: 5, FileMode: fileMode(0o666)},
	{Path: "/dev/full", Type: "c", Major: 1, Minor: 7, FileMode: fileMode(0o666)},
	{Path: "/dev/random", Type: "c", Major: 1, Minor: 8, FileMode: fileMode(0o666)},
	{Path: "/dev/urandom", Type: "c", Major: 1, Minor: 9, FileMode: fileMode(0o666)},
	{Path: "/dev/tty", Type: "c", Major: 5, Minor: 0, FileMode: fileMode(0o666)},
}

func i64(v int64) *int64 { return &v }

// withDefaultDevices returns the spec's resources with the device cgroup
// rules that the default devices and linux.devices need appended after the
// spec's own (later rules win), plus mknod of anything.
func withDefaultDevices(s *specs.Spec) *specs.LinuxResources {
	var r specs.LinuxResources
	if s.Linux.Resources != nil {
		r = *s.Linux.Resources
	}
	rules := append([]specs.LinuxDeviceCgroup(nil), r.Devices...)
	if len(rules) == 0 && s.Linux.Resources == nil {
		return &r
	}
	rules = append(rules,
		specs.LinuxDeviceCgroup{Allow: true, Type: "c", Access: "m"},
		specs.LinuxDeviceCgroup{Allow: true, Type: "b", Access: "m"},
		specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i64(5), Minor: i64(1), Access: "rwm"},    // console
		specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i64(5), Minor: i64(2), Access: "rwm"},    // ptmx
		specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i64(136), Access: "rwm"},                 // pts
		specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i64(10), Minor: i64(200), Access: "rwm"}, // tun
	)
	for _, d := range append(defaultDevices, s.Linux.Devices...) {
		if d.Type == "p" {
			continue
		}
		t := d.Type
		if t == "u" {
			t = "c"
		}
		rules = append(rules, specs.LinuxDeviceCgroup{Allow: true, Type: t, Major: i64(d.Major), Minor: i64(d.Minor), Access: "rwm"})
	}
	r.Devices = rules
	return &r
}

// createDevices makes the default devices and linux.devices in the rootfs.
// Where mknod is not allowed (a user namespace) the host's node is bound.
func createDevices(root *os.File, s *specs.Spec) error {
	devs := append([]specs.LinuxDevice(nil), s.Linux.Devices...)
	have := map[string]bool{}
	for _, d := range devs {
		have[filepath.Clean(d.Path)] = true
	}
	for _, d := range defaultDevices {
		if !have[d.Path] {
			devs = append(devs, d)
		}
	}
	_, userns := findNamespace(s, specs.UserNamespace)
	for _, d := range devs {
		if err := createDevice(root, d, userns); err != nil {
			return fmt.Errorf("device %s: %w", d.Path, err)
		}
	}
	return nil
}

// deviceMode is the mknod mode of a device: its permissions (0666 when
// the spec gives none) and its type's S_IF* bits.
func deviceMode(d specs.LinuxDevice) uint32 {
	mode := uint32(0o666)
	if d.FileMode != nil {
		mode = uint32(d.FileMode.Perm())
	}
	switch d.Type {
	case "c", "u":
		mode |= unix.S_IFCHR
	case "b":
		mode |= unix.S_IFBLK
	case "p":
		mode |= unix.S_IFIFO
	}
	return mode
}

func createDevice(root *os.File, d specs.LinuxDevice, bind bool) error {
	parent, err := pathsafe.MkdirAllInRoot(root, filepath.Dir(d.Path), 0o755)
	if err != nil {
		return err
	}
	defer parent.Close()
	name := filepath.Base(d.Path)
	pfd := int(parent.Fd())
	if !bind {
		mode := deviceMode(d)
		unix.Unlinkat(pfd, name, 0)
		err := unix.Mknodat(pfd, name, mode, int(unix.Mkdev(uint32(d.Major), uint32(d.Minor))))
		if err == nil {
			return ownNode(pfd, name, d, mode)
		}
		if !errors.Is(err, unix.EPERM) {
			return fmt.Errorf("mknod: %w", err)
		}
	}
	// Bind the host's node onto an empty file.
	fd, err := unix.Openat(pfd, name, unix.O_CREAT|unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return fmt.Errorf("create bind target: %w", err)
	}
	unix.Close(fd)
	target, err := pathsafe.OpenInRoot(root, d.Path)
	if err != nil {
		return err
	}
	defer target.Close()
	if err := unix.Mount(d.Path, fdPath(target), "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind host node: %w", err)
	}
	return nil
}

// ownNode sets the owner and exact mode (mknod's is filtered by the umask)
// of the node just made, through an O_PATH|O_NOFOLLOW handle checked to be
// that node: a racer that swapped the name for a symlink to a host file
// gets an error, never a chmod or chown of what the link names.
func ownNode(pfd int, name string, d specs.LinuxDevice, mode uint32) error {
	fd, err := unix.Openat(pfd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("reopen node: %w", err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("stat node: %w", err)
	}
	want := unix.Mkdev(uint32(d.Major), uint32(d.Minor))
	if st.Mode&unix.S_IFMT != mode&unix.S_IFMT || (mode&unix.S_IFMT != unix.S_IFIFO && st.Rdev != want) {
		return fmt.Errorf("node replaced while it was made (now mode %#o)", st.Mode)
	}
	uid, gid := 0, 0
	if d.UID != nil {
		uid = int(*d.UID)
	}
	if d.GID != nil {
		gid = int(*d.GID)
	}
	if err := unix.Fchownat(fd, "", uid, gid, unix.AT_EMPTY_PATH); err != nil {
		return fmt.Errorf("chown: %w", err)
	}
	// The handle's magic link in the host's procfs (this runs before
	// pivot_root) names this inode only: an O_PATH fd cannot be fchmod'ed.
	if err := unix.Chmod("/proc/self/fd/"+strconv.Itoa(fd), mode&0o7777); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	return nil
}

// devSymlinks makes /dev/fd, stdin, stdout, stderr, ptmx and core.
func devSymlinks(root *os.File, s *specs.Spec) error {
	dev, err := pathsafe.MkdirAllInRoot(root, "/dev", 0o755)
	if err != nil {
		return fmt.Errorf("open /dev: %w", err)
	}
	defer dev.Close()
	links := [][2]string{
		{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
		{"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"},
	}
	if _, err := os.Stat("/proc/kcore"); err == nil {
		links = append(links, [2]string{"/proc/kcore", "core"})
	}
	for _, l := range links {
		if l[1] == "ptmx" {
			// A bind-mounted or image /dev/ptmx node is replaced by the link.
			unix.Unlinkat(int(dev.Fd()), "ptmx", 0)
		}
		if err := unix.Symlinkat(l[0], int(dev.Fd()), l[1]); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("symlink /dev/%s: %w", l[1], err)
		}
	}
	return nil
}
