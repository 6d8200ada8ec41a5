package libcontainer

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The parent's side of idmapped mounts. MOUNT_ATTR_IDMAP needs
// CAP_SYS_ADMIN in the user namespace that owns the source's filesystem
// (the host's), which the init lacks once it is in the container's user
// namespace; so the parent makes the mount, as runc does. When the init
// reaches such a mount it asks for it ("mount-source"); the parent, in a
// thread that joined the init's mount namespace (so the source resolves as
// the init's own binds do, after the mounts made before it), clones the
// source with open_tree(OPEN_TREE_CLONE), sets the mapping on the detached
// copy with mount_setattr and sends its fd back; the init moves it onto the
// destination it resolved inside the rootfs. No fd or process of this
// outlives create: the user namespace helpers are reaped at once, their
// fds are closed when the handshake ends, the tree fd once sent.

// idmapMountsSupported says whether the kernel has MOUNT_ATTR_IDMAP
// (Linux 5.12). Tests replace it.
var idmapMountsSupported = sync.OnceValue(probeIDMapMounts)

// probeIDMapMounts asks mount_setattr to map with a user namespace fd that
// cannot be open: a kernel that knows MOUNT_ATTR_IDMAP looks the fd up and
// answers EBADF; one that does not refuses the attribute (EINVAL) or the
// call (ENOSYS). Nothing is changed either way, and it needs no privilege.
func probeIDMapMounts() bool {
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: math.MaxInt32}
	err := unix.MountSetattr(-1, "", unix.AT_EMPTY_PATH, &attr)
	return errors.Is(err, unix.EBADF)
}

// IDMapMountsSupported is idmapMountsSupported for rt features.
func IDMapMountsSupported() bool { return idmapMountsSupported() }

// mountSources answers the init's mount-source requests during a create.
type mountSources struct {
	spec    *specs.Spec
	bundle  string
	initPid int
	userns  map[string]*os.File // by mountIDMap.key(): one namespace per mapping
}

func (ms *mountSources) close() {
	for _, f := range ms.userns {
		f.Close()
	}
	ms.userns = nil
}

// open returns the fd of a detached, idmapped copy of mounts[i]'s source.
func (ms *mountSources) open(i int) (int, error) {
	if i < 0 || i >= len(ms.spec.Mounts) {
		return -1, fmt.Errorf("mount-source: no mount %d", i)
	}
	m := &ms.spec.Mounts[i]
	dest := filepath.Join("/", m.Destination) // as setupRootfs names it
	im := mountIDMapping(ms.spec, m)
	if !isBindMount(m) || (im == nil && !hasOwnNamespace(ms.spec, specs.UserNamespace)) {
		return -1, fmt.Errorf("mount-source: mounts[%d] is not an idmapped bind mount", i)
	}
	opts, err := parseMountOptions(m.Options)
	if err != nil {
		return -1, fmt.Errorf("mounts[%d].options: %w", i, err)
	}
	src := m.Source
	if !filepath.IsAbs(src) {
		src = filepath.Join(ms.bundle, src)
	}
	rbind := opts.flags&unix.MS_REC != 0
	if im == nil {
		// A source the init's mapped root cannot reach: a plain clone.
		fd, err := inMountNamespace(ms.initPid, func() (int, error) { return cloneTree(src, rbind) })
		if err != nil {
			return -1, fmt.Errorf("mount %s: %w", dest, err)
		}
		return fd, nil
	}
	userns, err := ms.usernsFor(im)
	if err != nil {
		return -1, fmt.Errorf("mount %s: %w", dest, err)
	}
	fd, err := inMountNamespace(ms.initPid, func() (int, error) {
		return idmappedTree(src, rbind, userns, im.Recursive)
	})
	if err != nil {
		return -1, fmt.Errorf("mount %s: %w", dest, err)
	}
	return fd, nil
}

func (ms *mountSources) usernsFor(im *mountIDMap) (*os.File, error) {
	k := im.key()
	if f := ms.userns[k]; f != nil {
		return f, nil
	}
	var f *os.File
	var err error
	if im.UserNSPath != "" {
		f, err = openUserNamespace(im.UserNSPath)
	} else {
		f, err = newUserNamespace(im.UIDMappings, im.GIDMappings)
	}
	if err != nil {
		return nil, err
	}
	if ms.userns == nil {
		ms.userns = map[string]*os.File{}
	}
	ms.userns[k] = f
	return f, nil
}

