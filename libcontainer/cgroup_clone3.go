package libcontainer

import (
	"fmt"
	"log/slog"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/rt-runtime/rt/cgroups"
)

// cgroupBirth is the cgroup2 dir stage 0 is started in, on a cgroup v2
// host: clone3(CLONE_INTO_CGROUP) through Go's SysProcAttr.UseCgroupFD
// puts the child there from its first instruction, and the parent's write
// of its pid to cgroup.procs (a migration: the kernel's cgroup threadgroup
// lock) is not needed. When the kernel refuses (no clone3, a threaded
// cgroup, EBUSY, a seccomp filter answering ENOSYS as Docker's does for
// clone3) the child is started as before and joins by the write.
type cgroupBirth struct {
	dir string
	fd  int // O_PATH of dir; -1: the write (why says why)
	why string
	// born: startChild started the child in dir.
	born bool
}

// birthCgroup is the birth cgroup for a process joining paths: their
// cgroup2 dir on a v2-only host (a hybrid host's v1 hierarchies need the
// writes anyway), opened now. The caller closes it.
func birthCgroup(paths cgroups.Paths) *cgroupBirth {
	b := &cgroupBirth{dir: paths.V2, fd: -1}
	switch {
	case cgroups.Mode() != cgroups.Unified:
		b.why = "not a cgroup v2 host"
	case paths.V2 == "" || len(paths.V1) != 0:
		b.why = "no cgroup2 dir of its own"
	default:
		fd, err := unix.Open(paths.V2, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			b.why = fmt.Sprintf("open %s: %v", paths.V2, err)
		} else {
			b.fd = fd
		}
	}
	return b
}

// noBirthCgroup: the child joins by the write, for why.
func noBirthCgroup(why string) *cgroupBirth { return &cgroupBirth{fd: -1, why: why} }

func (b *cgroupBirth) close() {
	if b != nil && b.fd >= 0 {
		unix.Close(b.fd)
		b.fd = -1
	}
}

// Born says whether the child was started in the cgroup (nothing to join).
func (b *cgroupBirth) Born() bool { return b != nil && b.born }

// start starts cmd in b's cgroup when it can, else as it is; it returns
// the command that was started (a new one after a refused clone3: a Cmd
// that failed to start cannot be started again).
func (b *cgroupBirth) start(cmd *exec.Cmd, log *slog.Logger) (*exec.Cmd, error) {
	if b == nil || b.fd < 0 {
		if b != nil && log != nil {
			log.Debug("cgroup: stage 0 joins its cgroup through cgroup.procs", "why", b.why)
		}
		return cmd, cmd.Start()
	}
	retry := &exec.Cmd{Path: cmd.Path, Args: cmd.Args, Env: cmd.Env, Dir: cmd.Dir, Stdin: cmd.Stdin,
		Stdout: cmd.Stdout, Stderr: cmd.Stderr, ExtraFiles: cmd.ExtraFiles, SysProcAttr: cmd.SysProcAttr}
	attr := sysProcAttr(cmd)
	attr.UseCgroupFD, attr.CgroupFD = true, b.fd
	cmd.SysProcAttr = &attr
	err := cmd.Start()
	if err == nil {
		b.born = true
		if log != nil {
			log.Debug("cgroup: stage 0 started in its cgroup (clone3 CLONE_INTO_CGROUP)", "dir", b.dir)
		}
		return cmd, nil
	}
	if log != nil {
		log.Debug("cgroup: stage 0 joins its cgroup through cgroup.procs", "why", "clone3 into "+b.dir+": "+err.Error())
	}
	return retry, retry.Start()
}

// sysProcAttr is cmd's SysProcAttr, or a zero one.
func sysProcAttr(cmd *exec.Cmd) syscall.SysProcAttr {
	if cmd.SysProcAttr == nil {
		return syscall.SysProcAttr{}
	}
	return *cmd.SysProcAttr
}

// execBirthCgroup is the birth cgroup of an rt exec process: the
// container's cgroup, or its sub-cgroup subs (--cgroup), as execCgroup.
func (c *Container) execBirthCgroup(subs []string) *cgroupBirth {
	paths := c.State.CgroupPaths
	if len(subs) > 0 {
		sub, err := paths.Sub(subs)
		if err != nil {
			return noBirthCgroup(err.Error())
		}
		paths = sub
	}
	return birthCgroup(paths)
}

// createBirthCgroup is the birth cgroup of a new container's stage 0 with
// the fs driver on a v2 host: its dir is made (and the controllers
// enabled above it) now, by Apply without a pid, after create.json names
// it. Stage 0 born there is recorded before its bootstrap is sent, before
// it can make anything; if rt dies first, it reads EOF and exits. The
// systemd driver starts its unit with the pid in it, and a rootless Apply
// may leave the cgroup out: those join as before.
func createBirthCgroup(o CreateOpts, cg cgroups.Manager) *cgroupBirth {
	switch {
	case cgroups.Mode() != cgroups.Unified:
		return noBirthCgroup("not a cgroup v2 host")
	case cgroups.UnitName(cg) != "":
		return noBirthCgroup("the systemd unit is started with the pid in it")
	case o.Rootless:
		return noBirthCgroup("rootless: the cgroup may be left out")
	}
	if err := cg.Apply(0); err != nil {
		// Apply with the pid says it again, in its words.
		return noBirthCgroup("make the cgroup: " + err.Error())
	}
	return birthCgroup(cg.Paths())
}
