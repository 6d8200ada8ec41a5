package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/sys/mountinfo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/rt-runtime/rt/libcontainer/internal/pathsafe"
	"github.com/rt-runtime/rt/libcontainer/lsm"
	"golang.org/x/sys/unix"
)

// setupRootfs runs in the container's new mount namespace, before
// pivot_root: propagation, the rootfs as a mount point, every OCI mount in
// order, /dev. Paths inside the rootfs are resolved with RESOLVE_IN_ROOT
// semantics (pathrs) and mounted through their fds, so a symlink the image
// or a racing container put in the way cannot send a mount outside.
func setupRootfs(cfg *initConfig) error {
	spec := cfg.Spec
	prop := rootPropagation(spec)
	// Shared and unbindable cannot hold during setup (pivot_root refuses a
	// shared root, an unbindable one cannot be bound): / starts rslave and
	// gets them once the rootfs is / (enterRootfs).
	setup := prop
	if prop&(unix.MS_SHARED|unix.MS_UNBINDABLE) != 0 {
		setup = unix.MS_SLAVE | unix.MS_REC
	}
	if err := unix.Mount("", "/", "", setup, ""); err != nil {
		return fmt.Errorf("set propagation of / : %w", err)
	}
	if err := unix.Mount(cfg.Rootfs, cfg.Rootfs, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind rootfs %s onto itself: %w", cfg.Rootfs, err)
	}
	if prop&unix.MS_SHARED != 0 {
		// pivot_root refuses a shared new root or parent mount; the root
		// is made shared again once it is /.
		if err := makeParentMountPrivate(cfg.Rootfs); err != nil {
			return err
		}
		if err := unix.Mount("", cfg.Rootfs, "", unix.MS_PRIVATE, ""); err != nil {
			return fmt.Errorf("make rootfs private for pivot_root: %w", err)
		}
	}
	root, err := os.OpenFile(cfg.Rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open rootfs: %w", err)
	}
	defer root.Close()

	devIsBind, devRO := false, false
	for i := range spec.Mounts {
		m := &spec.Mounts[i]
		// A relative destination is taken from /, as runc does.
		m.Destination = filepath.Join("/", m.Destination)
		if m.Destination == "/dev" {
			if isBindMount(m) {
				devIsBind = true
			} else if rw, ok := withoutReadonly(m); ok {
				// A read-only /dev is made read-only once its devices,
				// devpts and links are in place, as in runc.
				m, devRO = rw, true
			}
		}
		var err error
		if mountIDMapping(spec, m) != nil || parentOpensSource(cfg, m) {
			err = idmappedMount(root, cfg, i, m)
		} else {
			err = mountEntry(root, cfg, m)
		}
		if err != nil {
			return fmt.Errorf("mount %s: %w", m.Destination, err)
		}
	}
	if !devIsBind {
		if err := createDevices(root, spec); err != nil {
			return err
		}
		if err := devSymlinks(root, spec); err != nil {
			return err
		}
	}
	if devRO {
		if err := remountReadonly(root, "/dev"); err != nil {
			return err
		}
	}
	return mkdirCwd(root, spec.Process.Cwd)
}

// mkdirCwd makes the cwd now, inside the rootfs, so chdir cannot fail later.
func mkdirCwd(root *os.File, cwd string) error {
	if cwd == "/" {
		return nil
	}
	d, err := pathsafe.MkdirAllInRoot(root, cwd, 0o755)
	if err != nil {
		return fmt.Errorf("create cwd %s: %w", cwd, err)
	}
	return d.Close()
}

// makeCwd is all the rootfs set-up of a container in the host's mount
// namespace: no mount is made there.
func makeCwd(cfg *initConfig) error {
	root, err := os.OpenFile(cfg.Rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open rootfs: %w", err)
	}
	defer root.Close()
	return mkdirCwd(root, cfg.Spec.Process.Cwd)
}

