package libcontainer

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/checkpoint-restore/go-criu/v7/rpc"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"

	"github.com/rt-runtime/rt/cgroups"
	"github.com/rt-runtime/rt/libcontainer/internal/pathsafe"
)

// RestoreOpts are the flags of rt restore.
type RestoreOpts struct {
	Root     string
	ID       string
	Bundle   string
	CriuPath string
	// ImagePath defaults to ./checkpoint, WorkPath to ImagePath.
	ImagePath     string
	WorkPath      string
	PidFile       string
	ConsoleSocket string
	// Detach: nobody will proxy a terminal; one needs a console socket.
	Detach bool
	// NoPivot is kept in the state for later commands, as create does;
	// CRIU rebuilds the mount namespace (and its root) itself.
	NoPivot         bool
	TCPEstablished  bool
	ExtUnixSk       bool
	ShellJob        bool
	FileLocks       bool
	AutoDedup       bool
	LazyPages       bool
	EmptyNs         uint32
	CgroupMode      CgroupMode
	LsmProfile      string
	LsmMountContext string
	SystemdCgroup   bool
	// NoSubreaper: a foreground restore does not make rt a child subreaper
	// (the restored init is rt's child either way; its orphans then go to
	// the host's reaper).
	NoSubreaper bool
	// Stdio is CRIU's stdin, stdout and stderr, which the restored init's
	// pipes are reconnected to (descriptors.json); nil: rt's own.
	Stdio [3]*os.File
	Log   *slog.Logger
}

