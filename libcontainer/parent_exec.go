package libcontainer

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rt-runtime/rt/cgroups"
	"github.com/rt-runtime/rt/libcontainer/lsm"
)

// ExecOpts are the flags of rt exec, with the process already built.
type ExecOpts struct {
	// Process is the process to run. What it leaves unset of the
	// container's confinement is the container's (inheritContainerProcess);
	// Exec works on a copy.
	Process       *specs.Process
	ConsoleSocket string
	// PidfdSocket receives a pidfd of the process once it is ready.
	PidfdSocket  string
	PidFile      string
	Detach       bool
	PreserveFds  int
	IgnorePaused bool
	// SubCgroups is --cgroup: existing sub-cgroups of the container's,
	// each "[<controller>[,<controller>]:]<path>" (v1 takes the prefix).
	SubCgroups []string
	// AddCaps is --cap: each name joins the bounding, effective and
	// permitted sets, after the container's sets are inherited.
	AddCaps []string
	Log     *slog.Logger
}

// ExecProcess is a process started in a running container.
type ExecProcess struct {
	Pid     int
	Console int // pty master for a foreground terminal, else -1
}

// Exec starts a process that joins every namespace of the container, its
// cgroup and its security settings, through the same nsenter stage as the
// init. It returns once the process is about to execve.
func (c *Container) Exec(o ExecOpts) (*ExecProcess, error) {
	st := c.State
	st.Refresh(c.Root) // the status now, not when c was loaded
	if err := c.allowed("exec", o.IgnorePaused); err != nil {
		return nil, err
	}
	if err := checkPreserveFds(o.PreserveFds); err != nil {
		return nil, err
	}
	proc := *o.Process
	inheritContainerProcess(&proc, st.Spec.Process)
	addCaps(&proc, o.AddCaps)
	o.Process = &proc
	if err := validateProcess(o.Process, "process"); err != nil {
		return nil, err
	}
	if err := lsm.CheckAppArmor(o.Process.ApparmorProfile); err != nil {
		return nil, err
	}
	if err := lsm.CheckSELinux(o.Process.SelinuxLabel); err != nil {
		return nil, err
	}
	if err := warnCapabilities(o.Process.Capabilities, o.Log); err != nil {
		return nil, err
	}
	if o.Process.Terminal && o.Detach && o.ConsoleSocket == "" {
		return nil, errors.New("cannot allocate tty if rt will detach without setting console socket")
	}
	if !o.Process.Terminal && o.ConsoleSocket != "" {
		return nil, errors.New("cannot use console socket if rt will not detach or allocate tty")
	}
	// Before the process exists: a planned process goes through its plan
	// without waiting for the parent, so the check in handshake would come
	// too late for uid 4294967295, setresuid's "unchanged" (root stays).
	// The process joins the init's user namespace: the init's maps decide.
	if err := checkUserMapped(st.Pid, o.Process.User); err != nil {
		return nil, err
	}
	joinCgroup, err := c.execCgroup(o.SubCgroups)
	if err != nil {
		return nil, err
	}
	birth := c.execBirthCgroup(o.SubCgroups)
	defer birth.close()
	pidfdSock, err := dialPidfdSocket(o.PidfdSocket)
	if err != nil {
		return nil, err
	}
	defer pidfdSock.close()
	bootstrap, err := execBootstrap(st)
	if err != nil {
		return nil, err
	}
	var root *os.File
	if st.NoPivot || !hasOwnNamespace(st.Spec, specs.MountNamespace) {
		// After setns the root is the mount namespace's, under the rootfs
		// that was moved over it: the init's root is the way back in.
		f, err := os.OpenFile("/proc/"+strconv.Itoa(st.Pid)+"/root", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open container root: %w", err)
		}
		defer f.Close()
		root = f
	}
	var plan []byte
	if root != nil {
		o.Log.Debug("plan: the Go init sets this process up", "why", "exec chroots through the init's root (--no-pivot, or no mount namespace)")
	} else {
		plan = planFor(&initConfig{ID: st.ID, Spec: st.Spec, Rootfs: st.Rootfs, Bundle: st.Bundle,
			PreserveFds: o.PreserveFds, ExecFifoFd: -1, ExecResultFd: -1, Exec: true, Process: o.Process, stateRoot: c.Root}, o.Log)
	}
	p, err := startChild(startOpts{
		stdio:       [3]*os.File{os.Stdin, os.Stdout, os.Stderr},
		preserveFds: o.PreserveFds,
		root:        root,
		bootstrap:   bootstrap,
		plan:        plan,
		spec:        st.Spec,
		log:         o.Log,
		cgroup:      birth,
		beforeBootstrap: func(pid int) error {
			if birth.Born() {
				return nil
			}
			if err := joinCgroup(pid); err != nil {
				return fmt.Errorf("join cgroup: %w", err)
			}
			return nil
		},
	})
	if err != nil {
		return nil, setupFailure(err)
	}
	cfg := &initConfig{
		ID: st.ID, Spec: st.Spec, Rootfs: st.Rootfs, Bundle: st.Bundle, NoPivot: st.NoPivot,
		PreserveFds: o.PreserveFds, ExecFifoFd: p.fds.fifo, ExecResultFd: p.fds.result, Exec: true, Process: o.Process, RootFd: p.fds.root,
		SELinux: lsm.SELinuxEnabled(),
	}
	ep := &ExecProcess{Pid: p.initPid, Console: -1}
	if pidfdSock != nil {
		start, _, err := processStartTime(p.initPid)
		if err == nil {
			err = pidfdSock.sendPidfd(p.initPid, start, pidfdNameExec)
		}
		if err != nil {
			p.abort()
			return nil, fmt.Errorf("exec process: %w", err)
		}
	}
	if err := c.execHandshake(p, cfg, o, ep); err != nil {
		p.abort()
		return nil, setupFailure(err)
	}
	if o.PidFile != "" {
		if err := writePidFile(o.PidFile, ep.Pid); err != nil {
			unix.Kill(ep.Pid, unix.SIGKILL)
			return nil, err
		}
	}
	return ep, nil
}

