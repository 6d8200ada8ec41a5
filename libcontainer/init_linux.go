package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rt-runtime/rt/libcontainer/internal/pathsafe"
	"github.com/rt-runtime/rt/libcontainer/lsm"
)

// Init is `rt init`: the process that the nsenter stage left inside the
// container's namespaces. It never returns on success: it execs the
// workload. The caller has locked the main goroutine to its thread, since
// credentials, capabilities and seccomp are per thread until execve.
func Init() {
	runtime.LockOSThread()
	sock, err := strconv.Atoi(os.Getenv("_RT_INITPIPE"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "rt init: not started by rt")
		os.Exit(255)
	}
	os.Unsetenv("_RT_INITPIPE")
	// Ours, not for the createContainer hooks the init runs.
	unix.CloseOnExec(sock)
	openInitLog()
	err = runInit(sock)
	// Only failures come back here. The log ends first: the parent reads
	// it to the end, then reports the error.
	closeInitLog()
	if werr := writeSync(sock, syncErrorMsg(err), -1); werr != nil {
		fmt.Fprintln(os.Stderr, "rt init:", err)
	}
	os.Exit(1)
}

func runInit(sock int) error {
	m, err := initExpect(sock, syncConfig)
	if err != nil {
		return err
	}
	cfg := m.Config
	if cfg == nil || cfg.Spec == nil || cfg.Spec.Process == nil {
		return errors.New("init: config message without a spec")
	}
	cfg.sock = sock
	if cfg.Exec {
		return execInit(sock, cfg)
	}
	return standardInit(sock, cfg)
}

// newSession makes the process the leader of a session of its own, with
// or without a terminal, as runc's init and exec'd processes are (its
// nsexec calls setsid): a container's processes are not in the caller's
// session, and CRIU can dump the container (it refuses a session whose
// leader is outside the pid namespace).
func newSession() error {
	if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("setsid: %w", err)
	}
	return nil
}

// execInit is the process of rt exec, already in the container's
// namespaces and cgroup.
func execInit(sock int, cfg *initConfig) error {
	proc := cfg.Process
	if proc == nil {
		return errors.New("init: exec without a process")
	}
	if cfg.RootFd > 0 {
		if err := unix.Fchdir(cfg.RootFd); err != nil {
			return fmt.Errorf("enter container root: %w", err)
		}
		if err := unix.Chroot("."); err != nil {
			return fmt.Errorf("chroot into container root: %w", err)
		}
		unix.Close(cfg.RootFd)
	}
	if err := newSession(); err != nil {
		return err
	}
	if proc.Terminal {
		if err := setupConsole(sock, proc.ConsoleSize, false); err != nil {
			return err
		}
	}
	return finishAndExec(sock, cfg, proc, -1)
}