// Restore makes container o.ID from the images of a checkpoint and the
// bundle's config: its state dir and cgroup as create makes them, then CRIU
// rebuilds the process tree, whose init is rt's child (rst_sibling) with
// the pid the images hold inside its pid namespace. prestart and
// createRuntime hooks run when CRIU has made the namespaces; state.json is
// written with the restored init's pid and start time, after which it is
// a container like any other.
func Restore(o RestoreOpts) (c *Container, err error) {
	if err := ValidateID(o.ID); err != nil {
		return nil, err
	}
	if o.CgroupMode == "" {
		o.CgroupMode = "soft"
	}
	bundle, spec, err := loadBundle(o.Bundle)
	if err != nil {
		return nil, err
	}
	if err := Validate(spec); err != nil {
		return nil, err
	}
	rootfs, err := filepath.EvalSymlinks(bundleRootfs(bundle, spec))
	if err != nil {
		return nil, fmt.Errorf("rootfs: %w", err)
	}
	if err := checkConsole(spec.Process.Terminal, o.Detach, o.ConsoleSocket); err != nil {
		return nil, err
	}
	version, err := checkCriu(o.CriuPath, minCriuVersion)
	if err != nil {
		return nil, err
	}
	if o.LsmProfile != "" && version < 31600 {
		return nil, errors.New("--lsm-profile requires at least CRIU 3.16")
	}
	if o.LsmMountContext != "" && version < 31600 {
		return nil, errors.New("--lsm-mount-context requires at least CRIU 3.16")
	}
	if o.LazyPages {
		if err := checkCriuFeatures(o.CriuPath, &rpc.CriuFeatures{LazyPages: proto.Bool(true)}); err != nil {
			return nil, err
		}
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	if o.ImagePath, err = absPath(o.ImagePath, filepath.Join(cwd, "checkpoint")); err != nil {
		return nil, err
	}
	if o.WorkPath, err = absPath(o.WorkPath, o.ImagePath); err != nil {
		return nil, err
	}
	img, err := os.Open(o.ImagePath)
	if err != nil {
		return nil, fmt.Errorf("image path: %w", err)
	}
	defer img.Close()
	desc, err := readDescriptors(o.ImagePath)
	if err != nil {
		return nil, fmt.Errorf("image path: %w", err)
	}
	work, err := openDir(o.WorkPath)
	if err != nil {
		return nil, fmt.Errorf("work path: %w", err)
	}
	defer work.Close()

	dir, err := makeStateDir(o.Root, o.ID, o.Log)
	if err != nil {
		return nil, err
	}
	var cleanup undo
	defer func() {
		if err != nil {
			cleanup.run()
		}
	}()
	criuRoot := filepath.Join(dir, "criu-root")
	cleanup.add(func() {
		// Never recurse through a rootfs bind still mounted there.
		if err := os.Remove(criuRoot); err != nil && !os.IsNotExist(err) {
			o.Log.Warn("restore: criu root left in place", "path", criuRoot, "err", err)
			return
		}
		os.RemoveAll(dir)
	})
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer lock.Close()

	cg, record, err := ownCgroup(CreateOpts{ID: o.ID, SystemdCgroup: o.SystemdCgroup, Log: o.Log}, spec, dir, &cleanup)
	if err != nil {
		return nil, err
	}
	st := &State{
		State: specs.State{
			Version: specs.Version, ID: o.ID, Status: specs.StateCreating,
			Bundle: bundle, Annotations: spec.Annotations,
		},
		Rootfs: rootfs, Created: time.Now().UTC(), Owner: ownerName(),
		NoPivot: o.NoPivot, Spec: spec,
		CgroupPaths: cg.Paths(), SystemdUnit: cgroups.UnitName(cg),
	}
	if err := prepareRestoreMounts(spec, rootfs, bundle); err != nil {
		return nil, err
	}
	ext, err := st.externalMounts(cg.Paths())
	if err != nil {
		return nil, err
	}
	// CRIU wants the root it restores into to be a mount point.
	if err := os.Mkdir(criuRoot, 0o755); err != nil {
		return nil, fmt.Errorf("criu root: %w", err)
	}
	if err := unix.Mount(rootfs, criuRoot, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return nil, fmt.Errorf("criu root: bind %s: %w", rootfs, err)
	}
	defer func() {
		if err := unix.Unmount(criuRoot, unix.MNT_DETACH); err != nil {
			o.Log.Warn("restore: unmount criu root", "path", criuRoot, "err", err)
			return
		}
		os.Remove(criuRoot)
	}()

	opts := restoreOptions(o, ext, desc)
	criuConfigFile(spec, opts)
	opts.ImagesDirFd = proto.Int32(int32(img.Fd()))
	opts.WorkDirFd = proto.Int32(int32(work.Fd()))
	opts.Root = proto.String(criuRoot)
	var extra []*os.File
	defer func() {
		for _, f := range extra {
			f.Close()
		}
	}()
	if err := externalNamespaces(spec, opts, &extra); err != nil {
		return nil, err
	}
	stdio := [3]*os.File{os.Stdin, os.Stdout, os.Stderr}
	for i, f := range o.Stdio {
		if f != nil {
			stdio[i] = f
		}
	}
	s, err := startCriu(o.CriuPath, stdio, extra)
	if err != nil {
		return nil, fmt.Errorf("restore: start criu: %w", err)
	}
	criuDone := false
	defer func() {
		if !criuDone {
			s.close()
		}
	}()
	// CRIU itself joins the cgroup first: with "ignore" the restored tree
	// stays where CRIU is, else CRIU moves it to the roots given below.
	if err := record.addProc(dir, s.pid()); err != nil {
		return nil, err
	}
	if err := cg.Apply(s.pid()); err != nil {
		return nil, fmt.Errorf("cgroup: %w", err)
	}
	if err := cg.Set(withDefaultDevices(spec)); err != nil {
		return nil, fmt.Errorf("cgroup: %w", err)
	}
	if o.CgroupMode != "ignore" {
		roots, err := cgroupRoots(s.pid())
		if err != nil {
			return nil, err
		}
		opts.CgRoot = roots
	}
	c = &Container{Root: o.Root, State: st, Console: -1, log: o.Log}
	restored := false
	cleanup.add(func() {
		if restored && st.initAlive() {
			unix.Kill(st.Pid, unix.SIGKILL)
			var ws unix.WaitStatus
			unix.Wait4(st.Pid, &ws, 0, nil)
		}
	})
	_, err = s.request(&rpc.CriuReq{Type: rpc.CriuReqType_RESTORE.Enum(), Opts: opts}, func(script string, pid int32, fd int) error {
		switch script {
		case "setup-namespaces":
			hs := st.State
			hs.Pid = int(pid)
			if err := runHooks(spec, hookPrestart, &hs, o.Log, os.Environ()...); err != nil {
				return err
			}
			return runHooks(spec, hookCreateRuntime, &hs, o.Log, os.Environ()...)
		case "orphan-pts-master":
			if fd < 0 {
				return errors.New("criu sent no pty master")
			}
			if o.ConsoleSocket != "" {
				defer unix.Close(fd)
				return sendConsole(o.ConsoleSocket, fd)
			}
			c.Console = fd
		case "post-restore":
			st.Pid = int(pid)
			start, _, err := processStartTime(st.Pid)
			if err != nil {
				return fmt.Errorf("restored init: %w", err)
			}
			st.InitStart = start
			restored = true
			record.Procs = append(record.Procs, procRef{Pid: st.Pid, Start: start})
			return record.write(dir)
		default:
			if fd >= 0 {
				unix.Close(fd)
			}
		}
		return nil
	})
	criuDone = true
	cerr := s.close()
	if err != nil {
		return nil, criuFailure("restore", err, filepath.Join(o.WorkPath, "restore.log"))
	}
	if cerr != nil {
		o.Log.Debug("criu swrk exit", "err", cerr)
	}
	if !restored {
		return nil, errors.New("restore: criu reported no restored process")
	}
	st.Status = specs.StateRunning
	if err := st.save(o.Root); err != nil {
		return nil, err
	}
	os.Remove(filepath.Join(dir, createRecordName))
	if o.PidFile != "" {
		if err := writePidFile(o.PidFile, st.Pid); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// RestoreWait is rt restore: Restore, and without o.Detach what run does
// in the foreground (see run.go): rt stays the restored init's parent,
// forwards signals, proxies a terminal, reaps, deletes the container when
// the init exits and returns its status.
func RestoreWait(o RestoreOpts) (int, error) {
	var sigs chan os.Signal
	if !o.Detach {
		var done func()
		var err error
		if sigs, done, err = foreground(!o.NoSubreaper); err != nil {
			return 0, err
		}
		defer done()
	}
	ct, err := Restore(o)
	if err != nil {
		return 0, err
	}
	if o.Detach {
		return 0, nil
	}
	var waitConsole func()
	if ct.Console >= 0 {
		if waitConsole, err = ProxyConsole(ct.Console); err != nil {
			ct.Delete(true)
			return 0, err
		}
	}
	code := waitForProcess(ct.State.Pid, sigs)
	if waitConsole != nil {
		waitConsole()
	}
	if err := ct.Delete(true); err != nil {
		return code, err
	}
	return code, nil
}

// restoreOptions maps the flags, the external mounts and the stdio of the
// images onto CRIU's restore options (without the dir fds and the root).
func restoreOptions(o RestoreOpts, ext []extMount, desc []string) *rpc.CriuOpts {
	mode := o.CgroupMode
	if mode == "" {
		mode = "soft"
	}
	opts := &rpc.CriuOpts{
		LogLevel:          proto.Int32(4),
		LogFile:           proto.String("restore.log"),
		RstSibling:        proto.Bool(true),
		EvasiveDevices:    proto.Bool(true),
		NotifyScripts:     proto.Bool(true),
		OrphanPtsMaster:   proto.Bool(true),
		ManageCgroups:     proto.Bool(mode != "ignore"),
		ManageCgroupsMode: mode.rpc().Enum(),
		ShellJob:          proto.Bool(o.ShellJob),
		ExtUnixSk:         proto.Bool(o.ExtUnixSk),
		TcpEstablished:    proto.Bool(o.TCPEstablished),
		FileLocks:         proto.Bool(o.FileLocks),
		EmptyNs:           proto.Uint32(o.EmptyNs),
		AutoDedup:         proto.Bool(o.AutoDedup),
		LazyPages:         proto.Bool(o.LazyPages),
		InheritFd:         inheritStdio(desc),
	}
	for _, e := range ext {
		opts.ExtMnt = append(opts.ExtMnt, &rpc.ExtMountMap{Key: proto.String(e.Dest), Val: proto.String(e.Source)})
	}
	if o.LsmProfile != "" {
		opts.LsmProfile = proto.String(o.LsmProfile)
	}
	if o.LsmMountContext != "" {
		opts.LsmMountContext = proto.String(o.LsmMountContext)
	}
	return opts
}

// cgroupRoots reads where CRIU's process is (/proc/<pid>/cgroup): the
// restored cgroups go there, one root per v1 controller and one for v2.
func cgroupRoots(pid int) ([]*rpc.CgroupRoot, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return nil, fmt.Errorf("cgroup of criu: %w", err)
	}
	defer f.Close()
	return parseCgroupRoots(bufio.NewScanner(f))
}

func parseCgroupRoots(sc *bufio.Scanner) ([]*rpc.CgroupRoot, error) {
	var out []*rpc.CgroupRoot
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			out = append(out, &rpc.CgroupRoot{Ctrl: proto.String(""), Path: proto.String(parts[2])})
			continue
		}
		for _, ctrl := range strings.Split(parts[1], ",") {
			out = append(out, &rpc.CgroupRoot{Ctrl: proto.String(ctrl), Path: proto.String(parts[2])})
		}
	}
	return out, sc.Err()
}