// cloneTree clones src (with its submounts for rbind) into a detached mount.
func cloneTree(src string, rbind bool) (int, error) {
	flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
	if rbind {
		flags |= unix.AT_RECURSIVE
	}
	fd, err := unix.OpenTree(unix.AT_FDCWD, src, flags)
	if err != nil {
		return -1, &os.PathError{Op: "open_tree(OPEN_TREE_CLONE)", Path: src, Err: err}
	}
	return fd, nil
}

// idmappedTree clones src (with its submounts for rbind) into a detached
// mount and maps it (every mount of the copy with ridmap, as runc does).
func idmappedTree(src string, rbind bool, userns *os.File, recursive bool) (int, error) {
	flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
	if rbind {
		flags |= unix.AT_RECURSIVE
	}
	fd, err := unix.OpenTree(unix.AT_FDCWD, src, flags)
	if err != nil {
		return -1, &os.PathError{Op: "open_tree(OPEN_TREE_CLONE)", Path: src, Err: err}
	}
	at := uint(unix.AT_EMPTY_PATH)
	if recursive {
		at |= unix.AT_RECURSIVE
	}
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(userns.Fd())}
	if err := unix.MountSetattr(fd, "", at, &attr); err != nil {
		unix.Close(fd)
		if errors.Is(err, unix.EINVAL) {
			return -1, fmt.Errorf("mount_setattr(MOUNT_ATTR_IDMAP) %s: %w (does its filesystem support idmapped mounts?)", src, err)
		}
		return -1, fmt.Errorf("mount_setattr(MOUNT_ATTR_IDMAP) %s: %w", src, err)
	}
	return fd, nil
}

// inMountNamespace runs fn on a thread of its own that joined the mount
// namespace of pid. The thread is never unlocked: it ends with the
// goroutine, so no other goroutine ever runs in that namespace.
func inMountNamespace(pid int, fn func() (int, error)) (int, error) {
	ns, err := os.Open("/proc/" + strconv.Itoa(pid) + "/ns/mnt")
	if err != nil {
		return -1, fmt.Errorf("open mount namespace of the init: %w", err)
	}
	defer ns.Close()
	type result struct {
		fd  int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			ch <- result{-1, fmt.Errorf("unshare(CLONE_FS): %w", err)}
			return
		}
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNS); err != nil {
			ch <- result{-1, fmt.Errorf("join the init's mount namespace: %w", err)}
			return
		}
		fd, err := fn()
		ch <- result{fd, err}
	}()
	r := <-ch
	return r.fd, r.err
}

// openUserNamespace opens the user namespace a container joins, for a
// mount mapped like it.
func openUserNamespace(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open user namespace for the id mapping: %w", err)
	}
	t, err := unix.IoctlRetInt(int(f.Fd()), unix.NS_GET_NSTYPE)
	if err != nil || t != unix.CLONE_NEWUSER {
		f.Close()
		return nil, fmt.Errorf("id mapping: %s is not a user namespace", path)
	}
	return f, nil
}

// newUserNamespace makes a user namespace with the given maps and returns
// an fd to it. The namespace needs a process while its maps are written:
// a child cloned into it, which stops (traced) at its execve before
// running a single instruction of the binary; rt writes its maps, opens
// /proc/<pid>/ns/user, kills and reaps it. The fd keeps the namespace.
func newUserNamespace(uid, gid []specs.LinuxIDMapping) (*os.File, error) {
	// The tracer is this thread; keep it until the child is reaped.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cmd := &exec.Cmd{
		Path: "/proc/self/exe",
		Args: []string{"rt-userns"},
		Env:  []string{},
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: unix.CLONE_NEWUSER,
			Ptrace:     true,
			Pdeathsig:  unix.SIGKILL,
		},
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start user namespace helper: %w", err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	dir := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/"
	if err := os.WriteFile(dir+"uid_map", []byte(idMapLines(uid)), 0); err != nil {
		return nil, fmt.Errorf("write uid_map of the id mapping: %w", err)
	}
	if err := os.WriteFile(dir+"gid_map", []byte(idMapLines(gid)), 0); err != nil {
		return nil, fmt.Errorf("write gid_map of the id mapping: %w", err)
	}
	f, err := os.Open(dir + "ns/user")
	if err != nil {
		return nil, fmt.Errorf("open user namespace of the id mapping: %w", err)
	}
	return f, nil
}
