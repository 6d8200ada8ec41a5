package libcontainer

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rt-runtime/rt/cgroups"
	"github.com/rt-runtime/rt/libcontainer/lsm"
)

// ExecOpts are the flags of rt exec, with the process already built.
type ExecOpts struct {
	Process       *specs.Process
	ConsoleSocket string
	// PidfdSocket receives a pidfd of the process once it is ready.
	PidfdSocket  string
	PidFile      string
	Detach       bool
	PreserveFds  int
	IgnorePaused bool
	// SubCgroup is --cgroup: a sub-cgroup of the container's (v2 only).
	SubCgroup string
	Log       *slog.Logger
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
	switch st.Status {
	case specs.StateStopped:
		return nil, fmt.Errorf("cannot exec in a stopped container %q", st.ID)
	case StatusPaused:
		if !o.IgnorePaused {
			return nil, errors.New("cannot exec in a paused container (use --ignore-paused to override)")
		}
	}
	if err := checkPreserveFds(o.PreserveFds); err != nil {
		return nil, err
	}
	if err := validateProcess(o.Process, "process"); err != nil {
		return nil, err
	}
	if err := lsm.CheckAppArmor(o.Process.ApparmorProfile); err != nil {
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
	joinCgroup, err := c.execCgroup(o.SubCgroup)
	if err != nil {
		return nil, err
	}
	pidfdSock, err := dialPidfdSocket(o.PidfdSocket)
	if err != nil {
		return nil, err
	}
	defer pidfdSock.close()
	bootstrap, err := execBootstrap(st)
	if err != nil {
		return nil, err
	}
	var extra []*os.File
	rootFd := -1
	if st.NoPivot || !hasOwnNamespace(st.Spec, specs.MountNamespace) {
		// After setns the root is the mount namespace's, under the rootfs
		// that was moved over it: the init's root is the way back in.
		f, err := os.OpenFile("/proc/"+strconv.Itoa(st.Pid)+"/root", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open container root: %w", err)
		}
		defer f.Close()
		rootFd = 3 + o.PreserveFds
		extra = append(extra, f)
	}
	p, err := startChild(startOpts{
		stdio:       [3]*os.File{os.Stdin, os.Stdout, os.Stderr},
		preserveFds: o.PreserveFds,
		extra:       extra,
		bootstrap:   bootstrap,
		spec:        st.Spec,
		log:         o.Log,
		beforeBootstrap: func(pid int) error {
			if err := joinCgroup(pid); err != nil {
				return fmt.Errorf("join cgroup: %w", err)
			}
			return nil
		},
	})
	if err != nil {
		if p != nil {
			p.abort()
		}
		return nil, err
	}
	cfg := &initConfig{
		ID: st.ID, Spec: st.Spec, Rootfs: st.Rootfs, Bundle: st.Bundle, NoPivot: st.NoPivot,
		PreserveFds: o.PreserveFds, ExecFifoFd: -1, ExecResultFd: -1, Exec: true, Process: o.Process, RootFd: rootFd,
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
		return nil, err
	}
	if o.PidFile != "" {
		if err := writePidFile(o.PidFile, ep.Pid); err != nil {
			unix.Kill(ep.Pid, unix.SIGKILL)
			return nil, err
		}
	}
	return ep, nil
}

// execCgroup returns how the exec'd process joins the container's cgroup,
// or with --cgroup a sub-cgroup of it (v2). The sub-cgroup is joined by
// writing its cgroup.procs only: enabling controllers above it, as a
// container's own cgroup gets, would turn its parent (which holds the
// container's processes) into an invalid domain for it.
func (c *Container) execCgroup(sub string) (func(pid int) error, error) {
	paths := c.State.CgroupPaths
	if sub == "" {
		cg, err := cgroups.Load(paths)
		if err != nil {
			return nil, err
		}
		return cg.Apply, nil
	}
	v2, ok := paths[""]
	if !ok || len(paths) != 1 {
		return nil, errors.New("--cgroup: a sub-cgroup is only supported on cgroup v2")
	}
	clean := filepath.Clean("/" + sub)
	if clean == "/" {
		return nil, fmt.Errorf("--cgroup: %q is not a sub-cgroup", sub)
	}
	p := filepath.Join(v2, clean)
	if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("--cgroup: sub-cgroup %q does not exist", sub)
	}
	return func(pid int) error {
		if err := os.WriteFile(filepath.Join(p, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
			return fmt.Errorf("--cgroup %s: %w", sub, err)
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