// externalNamespaces: a network or pid namespace the config joins by path
// is not the container's to dump. On a dump (extra nil) it is marked
// external by its inode; on a restore the namespace file is handed to
// CRIU (fds 4, 5 ... after the socket) under the same key.
func externalNamespaces(s *specs.Spec, opts *rpc.CriuOpts, extra *[]*os.File) error {
	for _, t := range []specs.LinuxNamespaceType{specs.NetworkNamespace, specs.PIDNamespace} {
		n, ok := findNamespace(s, t)
		if !ok || n.Path == "" {
			continue
		}
		kind, key := "net", "extRootNetNS"
		if t == specs.PIDNamespace {
			kind, key = "pid", "extRootPidNS"
		}
		if extra == nil {
			var st unix.Stat_t
			if err := unix.Stat(n.Path, &st); err != nil {
				return fmt.Errorf("%s namespace %s: %w", t, n.Path, err)
			}
			opts.External = append(opts.External, fmt.Sprintf("%s[%d]:%s", kind, st.Ino, key))
			continue
		}
		f, err := os.Open(n.Path)
		if err != nil {
			return fmt.Errorf("%s namespace %s: %w", t, n.Path, err)
		}
		*extra = append(*extra, f)
		// fd 3 is the socket, the extra files follow it.
		opts.InheritFd = append(opts.InheritFd, &rpc.InheritFd{Key: proto.String(key), Fd: proto.Int32(int32(3 + len(*extra)))})
	}
	return nil
}

