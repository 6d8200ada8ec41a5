package libcontainer

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rt-runtime/rt/cgroups"
	"github.com/rt-runtime/rt/libcontainer/lsm"
)

// CreateOpts are the flags of rt create / rt run.
type CreateOpts struct {
	Root          string
	ID            string
	Bundle        string
	PidFile       string
	ConsoleSocket string
	// PidfdSocket receives a pidfd of the init once it is created.
	PidfdSocket  string
	NoPivot      bool
	NoNewKeyring bool
	PreserveFds  int
	// NotifySocket is NOTIFY_SOCKET of rt's caller: see parent_notify.go.
	NotifySocket string
	// ListenFds is LISTEN_FDS of systemd socket activation: fds 3.. go to
	// the container and its LISTEN_FDS/LISTEN_PID are set to match.
	ListenFds int
	// Detach: nobody will proxy a terminal; one needs a console socket.
	Detach bool
	// SystemdCgroup puts the container in a transient systemd unit
	// (--systemd-cgroup) instead of a cgroup rt makes itself.
	SystemdCgroup bool
	// Rootless is runc's rootless cgroup mode (--rootless, auto: on for a
	// non-root user): a cgroup the user may not write is left out when no
	// cgroupsPath is given, and device rules are not enforced.
	Rootless bool
	// Stdio is the init's stdin, stdout and stderr when no terminal is
	// asked for; a nil entry is the caller's own (os.Stdin ...).
	Stdio [3]*os.File
	Log   *slog.Logger
}

// Container is a loaded container: its state and where it lives.
type Container struct {
	Root  string
	State *State
	// Console is the pty master when the caller proxies the terminal
	// itself (foreground rt run), else -1.
	Console int
	log     *slog.Logger
}

// undo collects cleanups run in reverse when a step fails.
type undo []func()

func (u *undo) add(f func()) { *u = append(*u, f) }
func (u undo) run() {
	for i := len(u) - 1; i >= 0; i-- {
		u[i]()
	}
}

// ownCgroup makes the container's cgroup manager for a create or a
// restore, checks the cgroup is free, hands its removal to cleanup and
// records it in <dir>/create.json (what delete -f of a killed create
// removes).
func ownCgroup(o CreateOpts, spec *specs.Spec, dir string, cleanup *undo) (cgroups.Manager, *createRecord, error) {
	cg, err := newCgroup(o, spec)
	if err != nil {
		return nil, nil, fmt.Errorf("cgroup: %w", err)
	}
	// Before the undo list owns the cgroup: a refused one is not ours.
	if err := checkCgroupUsable(cg); err != nil {
		return nil, nil, err
	}
	cleanup.add(func() { destroyCgroup(cg, o.Log) })
	record := &createRecord{CgroupPaths: cg.Paths(), SystemdUnit: cgroups.UnitName(cg), SystemdUser: cgroups.UserUnit(cg)}
	if err := record.write(dir); err != nil {
		return nil, nil, err
	}
	return cg, record, nil
}

// loadBundle reads the config of the bundle at dir (made absolute).
func loadBundle(dir string) (bundle string, spec *specs.Spec, err error) {
	if bundle, err = filepath.Abs(dir); err != nil {
		return "", nil, fmt.Errorf("bundle: %w", err)
	}
	if spec, err = LoadSpec(bundle); err != nil {
		return "", nil, err
	}
	return bundle, spec, nil
}

// bundleRootfs is root.path, relative to the bundle unless absolute.
func bundleRootfs(bundle string, spec *specs.Spec) string {
	if filepath.IsAbs(spec.Root.Path) {
		return spec.Root.Path
	}
	return filepath.Join(bundle, spec.Root.Path)
}

// checkConsole applies runc's rules on a terminal and --console-socket.
func checkConsole(terminal, detach bool, consoleSocket string) error {
	if terminal && detach && consoleSocket == "" {
		return errors.New("cannot allocate tty if rt will detach without setting console socket")
	}
	if !terminal && consoleSocket != "" {
		return errors.New("cannot use console socket if rt will not detach or allocate tty")
	}
	return nil
}