// chrootRootfs enters the rootfs of a container in the host's mount
// namespace, where neither pivot_root nor a move of / is allowed.
func chrootRootfs(rootfs string) error {
	if err := unix.Chdir(rootfs); err != nil {
		return fmt.Errorf("chdir to rootfs: %w", err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot: %w", err)
	}
	return unix.Chdir("/")
}

// withoutReadonly returns a copy of a mount whose options end read-only,
// with every "ro" taken out, and whether it was read-only.
func withoutReadonly(m *specs.Mount) (*specs.Mount, bool) {
	opts, err := parseMountOptions(m.Options)
	if err != nil || opts.flags&unix.MS_RDONLY == 0 {
		return m, false
	}
	rw := *m
	rw.Options = nil
	for _, o := range m.Options {
		if o != "ro" {
			rw.Options = append(rw.Options, o)
		}
	}
	return &rw, true
}

// remountReadonly makes the mount at dest read-only, keeping its other
// per-mount flags.
func remountReadonly(root *os.File, dest string) error {
	mnt, err := pathsafe.OpenInRoot(root, dest)
	if err != nil {
		return fmt.Errorf("reopen %s: %w", dest, err)
	}
	defer mnt.Close()
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(mnt.Fd()), &st); err != nil {
		return fmt.Errorf("statfs %s: %w", dest, err)
	}
	flags := unix.MS_REMOUNT | unix.MS_BIND | unix.MS_RDONLY | lockedFlags(uintptr(st.Flags))
	if err := unix.Mount("", fdPath(mnt), "", flags, ""); err != nil {
		return fmt.Errorf("remount %s read-only: %w", dest, err)
	}
	return nil
}

// tmpfsMode gives a tmpfs without mode= the mode of the directory it
// covers, every bit of it (setuid, setgid, sticky too), as runc does.
func tmpfsMode(target *os.File, data []string) []string {
	for _, d := range data {
		if strings.HasPrefix(d, "mode=") {
			return data
		}
	}
	var st unix.Stat_t
	if unix.Fstat(int(target.Fd()), &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return data
	}
	return append(data[:len(data):len(data)], fmt.Sprintf("mode=%o", st.Mode&0o7777))
}

func rootPropagation(s *specs.Spec) uintptr {
	if p := s.Linux.RootfsPropagation; p != "" {
		return propagationFlags[p]
	}
	return unix.MS_SLAVE | unix.MS_REC
}

// isBindMount reads the spec only: the parent uses it too (validation,
// parent_mount_idmap.go).
func isBindMount(m *specs.Mount) bool {
	if m.Type == "bind" {
		return true
	}
	for _, o := range m.Options {
		if o == "bind" || o == "rbind" {
			return true
		}
	}
	return false
}

// fdPath names an fd through procfs, the mount target form that cannot be
// redirected after it was opened.
func fdPath(f *os.File) string { return "/proc/self/fd/" + strconv.Itoa(int(f.Fd())) }

// openTarget makes the mount's destination inside the rootfs (a dir, or a
// file when a file is bind-mounted) and returns an O_PATH handle to it.
func openTarget(root *os.File, dest string, dir bool) (*os.File, error) {
	if dir {
		return pathsafe.MkdirAllInRoot(root, dest, 0o755)
	}
	return pathsafe.CreateFileInRoot(root, dest, 0o644)
}