// prepareRestoreMounts makes, in the rootfs, the mount points of the bind
// mounts that are not there (a rootfs copied elsewhere), as create would:
// a directory or a file like the source. One under a tmpfs or another
// bind of the config is left to that mount's contents.
func prepareRestoreMounts(s *specs.Spec, rootfs, bundle string) error {
	root, err := os.OpenFile(rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("rootfs: %w", err)
	}
	defer root.Close()
	for _, m := range s.Mounts {
		if !isBindMount(&m) || underOtherMount(s.Mounts, m.Destination) {
			continue
		}
		src := m.Source
		if !filepath.IsAbs(src) {
			src = filepath.Join(bundle, src)
		}
		fi, err := os.Stat(src)
		if err != nil {
			return fmt.Errorf("bind source %s: %w", src, err)
		}
		var f *os.File
		if fi.IsDir() {
			f, err = pathsafe.MkdirAllInRoot(root, m.Destination, 0o755)
		} else {
			f, err = pathsafe.CreateFileInRoot(root, m.Destination, 0o644)
		}
		if err != nil {
			return fmt.Errorf("create criu restore mountpoint for %s mount: %w", m.Destination, err)
		}
		f.Close()
	}
	return nil
}

// underOtherMount: dest lies beneath another mount of the list whose
// contents are not the rootfs (a tmpfs, a bind, /dev ...).
func underOtherMount(mounts []specs.Mount, dest string) bool {
	d := filepath.Join("/", dest)
	for _, m := range mounts {
		p := filepath.Join("/", m.Destination)
		if p != d && (p == "/" || strings.HasPrefix(d, p+"/")) {
			return true
		}
	}
	return false
}