// setupFailure words a failure the process reported while it was set up
// (an *InitError) as runc's exec does: "unable to start container
// process: chdir to cwd ...". The parent's own failures keep their words.
func setupFailure(err error) error {
	var ie *InitError
	if errors.As(err, &ie) {
		return fmt.Errorf("unable to start container process: %w", err)
	}
	return err
}

// execCgroup returns how the exec'd process joins the container's cgroup,
// or with --cgroup existing sub-cgroups of it (cgroups.Paths.Sub). A
// sub-cgroup is only joined (JoinProcs): on v2, enabling
// controllers above it, as a container's own cgroup gets, would turn its
// parent (which holds the container's processes) into an invalid domain
// for it.
func (c *Container) execCgroup(subs []string) (func(pid int) error, error) {
	paths := c.State.CgroupPaths
	if len(subs) == 0 {
		cg, err := loadCgroup(c.State.SystemdUnit, c.State.Rootless, paths)
		if err != nil {
			return nil, err
		}
		if c.State.Rootless {
			// runc's rootless exec: a cgroup the user may not join is
			// not an error (the process stays in the caller's).
			return func(pid int) error {
				if err := cg.Apply(pid); err != nil && !cgroups.Denied(err) {
					return err
				}
				return nil
			}, nil
		}
		return cg.Apply, nil
	}
	sub, err := paths.Sub(subs)
	if err != nil {
		return nil, err
	}
	cg, err := cgroups.Load(sub)
	if err != nil {
		return nil, err
	}
	return func(pid int) error {
		if err := cg.JoinProcs(pid); err != nil {
			return fmt.Errorf("--cgroup: join: %w", err)
		}
		return nil
	}, nil
}

// execBootstrap joins every namespace the init is in, through its
// /proc/<pid>/ns links (the init's start time was checked by Load).
func execBootstrap(st *State) (string, error) {
	var b strings.Builder
	order := []specs.LinuxNamespaceType{specs.UserNamespace, specs.IPCNamespace, specs.UTSNamespace,
		specs.NetworkNamespace, specs.PIDNamespace, specs.CgroupNamespace, specs.TimeNamespace, specs.MountNamespace}
	for _, t := range order {
		if _, ok := findNamespace(st.Spec, t); !ok {
			continue
		}
		fmt.Fprintf(&b, "ns %d /proc/%d/ns/%s\n", nsFlags[t], st.Pid, nsProcName[t])
	}
	b.WriteString("clone 0\n")
	return b.String(), nil
}

func (c *Container) execHandshake(p *parentProcess, cfg *initConfig, o ExecOpts, ep *ExecProcess) error {
	console, err := p.handshake(cfg, o.ConsoleSocket, c.State.State, nil)
	ep.Console = console
	return err
}

// inheritContainerProcess fills what an exec'd process (a --process file)
// leaves unset with the container's own settings, so it cannot drop
// confinement by omission: capabilities (runc: the container's set when the field is
// absent, never "all of them"), the AppArmor profile and SELinux label,
// and rlimits (runc 1.5 leaves the caller's; rt takes the container's, see
// docs/ARCHITECTURE.md). noNewPrivileges is the file's value, as in runc:
// the field is a plain boolean, so absent and false cannot be told apart.
func inheritContainerProcess(p, ct *specs.Process) {
	if ct == nil {
		return
	}
	if p.Capabilities == nil {
		p.Capabilities = cloneCaps(ct.Capabilities)
	}
	if p.ApparmorProfile == "" {
		p.ApparmorProfile = ct.ApparmorProfile
	}
	if p.SelinuxLabel == "" {
		p.SelinuxLabel = ct.SelinuxLabel
	}
	if len(p.Rlimits) == 0 {
		p.Rlimits = append([]specs.POSIXRlimit(nil), ct.Rlimits...)
	}
}

// addCaps adds --cap names to the bounding, effective and permitted sets.
// Not to the inheritable or ambient ones: those would pass the cap on
// through execve (the CVE-2022-29162 class).
func addCaps(p *specs.Process, names []string) {
	if len(names) == 0 {
		return
	}
	pc := cloneCaps(p.Capabilities)
	if pc == nil {
		pc = &specs.LinuxCapabilities{}
	}
	for _, name := range names {
		pc.Bounding = append(pc.Bounding, name)
		pc.Effective = append(pc.Effective, name)
		pc.Permitted = append(pc.Permitted, name)
	}
	p.Capabilities = pc
}

// cloneCaps copies the sets, so appending --cap names never writes into
// the container's spec.
func cloneCaps(c *specs.LinuxCapabilities) *specs.LinuxCapabilities {
	if c == nil {
		return nil
	}
	return &specs.LinuxCapabilities{
		Bounding:    slices.Clone(c.Bounding),
		Effective:   slices.Clone(c.Effective),
		Permitted:   slices.Clone(c.Permitted),
		Inheritable: slices.Clone(c.Inheritable),
		Ambient:     slices.Clone(c.Ambient),
	}
}