// standardInit sets up a new container, in the order the design gives.
func standardInit(sock int, cfg *initConfig) error {
	spec := cfg.Spec
	proc := spec.Process
	if cfg.HostMounts {
		if err := makeCwd(cfg); err != nil {
			return err
		}
	} else if err := setupRootfs(cfg); err != nil {
		return err
	}
	// Mounts done, still before pivot_root: the parent runs prestart and
	// createRuntime hooks, then we run createContainer ones here.
	if err := initSend(sock, syncMsg{Type: syncHooks}, -1); err != nil {
		return err
	}
	if _, err := initExpect(sock, syncHooksDone); err != nil {
		return err
	}
	st := &specs.State{Version: specs.Version, ID: cfg.ID, Status: specs.StateCreating,
		Pid: os.Getpid(), Bundle: cfg.Bundle, Annotations: spec.Annotations}
	if err := runHooks(spec, hookCreateContainer, st, nil); err != nil {
		return err
	}
	// Writes into /proc while it is still the host's real procfs, which no
	// file of the rootfs can stand in for.
	if err := writeSysctls(spec.Linux.Sysctl); err != nil {
		return err
	}
	if err := applyOOMScoreAdj(proc); err != nil {
		return err
	}
	if cfg.HostMounts {
		if err := chrootRootfs(cfg.Rootfs); err != nil {
			return err
		}
	} else {
		if err := enterRootfs(cfg.Rootfs, cfg.NoPivot, rootPropagation(spec)); err != nil {
			return err
		}
		if err := finishRootfs(spec); err != nil {
			return err
		}
		// Only with a mount namespace of its own: without one the
		// rootfs has no /dev of the container's.
		if err := reopenDevNull(); err != nil {
			return err
		}
	}
	if err := newSession(); err != nil {
		return err
	}
	if proc.Terminal {
		if err := setupConsole(sock, proc.ConsoleSize, true); err != nil {
			return err
		}
	}
	if n, ok := findNamespace(spec, specs.NetworkNamespace); ok && n.Path == "" {
		if err := loopbackUp(); err != nil {
			return err
		}
	}
	if err := setHostnames(spec); err != nil {
		return err
	}
	if !cfg.NoNewKeyring {
		if err := newSessionKeyring(cfg.ID); err != nil {
			return err
		}
	}
	return finishAndExec(sock, cfg, proc, cfg.ExecFifoFd)
}

// finishAndExec applies the process settings (shared with rt exec), tells
// the parent it is ready, waits for start when fifoFd >= 0, and execs.
func finishAndExec(sock int, cfg *initConfig, proc *specs.Process, fifoFd int) error {
	if err := initialAffinity(proc, cfg.Exec); err != nil {
		return err
	}
	// Address-space limits go last: the Go runtime and libseccomp in this
	// process need room that the workload's limit may not leave them.
	early, late := splitRlimits(proc.Rlimits)
	if err := setRlimits(early); err != nil {
		return err
	}
	if err := chdirInRoot(proc.Cwd); err != nil {
		// runc's words.
		return fmt.Errorf("chdir to cwd (%q) set in config.json failed: %w", proc.Cwd, err)
	}
	env := prepareEnv(proc.Env, proc.User.UID)
	path, err := lookPath(proc.Args[0], env)
	if err != nil {
		return err
	}
	// Kept across execve; set while rt is still privileged (a real-time
	// policy or a higher I/O class needs CAP_SYS_NICE / CAP_SYS_ADMIN).
	if err := applyScheduler(proc.Scheduler, cpusetCpus(cfg.Spec)); err != nil {
		return err
	}
	if err := applyIOPriority(proc.IOPriority); err != nil {
		return err
	}
	if err := applyMemoryPolicy(cfg.Spec.Linux.MemoryPolicy); err != nil {
		return err
	}
	// LSM exec labels are per thread and take effect at execve; they are
	// written while still root (the attr files are ours until setuid) and
	// before no_new_privileges, which limits AppArmor transitions.
	if err := lsm.ApplyAppArmor(proc.ApparmorProfile); err != nil {
		return err
	}
	if err := lsm.ApplySELinuxExecLabel(proc.SelinuxLabel, cfg.SELinux); err != nil {
		return err
	}
	// Before any seccomp filter (as runc): a profile that refuses
	// personality(2) to the workload must not refuse it to rt.
	if err := applyPersonality(cfg.Spec.Linux.Personality); err != nil {
		return err
	}
	sc := &seccompFilter{profile: cfg.Spec.Linux.Seccomp, sock: sock}
	if err := applyUserAndSecurity(cfg.Spec, proc, sc); err != nil {
		return err
	}
	// Seccomp with no_new_privileges goes last, so the profile need not
	// allow what rt itself did before; for a container that waits for
	// start, after the startContainer hooks (as in runc), unless the
	// listener must get its notify fd now, at create.
	if fifoFd < 0 || sc.notifies() {
		if err := sc.load(); err != nil {
			return err
		}
	}
	// Nothing of rt's but stdio, the preserved fds (3..3+N-1) and the
	// fifo passes the exec.
	if err := closeOnExecFrom(3 + cfg.PreserveFds); err != nil {
		return err
	}
	debugf("sync: send %s", syncReady)
	closeInitLog()
	if err := writeSync(sock, syncMsg{Type: syncReady}, -1); err != nil {
		return err
	}
	unix.Close(sock)
	if fifoFd >= 0 {
		if cfg.Rootless {
			// Only the fifos and the caller's fds are open; the binary
			// is a sealed or read-only copy (see protectedExe).
			if err := unix.Prctl(unix.PR_SET_DUMPABLE, 1, 0, 0, 0); err != nil {
				return fmt.Errorf("prctl(PR_SET_DUMPABLE): %w", err)
			}
		}
		b := make([]byte, 1)
		for {
			_, err := unix.Read(fifoFd, b)
			if err != unix.EINTR {
				if err != nil {
					return fmt.Errorf("wait for start: %w", err)
				}
				break
			}
		}
		unix.Close(fifoFd)
		if cfg.Rootless {
			if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
				startFailed(cfg.ExecResultFd, fmt.Errorf("prctl(PR_SET_DUMPABLE): %w", err), 1)
			}
		}
		st := &specs.State{Version: specs.Version, ID: cfg.ID, Status: specs.StateCreated,
			Pid: os.Getpid(), Bundle: cfg.Bundle, Annotations: cfg.Spec.Annotations}
		if err := runHooks(cfg.Spec, hookStartContainer, st, nil, proc.Env...); err != nil {
			startFailed(cfg.ExecResultFd, err, 1)
		}
		if err := sc.load(); err != nil {
			startFailed(cfg.ExecResultFd, err, 1)
		}
	}
	if err := lastAttrs(proc, cfg.Exec, late); err != nil {
		if fifoFd >= 0 {
			startFailed(cfg.ExecResultFd, err, 1)
		}
		return err
	}
	err = unix.Exec(path, proc.Args, env)
	// As runc: a failed execve (a script's missing interpreter, a bad
	// binary) is the workload's failure, not rt start's or rt exec's: the
	// reason goes to the process's stderr and it exits 255.
	fmt.Fprintf(os.Stderr, "exec %s: %v\n", path, err)
	os.Exit(255)
	return nil
}