func mountEntry(root *os.File, cfg *initConfig, m *specs.Mount) error {
	opts, err := parseMountOptions(m.Options)
	if err != nil {
		return err
	}
	bind := isBindMount(m)
	src := m.Source
	isDir := true
	if bind {
		opts.flags |= unix.MS_BIND
		if !filepath.IsAbs(src) {
			src = filepath.Join(cfg.Bundle, src)
		}
		fi, err := os.Stat(src)
		if err != nil {
			return fmt.Errorf("bind source: %w", err)
		}
		isDir = fi.IsDir()
	}
	switch m.Type {
	case "cgroup", "cgroup2":
		if !bind {
			return mountCgroup(root, cfg, m, opts)
		}
	}
	if err := checkOrdinaryDir(root, m); err != nil {
		return err
	}
	target, err := openTarget(root, m.Destination, isDir)
	if err != nil {
		return err
	}
	defer target.Close()
	if err := checkProcMount(root, target, cfg.Rootfs, m, src, bind); err != nil {
		return err
	}
	if bind {
		return bindMount(root, src, target, m.Destination, opts)
	}
	flags := opts.flags &^ (unix.MS_REMOUNT | unix.MS_BIND | unix.MS_REC)
	if m.Type == "tmpfs" {
		opts.data = tmpfsMode(target, opts.data)
	}
	data := strings.Join(opts.data, ",")
	switch m.Type {
	case "tmpfs", "devpts":
		data = lsm.FormatMountLabel(data, cfg.Spec.Linux.MountLabel, cfg.SELinux)
	}
	if opts.copyUp && m.Type == "tmpfs" {
		return copyUpMount(root, target, m, flags, data, opts)
	}
	if err := unix.Mount(src, fdPath(target), m.Type, flags, data); err != nil {
		if m.Type == "sysfs" && errors.Is(err, unix.EPERM) {
			// No new net namespace in a user namespace: sysfs cannot be
			// mounted, a read-only recursive bind of the host's is used.
			return bindMount(root, "/sys", target, m.Destination, &mountOptions{
				flags: opts.flags | unix.MS_BIND | unix.MS_REC | unix.MS_RDONLY, propagation: opts.propagation})
		}
		return fmt.Errorf("mount %s (type %s): %w", src, m.Type, err)
	}
	if m.Type == "mqueue" && cfg.Spec.Linux.MountLabel != "" && cfg.SELinux {
		mnt, err := pathsafe.OpenInRoot(root, m.Destination)
		if err != nil {
			return fmt.Errorf("reopen %s: %w", m.Destination, err)
		}
		err = lsm.SetMountRootLabel(fdPath(mnt), cfg.Spec.Linux.MountLabel, cfg.SELinux)
		mnt.Close()
		if err != nil {
			return err
		}
	}
	return applyMountAttrs(root, m.Destination, opts)
}

// copyUpMount mounts a tmpfs over target holding a copy of the tree it
// covers (tmpcopyup, init_mount_copyup.go). The tmpfs is writable while it is
// filled; a read-only one is made so per mount afterwards.
func copyUpMount(root, target *os.File, m *specs.Mount, flags uintptr, data string, opts *mountOptions) error {
	// Opened before the tmpfs covers it: this fd keeps reaching the image's tree.
	fd, err := unix.Openat(int(target.Fd()), ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("tmpcopyup: open %s: %w", m.Destination, err)
	}
	src := os.NewFile(uintptr(fd), m.Destination)
	defer src.Close()
	if err := unix.Mount(m.Source, fdPath(target), m.Type, flags&^unix.MS_RDONLY, data); err != nil {
		return fmt.Errorf("mount %s (type %s): %w", m.Source, m.Type, err)
	}
	dst, err := pathsafe.OpenInRootFlags(root, m.Destination, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return fmt.Errorf("tmpcopyup: reopen %s: %w", m.Destination, err)
	}
	defer dst.Close()
	var a, b unix.Stat_t
	if err := unix.Fstat(int(src.Fd()), &a); err != nil {
		return fmt.Errorf("tmpcopyup: %w", err)
	}
	if err := unix.Fstat(int(dst.Fd()), &b); err != nil {
		return fmt.Errorf("tmpcopyup: %w", err)
	}
	if a.Dev == b.Dev {
		return fmt.Errorf("tmpcopyup: %s is not the new tmpfs", m.Destination)
	}
	if err := copyUp(src, dst); err != nil {
		return err
	}
	if flags&unix.MS_RDONLY != 0 {
		attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
		if err := unix.MountSetattr(int(dst.Fd()), "", unix.AT_EMPTY_PATH, attr); err != nil {
			return fmt.Errorf("tmpcopyup: make %s read-only: %w", m.Destination, err)
		}
	}
	return applyMountAttrs(root, m.Destination, opts)
}

