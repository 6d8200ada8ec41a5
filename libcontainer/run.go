package libcontainer

import (
	"os"
	"os/signal"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Foreground processes: rt run and rt exec without --detach keep rt's
// process as the container process's parent until it exits. For as long
// as Run or ExecWait waits, the calling process
//   - is a child subreaper (PR_SET_CHILD_SUBREAPER, set before anything is
//     forked: the init is a grandchild, forked by stage 0 into the pid
//     namespace, and must be reparented to us to be waited for); the
//     setting is put back on return if the caller had not set it;
//   - receives every signal through signal.Notify, from before the process
//     exists, and forwards each to it, except SIGCHLD (reaping), SIGURG
//     (the Go runtime's own), SIGWINCH (the terminal proxy's) and SIGPIPE;
//   - reaps every child that exits (wait4(-1)), its own included: a
//     library caller with children of its own runs these from a process of
//     their own.
// The process's exit status is returned as a shell reports it: its exit
// code, or 128+N for a death by signal N.

// RunOpts are the flags of rt run: create's, and --keep.
type RunOpts struct {
	CreateOpts
	// Keep leaves a foreground container, stopped, in place after its
	// init exits instead of deleting it.
	Keep bool
}

// Run creates and starts a container (rt run). With o.Detach it returns
// status 0 once the workload runs. In the foreground it proxies the
// terminal when the process has one (the pty master stays with rt), waits
// for the init as described above, and deletes the container unless
// o.Keep. A failure before the workload runs removes what was made and
// is returned (an *InitStartError when the init failed to start the
// workload).
func Run(o RunOpts) (int, error) {
	var sigs chan os.Signal
	if !o.Detach {
		// Signals are caught before the container exists, to forward them.
		var done func()
		var err error
		if sigs, done, err = foreground(true); err != nil {
			return 0, err
		}
		defer done()
	}
	ct, err := Create(o.CreateOpts)
	if err != nil {
		return 0, err
	}
	var waitConsole func()
	if ct.Console >= 0 {
		if waitConsole, err = ProxyConsole(ct.Console); err != nil {
			ct.Delete(true)
			return 0, err
		}
	}
	if err := ct.Start(); err != nil {
		ct.Delete(true)
		return 0, err
	}
	if o.Detach {
		return 0, nil
	}
	code := waitForProcess(ct.State.Pid, sigs)
	if waitConsole != nil {
		waitConsole()
	}
	if !o.Keep {
		if err := ct.Delete(true); err != nil {
			return code, err
		}
	}
	return code, nil
}

// ExecWait runs a process in the container (rt exec): Exec, and unless
// o.Detach (status 0 once the process is about to execve), the terminal
// proxy and the wait described above.
func (c *Container) ExecWait(o ExecOpts) (int, error) {
	var sigs chan os.Signal
	if !o.Detach {
		var done func()
		var err error
		if sigs, done, err = foreground(true); err != nil {
			return 0, err
		}
		defer done()
	}
	ep, err := c.Exec(o)
	if err != nil {
		return 0, err
	}
	if o.Detach {
		return 0, nil
	}
	var waitConsole func()
	if ep.Console >= 0 {
		if waitConsole, err = ProxyConsole(ep.Console); err != nil {
			unix.Kill(ep.Pid, unix.SIGKILL)
			return 0, err
		}
	}
	code := waitForProcess(ep.Pid, sigs)
	if waitConsole != nil {
		waitConsole()
	}
	return code, nil
}

// becomeSubreaper makes the calling process a child subreaper; restore
// clears the setting again unless the caller had it set before.
// foreground prepares rt to wait for a process it is about to start in
// the foreground (run, exec, restore): rt becomes a subreaper (unless
// subreaper is false) and catches every signal, to forward them. done
// puts both back, for a library caller.
func foreground(subreaper bool) (sigs chan os.Signal, done func(), err error) {
	restore := func() {}
	if subreaper {
		if restore, err = becomeSubreaper(); err != nil {
			return nil, nil, err
		}
	}
	sigs = make(chan os.Signal, 64)
	signal.Notify(sigs)
	return sigs, func() {
		signal.Stop(sigs)
		restore()
	}, nil
}

func becomeSubreaper() (restore func(), err error) {
	var was int32
	if err := unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&was)), 0, 0, 0); err != nil {
		return nil, &os.SyscallError{Syscall: "prctl(PR_GET_CHILD_SUBREAPER)", Err: err}
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, &os.SyscallError{Syscall: "prctl(PR_SET_CHILD_SUBREAPER)", Err: err}
	}
	return func() {
		if was == 0 {
			unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
		}
	}, nil
}

// waitForProcess forwards signals to pid and reaps children until pid
// exits; it returns the exit code (128+N for death by signal N).
func waitForProcess(pid int, sigs chan os.Signal) int {
	if code, done := reap(pid); done {
		return code
	}
	for {
		sig := (<-sigs).(unix.Signal)
		switch sig {
		case unix.SIGCHLD:
			if code, done := reap(pid); done {
				return code
			}
		case unix.SIGURG, unix.SIGWINCH, unix.SIGPIPE:
			// SIGURG is the Go runtime's own; SIGWINCH is the pty proxy's.
		default:
			unix.Kill(pid, sig)
		}
	}
}

// reap collects every exited child without blocking; done reports pid's
// exit and its status.
func reap(pid int) (code int, done bool) {
	for {
		var ws unix.WaitStatus
		p, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || p <= 0 {
			if err == unix.ECHILD {
				// Not ours to wait for (another reaper adopted it): poll.
				if unix.Kill(pid, 0) != nil {
					return 255, true
				}
			}
			return 0, false
		}
		if p == pid {
			switch {
			case ws.Exited():
				return ws.ExitStatus(), true
			case ws.Signaled():
				return 128 + int(ws.Signal()), true
			}
		}
	}
}