// startFailed reports a failure after rt start to it through the exec
// result fifo (rt start reads it until the execve closes it) and exits.
func startFailed(resultFd int, err error, code int) {
	if resultFd < 0 || writeAll(resultFd, []byte(err.Error())) != nil {
		fmt.Fprintln(os.Stderr, "rt:", err)
	}
	os.Exit(code)
}

// sendSeccompFd hands the notify fd to the parent, which passes it on to
// linux.seccomp.listenerPath (a host path this process cannot reach).
func sendSeccompFd(sock, fd int) error {
	defer unix.Close(fd)
	if err := initSend(sock, syncMsg{Type: syncSeccomp}, fd); err != nil {
		return err
	}
	_, err := initExpect(sock, syncSeccompDone)
	return err
}

// chdirInRoot enters cwd resolved inside the container's root (this
// process's /, after pivot_root, chroot or rt exec's setns), with no magic
// link followed: /proc/self/fd/N naming a directory rt's caller leaked is
// refused (CVE-2024-21626). The result is checked too: a cwd the root
// cannot reach reads "(unreachable)..." from getcwd.
func chdirInRoot(cwd string) error {
	root, err := os.OpenFile("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer root.Close()
	d, err := pathsafe.OpenInRootFlags(root, cwd, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return errors.Unwrap(err)
	}
	defer d.Close()
	if err := unix.Fchdir(int(d.Fd())); err != nil {
		return err
	}
	wd, err := unix.Getwd()
	if err != nil || !strings.HasPrefix(wd, "/") {
		return fmt.Errorf("working directory %q is outside the container's root: possible breakout", wd)
	}
	return nil
}