// Create makes the container up to the "created" state: the init waits on
// the exec fifo. On any error nothing is left behind.
func Create(o CreateOpts) (c *Container, err error) {
	if err := ValidateID(o.ID); err != nil {
		return nil, err
	}
	bundle, spec, err := loadBundle(o.Bundle)
	if err != nil {
		return nil, err
	}
	// What a user who is not root can never make is named first.
	if err := validateRootless(spec); err != nil {
		return nil, err
	}
	if err := Validate(spec); err != nil {
		return nil, err
	}
	for _, m := range spec.Mounts {
		if !filepath.IsAbs(m.Destination) && o.Log != nil {
			// runc's words; the mount goes under / (setupRootfs).
			o.Log.Warn(fmt.Sprintf("mount destination %s is not absolute. Support for non-absolute mount destinations will be removed in a future release.", m.Destination))
		}
	}
	if err := warnCapabilities(spec.Process.Capabilities, o.Log); err != nil {
		return nil, err
	}
	if err := checkPreserveFds(o.PreserveFds); err != nil {
		return nil, err
	}
	if o.ListenFds > 0 {
		if o.ListenFds > o.PreserveFds {
			o.PreserveFds = o.ListenFds
		}
		spec.Process.Env = append(spec.Process.Env, "LISTEN_FDS="+strconv.Itoa(o.ListenFds))
		if n, ok := findNamespace(spec, specs.PIDNamespace); ok && n.Path == "" {
			spec.Process.Env = append(spec.Process.Env, "LISTEN_PID=1")
		}
	}
	rootfs := bundleRootfs(bundle, spec)
	if fi, err := os.Stat(rootfs); err != nil {
		return nil, fmt.Errorf("rootfs %s: %w", rootfs, errors.Unwrap(err))
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("rootfs %s: not a directory", rootfs)
	}
	if err := checkConsole(spec.Process.Terminal, o.Detach, o.ConsoleSocket); err != nil {
		return nil, err
	}
	pidfdSock, err := dialPidfdSocket(o.PidfdSocket)
	if err != nil {
		return nil, err
	}
	defer pidfdSock.close()
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
	cleanup.add(func() { os.RemoveAll(dir) })
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer lock.Close()

	if o.NotifySocket != "" {
		if err := setupNotify(dir, spec); err != nil {
			return nil, err
		}
	}
	fifoPath := filepath.Join(dir, fifoName)
	if err := unix.Mkfifo(fifoPath, 0o600); err != nil {
		return nil, fmt.Errorf("exec fifo: %w", err)
	}
	// O_RDWR opens without waiting for a writer; the init blocks reading
	// it until rt start writes a byte.
	fifo, err := os.OpenFile(fifoPath, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("exec fifo: %w", err)
	}
	defer fifo.Close()
	resultPath := filepath.Join(dir, resultFifoName)
	if err := unix.Mkfifo(resultPath, 0o600); err != nil {
		return nil, fmt.Errorf("exec result fifo: %w", err)
	}
	result, err := os.OpenFile(resultPath, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("exec result fifo: %w", err)
	}
	defer result.Close()

	cg, record, err := ownCgroup(o, spec, dir, &cleanup)
	if err != nil {
		return nil, err
	}

	st := &State{
		State: specs.State{
			Version: specs.Version, ID: o.ID, Status: specs.StateCreating,
			Bundle: bundle, Annotations: spec.Annotations,
		},
		Rootfs: rootfs, Created: time.Now().UTC(), Owner: ownerName(),
		NoPivot: o.NoPivot, Spec: spec, NotifySocket: o.NotifySocket,
	}
	st.CgroupPaths = cg.Paths()
	st.SystemdUnit = cgroups.UnitName(cg)
	st.Rootless = o.Rootless
	cfg := &initConfig{
		CgroupPaths: st.CgroupPaths, SELinux: lsm.SELinuxEnabled(),
		ID: o.ID, Spec: spec, Rootfs: rootfs, Bundle: bundle, NoPivot: o.NoPivot,
		HostMounts:  !hasOwnNamespace(spec, specs.MountNamespace),
		PreserveFds: o.PreserveFds, NoNewKeyring: o.NoNewKeyring, Rootless: rootlessEUID(),
	}
	stdio := [3]*os.File{os.Stdin, os.Stdout, os.Stderr}
	for i, f := range o.Stdio {
		if f != nil {
			stdio[i] = f
		}
	}
	birth := createBirthCgroup(o, cg)
	defer birth.close()
	p, err := startChild(startOpts{
		stdio:       stdio,
		preserveFds: o.PreserveFds,
		fifo:        fifo,
		result:      result,
		bootstrap:   buildBootstrap(spec),
		spec:        spec,
		log:         o.Log,
		cgroup:      birth,
		makePlan: func(fds childFds) []byte {
			c := *cfg
			c.CgroupPaths, c.ExecFifoFd, c.ExecResultFd, c.stateRoot = cg.Paths(), fds.fifo, fds.result, o.Root
			return planFor(&c, o.Log)
		},
		beforeBootstrap: func(pid int) error {
			if err := record.addProc(dir, pid); err != nil {
				return err
			}
			if !birth.Born() {
				if err := cg.Apply(pid); err != nil {
					return fmt.Errorf("cgroup: %w", err)
				}
			}
			r := withDefaultDevices(spec)
			// The pids limit comes once the init is ready (see below).
			r.Pids = nil
			if err := cg.Set(r); err != nil {
				return fmt.Errorf("cgroup: %w", err)
			}
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	cleanup.add(p.abort)
	cfg.ExecFifoFd, cfg.ExecResultFd = p.fds.fifo, p.fds.result
	// A rootless Apply may have left out hierarchies the user cannot
	// write: only the cgroups joined are the container's (and a later
	// delete -f of a half-made container removes only those).
	if p := cg.Paths(); !p.Equal(st.CgroupPaths) {
		st.CgroupPaths, cfg.CgroupPaths, record.CgroupPaths = p, p, p
		if err := record.write(dir); err != nil {
			return nil, err
		}
	}
	st.Pid = p.initPid
	st.InitStart, _, err = processStartTime(p.initPid)
	if err != nil {
		return nil, fmt.Errorf("init process: %w", err)
	}
	if p.initPid != p.cmd.Process.Pid {
		record.Procs = append(record.Procs, procRef{Pid: p.initPid, Start: st.InitStart})
		if err := record.write(dir); err != nil {
			return nil, err
		}
	}
	if err := pidfdSock.sendPidfd(p.initPid, st.InitStart, pidfdNameInit); err != nil {
		return nil, err
	}
	// The network namespace exists (made or joined by stage 0); the init
	// has not started its set-up.
	if err := moveNetDevices(spec, p.initPid, st.InitStart); err != nil {
		return nil, err
	}
	c = &Container{Root: o.Root, State: st, Console: -1, log: o.Log}
	if err := c.initHandshake(p, cfg, o); err != nil {
		return nil, err
	}
	// The pids limit last, as runc sets it: stage 0's fork and the init's
	// threads must not count against a limit as small as 1 (which is what
	// a limit of 0 means).
	if r := spec.Linux.Resources; r != nil && r.Pids != nil {
		if err := cg.Set(&specs.LinuxResources{Pids: r.Pids}); err != nil {
			return nil, fmt.Errorf("cgroup: %w", err)
		}
	}
	if err := st.save(o.Root); err != nil {
		return nil, err
	}
	os.Remove(filepath.Join(dir, createRecordName))
	if o.PidFile != "" {
		if err := writePidFile(o.PidFile, p.initPid); err != nil {
			return nil, err
		}
	}
	st.Status = specs.StateCreated
	return c, nil
}

// initHandshake drives the init from "config" to "ready", running the
// prestart and createRuntime hooks when it asks.
func (c *Container) initHandshake(p *parentProcess, cfg *initConfig, o CreateOpts) error {
	console, err := p.handshake(cfg, o.ConsoleSocket, c.State.State, func() error {
		s := c.State.State
		s.Status = specs.StateCreating
		if err := runHooks(cfg.Spec, hookPrestart, &s, c.log, os.Environ()...); err != nil {
			return err
		}
		return runHooks(cfg.Spec, hookCreateRuntime, &s, c.log, os.Environ()...)
	})
	c.Console = console
	return err
}

func ownerName() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return strconv.Itoa(os.Getuid())
}

// writePidFile writes the pid atomically: a temp file beside it, then a
// rename. The temp name is unpredictable and opened O_CREAT|O_EXCL|
// O_NOFOLLOW, so a link planted in the directory (the pid file's dir may
// be writable by others) is never followed or truncated.
func writePidFile(path string, pid int) error {
	path, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("pid file: %w", err)
	}
	var f *os.File
	for i := 0; ; i++ {
		var rnd [8]byte
		if _, err := rand.Read(rnd[:]); err != nil {
			return fmt.Errorf("pid file: %w", err)
		}
		tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+"."+hex.EncodeToString(rnd[:]))
		f, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) || i >= 9 {
			return fmt.Errorf("pid file: %w", err)
		}
	}
	_, err = f.WriteString(strconv.Itoa(pid))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("pid file: %w", err)
	}
	return nil
}

