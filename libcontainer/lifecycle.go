package libcontainer

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rt-runtime/rt/cgroups"
)

// Load reads a container's state and refreshes its status.
func Load(root, id string, log *slog.Logger) (*Container, error) {
	st, err := LoadState(root, id)
	if err != nil {
		return nil, err
	}
	st.Refresh(root)
	return &Container{Root: root, State: st, Console: -1, log: log}, nil
}

// Lock takes the container's flock and re-reads the state under it.
func (c *Container) Lock() (func(), error) {
	f, err := lockDir(stateDir(c.Root, c.State.ID))
	if err != nil {
		return nil, err
	}
	st, err := LoadState(c.Root, c.State.ID)
	if err != nil {
		f.Close()
		return nil, err
	}
	st.Refresh(c.Root)
	c.State = st
	return func() { f.Close() }, nil
}

// Start lets a created container's init exec the workload, then runs the
// poststart hooks.
func (c *Container) Start() error {
	unlock, err := c.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	if err := c.allowed("start", false); err != nil {
		return err
	}
	dir := stateDir(c.Root, c.State.ID)
	// Open the result fifo first: the init holds its only writer, closed
	// by the workload's execve (EOF) or after it wrote why it failed.
	result, err := os.OpenFile(filepath.Join(dir, resultFifoName), os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	defer result.Close()
	var notify *net.UnixConn
	if c.State.NotifySocket != "" {
		if notify, err = listenNotify(dir); err != nil {
			return err
		}
		defer notify.Close()
	}
	fifoPath := filepath.Join(dir, fifoName)
	f, err := os.OpenFile(fifoPath, os.O_WRONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return fmt.Errorf("start: container init is gone: %w", err)
	}
	_, err = f.Write([]byte{0})
	f.Close()
	if err != nil {
		return fmt.Errorf("start: signal init: %w", err)
	}
	if err := os.Remove(fifoPath); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	msg, err := io.ReadAll(result)
	os.Remove(filepath.Join(dir, resultFifoName))
	if err != nil {
		return fmt.Errorf("start: read exec result: %w", err)
	}
	if len(msg) > 0 {
		return &InitStartError{Msg: string(msg)}
	}
	if notify != nil {
		if err := forwardNotify(notify, c.State.NotifySocket, c.State.initAlive); err != nil {
			return err
		}
	}
	c.State.Status = specs.StateRunning
	s := c.State.State
	// A failing poststart hook fails start and stops the container (runc
	// 1.5 does so in create, runc 1.6 in start, after the workload began);
	// delete then undoes the rest and runs the poststop hooks.
	if err := runHooks(c.State.Spec, hookPoststart, &s, c.log, os.Environ()...); err != nil {
		if kerr := c.kill(); kerr != nil {
			c.log.Warn("stop container after poststart failure", "error", kerr)
		}
		return err
	}
	return nil
}

// Signal sends sig to the init. SIGKILL to a container without a pid
// namespace of its own goes to every process of its cgroup, also after its
// init is gone: killing the init does not end the others there, as it does
// for the init of a pid namespace. runc 1.2+ does the same; its
// `kill --all` changes nothing else (the caller ignores ErrNotRunning).
func (c *Container) Signal(sig unix.Signal) error {
	if sig == unix.SIGKILL && !ownPidNamespace(c.State.Spec) {
		if err := c.killAll(); err != nil {
			return fmt.Errorf("unable to kill all processes: %w", err)
		}
		return nil
	}
	c.State.Refresh(c.Root) // the status now, not when c was loaded
	if err := c.allowed("signal", false); err != nil {
		return err
	}
	if err := unix.Kill(c.State.Pid, sig); err != nil {
		return fmt.Errorf("unable to signal init: %w", err)
	}
	// A frozen v1 process dies only when thawed.
	if sig == unix.SIGKILL && c.State.Status == StatusPaused {
		if cg, err := loadCgroup(c.State.SystemdUnit, c.State.Rootless, c.State.CgroupPaths); err == nil {
			cg.Thaw()
		}
	}
	return nil
}

// ownPidNamespace: a new pid namespace, not the host's nor a joined one.
func ownPidNamespace(s *specs.Spec) bool {
	n, ok := findNamespace(s, specs.PIDNamespace)
	return ok && n.Path == ""
}

// killAll SIGKILLs every process of the cgroup, frozen so that none forks
// a child the listing misses, then thaws them so that they die. A cgroup
// that is gone had nothing left to kill: systemd removes a scope once its
// last process exits, and containerd's shim sends `kill --all 9` after
// the init is gone. That is ErrNotRunning, as in runc (which `kill --all`
// ignores and the shim reads as "process already finished").
func (c *Container) killAll() error {
	cg, err := loadCgroup(c.State.SystemdUnit, c.State.Rootless, c.State.CgroupPaths)
	if err != nil {
		return fmt.Errorf("cgroup: %w", err)
	}
	if _, err := cg.Pids(); errors.Is(err, fs.ErrNotExist) {
		return ErrNotRunning
	}
	if err := cg.Freeze(); err != nil {
		c.log.Warn("kill: freeze before SIGKILL", "err", err)
	}
	defer cg.Thaw()
	pids, err := cg.Pids()
	if err != nil {
		return fmt.Errorf("list processes: %w", err)
	}
	for _, pid := range pids {
		if err := unix.Kill(pid, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("signal %d: %w", pid, err)
		}
	}
	return nil
}

// Delete removes a stopped container; with force it kills a live one first.
func (c *Container) Delete(force bool) error {
	unlock, err := c.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	// A created container's init only waits: runc deletes it unasked.
	if err := c.allowed("delete", force); err != nil {
		return err
	}
	if c.State.Status != specs.StateStopped {
		if err := c.kill(); err != nil {
			return err
		}
	}
	return c.destroy()
}

// kill ends the init and waits until it is gone.
func (c *Container) kill() error {
	if c.State.Status == StatusPaused {
		if cg, err := loadCgroup(c.State.SystemdUnit, c.State.Rootless, c.State.CgroupPaths); err == nil {
			defer cg.Thaw()
		}
	}
	if err := unix.Kill(c.State.Pid, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("kill init %d: %w", c.State.Pid, err)
	}
	if c.State.Status == StatusPaused {
		if cg, err := loadCgroup(c.State.SystemdUnit, c.State.Rootless, c.State.CgroupPaths); err == nil {
			cg.Thaw()
		}
	}
	for i := 0; i < 1000; i++ {
		if !c.State.initAlive() {
			return nil
		}
		// Reap it if it is our child (foreground run).
		var ws unix.WaitStatus
		unix.Wait4(c.State.Pid, &ws, unix.WNOHANG, nil)
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("init %d did not die after SIGKILL", c.State.Pid)
}

// destroy removes what the container made: leftover processes, the cgroup,
// the state dir; then runs the poststop hooks.
func (c *Container) destroy() error {
	cg, err := loadCgroup(c.State.SystemdUnit, c.State.Rootless, c.State.CgroupPaths)
	if err == nil {
		// Without a pid namespace of its own, the container's processes
		// outlive its init: they are the ones left in its cgroup.
		if n, ok := findNamespace(c.State.Spec, specs.PIDNamespace); !ok || n.Path != "" {
			if pids, _ := cg.Pids(); len(pids) > 0 {
				cg.Thaw()
				for _, pid := range pids {
					unix.Kill(pid, unix.SIGKILL)
				}
			}
		}
		destroyCgroup(cg, c.log)
	}
	if err := os.RemoveAll(stateDir(c.Root, c.State.ID)); err != nil {
		return fmt.Errorf("remove state: %w", err)
	}
	s := c.State.State
	s.Status = specs.StateStopped
	runHooksWarn(c.State.Spec, hookPoststop, &s, c.log)
	return nil
}

// SaveState writes the container's state back (e.g. after rt update
// changed its resources). The caller holds the lock.
func (c *Container) SaveState() error { return c.State.save(c.Root) }

// cgroup returns the manager of the container's cgroup.
func (c *Container) cgroup() (cgroups.Manager, error) {
	m, err := loadCgroup(c.State.SystemdUnit, c.State.Rootless, c.State.CgroupPaths)
	if err != nil {
		return nil, fmt.Errorf("cgroup of %q: %w", c.State.ID, err)
	}
	return m, nil
}

// InitStartError is a failure the init met after rt start released it
// (a startContainer hook, the last process attributes): the container's
// process ended instead of exec'ing the workload. rt run exits 255 for it,
// as runc's run does, whose init exits 255.
type InitStartError struct{ Msg string }

func (e *InitStartError) Error() string { return e.Msg }