// bindMount binds src onto target, then, when the config gives any flag
// (to set or to clear), remounts it with exactly those, as runc does (not
// mount(8), which would keep the source's): a flag the kernel locked on the
// source (a user namespace's copy of a host mount) and the config did not
// clear is added back when the plain remount is refused.
//
// The bind is made detached (open_tree) and moved onto the target's fd;
// the tree's fd then names the new mount itself, so the remount,
// propagation and recursive attributes reach it with no path looked up
// again: a racer swapping the destination for a symlink (a volume shared
// with another container) cannot send the "ro" elsewhere.
func bindMount(root *os.File, src string, target *os.File, dest string, opts *mountOptions) error {
	flags := unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC
	if opts.flags&unix.MS_REC != 0 {
		flags |= unix.AT_RECURSIVE
	}
	tree, err := unix.OpenTree(unix.AT_FDCWD, src, uint(flags))
	if err != nil {
		return fmt.Errorf("bind %s: %w", src, err)
	}
	mnt := os.NewFile(uintptr(tree), dest)
	defer mnt.Close()
	if err := moveOnto(tree, target); err != nil {
		return fmt.Errorf("bind %s: move_mount: %w", src, err)
	}
	return finishBind(mnt, dest, opts)
}

// parentOpensSource says whether a bind's source is one the container's
// mapped root cannot reach (a directory only the host's root may enter): the
// parent, still the host's root, clones it for the init, as runc and crun
// open such sources before they enter the user namespace.
func parentOpensSource(cfg *initConfig, m *specs.Mount) bool {
	if !isBindMount(m) || !hasOwnNamespace(cfg.Spec, specs.UserNamespace) {
		return false
	}
	src := m.Source
	if !filepath.IsAbs(src) {
		src = filepath.Join(cfg.Bundle, src)
	}
	_, err := os.Stat(src)
	return errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM)
}

// idmappedMount attaches mounts[i], an idmapped bind (or one whose source
// the parent opens, parentOpensSource): the parent makes the
// detached, mapped copy of the source (parent_mount_idmap.go) and this
// moves it onto the destination, resolved inside the rootfs; the flags
// and propagation then apply as for any bind.
func idmappedMount(root *os.File, cfg *initConfig, i int, m *specs.Mount) error {
	opts, err := parseMountOptions(m.Options)
	if err != nil {
		return err
	}
	if err := initSend(cfg.sock, syncMsg{Type: syncMountSource, Mount: i}, -1); err != nil {
		return err
	}
	// The one message the init receives with an fd (expectSync closes any).
	reply, tree, err := readSync(cfg.sock)
	if err != nil {
		return err
	}
	debugf("sync: received %s", reply.Type)
	defer func() {
		if tree >= 0 {
			unix.Close(tree)
		}
	}()
	switch {
	case reply.Type == syncError:
		return errors.New(reply.Error)
	case reply.Type != syncMountDone:
		return fmt.Errorf("sync: got %q, want %q", reply.Type, syncMountDone)
	case tree < 0:
		return errors.New("mount-source-done without a mount fd")
	}
	var st unix.Stat_t
	if err := unix.Fstat(tree, &st); err != nil {
		return fmt.Errorf("stat idmapped source: %w", err)
	}
	target, err := openTarget(root, m.Destination, st.Mode&unix.S_IFMT == unix.S_IFDIR)
	if err != nil {
		return err
	}
	defer target.Close()
	if err := moveOnto(tree, target); err != nil {
		return fmt.Errorf("move_mount idmapped %s: %w", m.Source, err)
	}
	mnt := os.NewFile(uintptr(tree), m.Destination)
	tree = -1 // closed with mnt
	defer mnt.Close()
	return finishBind(mnt, m.Destination, opts)
}