func destroyCgroup(cg cgroups.Manager, log *slog.Logger) {
	// A process still running in the cgroup belongs to another container
	// sharing it (a pod), or is one of ours that was just killed and has
	// not left yet: a short grace tells the two apart. The cgroup then
	// stays for the last one out; removing it under live tasks would only
	// retry EBUSY in every hierarchy (it once took ~120 s).
	for i := 0; ; i++ {
		pids, err := cg.Pids()
		if err != nil || !anyRunning(pids) {
			break
		}
		if i == 100 {
			log.Debug("cgroup still in use by other processes, left in place", "pids", len(pids))
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	var err error
	for i := 0; i < 3; i++ {
		if err = cg.Destroy(); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	log.Warn("remove cgroup", "error", err)
}

// anyRunning says whether one of pids is a live (not zombie) process.
func anyRunning(pids []int) bool {
	for _, pid := range pids {
		if _, zombie, err := processStartTime(pid); err == nil && !zombie {
			return true
		}
	}
	return false
}

// checkCgroupUsable refuses, with runc's words, a cgroup that already holds
// processes (another container's, or a leftover) or is frozen: the init
// would share its limits, or hang in the freezer, and create never return.
func checkCgroupUsable(cg cgroups.Manager) error {
	pids, err := cg.Pids()
	if err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("unable to get cgroup PIDs: %w", err)
	}
	if len(pids) != 0 {
		return fmt.Errorf("container's cgroup is not empty: %d process(es) found", len(pids))
	}
	if frozen(cg) {
		return errors.New("container's cgroup unexpectedly frozen")
	}
	return nil
}