// finishBind applies, on a bind mount just made at dest, the flags a bind
// takes only on remount (keeping those locked on the source), then its
// propagation and recursive attributes.
//
// mnt is the fd of the new mount itself (the tree moved onto the target),
// never the destination looked up again.
func finishBind(mnt *os.File, dest string, opts *mountOptions) error {
	extra := opts.flags &^ (unix.MS_BIND | unix.MS_REC | unix.MS_REMOUNT)
	if extra != 0 || opts.clear != 0 {
		remount := func(f uintptr) error {
			return unix.Mount("", fdPath(mnt), "", unix.MS_REMOUNT|unix.MS_BIND|f, "")
		}
		err := remount(extra)
		var st unix.Statfs_t
		if errors.Is(err, unix.EPERM) && unix.Fstatfs(int(mnt.Fd()), &st) == nil {
			srcFlags := lockedFlags(uintptr(st.Flags))
			locked := srcFlags &^ opts.clear
			if extra&atimeFlags != 0 {
				locked &^= atimeFlags // the config's own atime choice
			}
			if locked&^extra != 0 {
				extra |= locked
				err = remount(extra)
			}
			if errors.Is(err, unix.EPERM) {
				if c := srcFlags & opts.clear &^ atimeFlags; c != 0 {
					err = fmt.Errorf("cannot clear locked flags %s: %w", msFlagNames(c), err)
				} else if a := srcFlags & atimeFlags; extra&atimeFlags != 0 && a != 0 {
					err = fmt.Errorf("cannot change locked atime flags %s: %w", msFlagNames(a), err)
				}
			}
		}
		if err != nil {
			return fmt.Errorf("remount %s with flags %s: %w", dest, msFlagNames(extra), err)
		}
	}
	return setMountAttrs(mnt, opts)
}

const atimeFlags = unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME | unix.MS_STRICTATIME

// msFlagNames spells MS_ flags as runc's errors do (MS_RDONLY|MS_NOSUID).
func msFlagNames(f uintptr) string {
	var names []string
	for _, n := range []struct {
		f    uintptr
		name string
	}{
		{unix.MS_RDONLY, "MS_RDONLY"}, {unix.MS_NOSUID, "MS_NOSUID"}, {unix.MS_NODEV, "MS_NODEV"},
		{unix.MS_NOEXEC, "MS_NOEXEC"}, {unix.MS_SYNCHRONOUS, "MS_SYNCHRONOUS"}, {unix.MS_MANDLOCK, "MS_MANDLOCK"},
		{unix.MS_DIRSYNC, "MS_DIRSYNC"}, {unix.MS_NOSYMFOLLOW, "MS_NOSYMFOLLOW"}, {unix.MS_NOATIME, "MS_NOATIME"},
		{unix.MS_NODIRATIME, "MS_NODIRATIME"}, {unix.MS_RELATIME, "MS_RELATIME"},
		{unix.MS_STRICTATIME, "MS_STRICTATIME"}, {unix.MS_LAZYTIME, "MS_LAZYTIME"},
	} {
		if f&n.f != 0 {
			names = append(names, n.name)
			f &^= n.f
		}
	}
	if f != 0 || len(names) == 0 {
		names = append(names, fmt.Sprintf("%#x", f))
	}
	return strings.Join(names, "|")
}

// lockedFlags maps statfs flags to the MS_ ones a remount must keep.
func lockedFlags(st uintptr) uintptr {
	var f uintptr
	for stf, msf := range map[uintptr]uintptr{
		unix.ST_NOSUID: unix.MS_NOSUID, unix.ST_NODEV: unix.MS_NODEV, unix.ST_NOEXEC: unix.MS_NOEXEC,
		unix.ST_RDONLY: unix.MS_RDONLY, unix.ST_NOATIME: unix.MS_NOATIME, unix.ST_NODIRATIME: unix.MS_NODIRATIME,
		unix.ST_RELATIME: unix.MS_RELATIME,
	} {
		if st&stf != 0 {
			f |= msf
		}
	}
	return f
}

// applyMountAttrs sets propagation and recursive attributes on the new
// mount, reached again through the rootfs (the old handle is the covered dir).
func applyMountAttrs(root *os.File, dest string, opts *mountOptions) error {
	if len(opts.propagation) == 0 && opts.recAttr == nil {
		return nil
	}
	mnt, err := pathsafe.OpenInRoot(root, dest)
	if err != nil {
		return fmt.Errorf("reopen %s: %w", dest, err)
	}
	defer mnt.Close()
	return setMountAttrs(mnt, opts)
}

// setMountAttrs sets propagation and recursive attributes on the mount mnt
// is the root of.
func setMountAttrs(mnt *os.File, opts *mountOptions) error {
	for _, p := range opts.propagation {
		if err := unix.Mount("", fdPath(mnt), "", p, ""); err != nil {
			return fmt.Errorf("set propagation %#x: %w", p, err)
		}
	}
	if opts.recAttr != nil {
		if err := unix.MountSetattr(int(mnt.Fd()), "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, opts.recAttr); err != nil {
			return fmt.Errorf("set recursive mount attributes: %w", err)
		}
	}
	return nil
}

// makeParentMountPrivate finds the mount holding dir's parent and makes it
// private (only that mount, not its children).
func makeParentMountPrivate(dir string) error {
	mounts, err := selfMounts(nil)
	if err != nil {
		return err
	}
	parent := filepath.Dir(dir)
	best := "/"
	for _, m := range mounts {
		mp := m.Mountpoint
		if (mp == parent || strings.HasPrefix(parent, strings.TrimSuffix(mp, "/")+"/")) && len(mp) > len(best) {
			best = mp
		}
	}
	if err := unix.Mount("", best, "", unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make %s private: %w", best, err)
	}
	return nil
}

// enterRootfs makes the rootfs the process's root: pivot_root, or with
// --no-pivot (a rootfs on ramfs) a move over / and chroot.
func enterRootfs(rootfs string, noPivot bool, prop uintptr) error {
	if err := pivotOrChroot(rootfs, noPivot); err != nil {
		return err
	}
	if prop&(unix.MS_SHARED|unix.MS_UNBINDABLE) != 0 {
		if err := unix.Mount("", "/", "", prop, ""); err != nil {
			return fmt.Errorf("set propagation of the new / (%#x): %w", prop, err)
		}
	}
	return nil
}

func pivotOrChroot(rootfs string, noPivot bool) error {
	if noPivot {
		if err := hideHostProcSys(rootfs); err != nil {
			return err
		}
		if err := unix.Chdir(rootfs); err != nil {
			return fmt.Errorf("chdir to rootfs: %w", err)
		}
		if err := unix.Mount(rootfs, "/", "", unix.MS_MOVE, ""); err != nil {
			return fmt.Errorf("move rootfs to /: %w", err)
		}
		if err := unix.Chroot("."); err != nil {
			return fmt.Errorf("chroot: %w", err)
		}
		return unix.Chdir("/")
	}
	oldroot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open old root: %w", err)
	}
	defer unix.Close(oldroot)
	newroot, err := unix.Open(rootfs, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open rootfs: %w", err)
	}
	defer unix.Close(newroot)
	if err := unix.Fchdir(newroot); err != nil {
		return fmt.Errorf("chdir to rootfs: %w", err)
	}
	// pivot_root(".", ".") stacks the old root on top of the new one; it
	// is then detached without a directory for it in the rootfs.
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Fchdir(oldroot); err != nil {
		return fmt.Errorf("chdir to old root: %w", err)
	}
	if err := unix.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("make old root rslave: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach old root: %w", err)
	}
	return unix.Chdir("/")
}

// hideHostProcSys unmounts (or, where the kernel locked them, covers with
// an empty tmpfs) every procfs and sysfs outside the rootfs before the
// --no-pivot chroot: under the moved rootfs they stay in the mount
// namespace, and a fully visible host procfs there would let a process
// with CAP_SYS_ADMIN in a user namespace mount a fresh, unmasked procfs
// (the kernel's mount_too_revealing check), as runc guards against too.
func hideHostProcSys(rootfs string) error {
	mounts, err := selfMounts(mountinfo.FSTypeFilter("proc", "sysfs"))
	if err != nil {
		return err
	}
	var targets []string
	for _, m := range mounts {
		if mp := m.Mountpoint; mp != rootfs && !strings.HasPrefix(mp, rootfs+"/") {
			targets = append(targets, mp)
		}
	}
	// Deepest first; a parent's detach takes its children along.
	sort.Slice(targets, func(i, j int) bool { return len(targets[i]) > len(targets[j]) })
	for _, mp := range targets {
		err := unix.Unmount(mp, unix.MNT_DETACH)
		if err == nil || errors.Is(err, unix.ENOENT) {
			continue
		}
		if err := unix.Mount("tmpfs", mp, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=0"); err != nil &&
			!errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("--no-pivot: hide host %s: %w", mp, err)
		}
	}
	return nil
}
