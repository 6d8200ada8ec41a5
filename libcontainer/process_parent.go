package libcontainer

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// parentProcess is the parent's view of a process being set up: the init
// of a new container, or a process joining a running one.
type parentProcess struct {
	cmd     *exec.Cmd
	sock    int // parent end of the sync socketpair
	initPid int
	console int // pty master received from the init, or -1
	log     *slog.Logger
}

// protectedExe returns a path to rt's own binary that the container can
// never write through (CVE-2019-5736): a detached, read-only bind mount of
// /proc/self/exe, reached as /proc/self/fd/N. It costs two syscalls and no
// copy. Where open_tree is missing, a sealed memfd copy is the fallback.
func protectedExe() (string, int, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, "/proc/self/exe", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err == nil {
		attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NODEV}
		if err = unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, &attr); err != nil {
			unix.Close(fd)
		}
	}
	if err != nil {
		if fd, err = memfdExe(); err != nil {
			return "", -1, err
		}
	}
	// Keep it clear of the fds the child gets dup2'd onto 0..3+N.
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 200)
	unix.Close(fd)
	if err != nil {
		return "", -1, fmt.Errorf("dup rt binary fd: %w", err)
	}
	return "/proc/self/fd/" + strconv.Itoa(nfd), nfd, nil
}

func memfdExe() (int, error) {
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		return -1, fmt.Errorf("open rt binary: %w", err)
	}
	defer src.Close()
	fd, err := unix.MemfdCreate("rt", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return -1, fmt.Errorf("memfd for rt binary: %w", err)
	}
	dst := os.NewFile(uintptr(fd), "memfd:rt")
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return -1, fmt.Errorf("copy rt binary: %w", err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		dst.Close()
		return -1, fmt.Errorf("seal rt binary: %w", err)
	}
	nfd, err := unix.Dup(fd)
	dst.Close()
	return nfd, err
}

// startOpts says what the child gets.
type startOpts struct {
	stdio       [3]*os.File
	preserveFds int
	extra       []*os.File // after the preserved fds: fifo etc.
	bootstrap   string
	spec        *specs.Spec // for id maps (new user namespace)
	// beforeBootstrap runs once stage 0 exists and before it creates any
	// namespace: the place to join the cgroup.
	beforeBootstrap func(pid int) error
	log             *slog.Logger
}

// startChild execs `rt init`, feeds stage 0 its bootstrap and waits for the
// pid of the process that lives on inside the namespaces.
func startChild(o startOpts) (p *parentProcess, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socketpair: %w", err)
	}
	childSock := os.NewFile(uintptr(fds[1]), "sync")
	defer childSock.Close()
	p = &parentProcess{sock: fds[0], console: -1, log: o.log}
	defer func() {
		if err != nil {
			p.abort()
		}
	}()

	exe, exeFd, err := protectedExe()
	if err != nil {
		return p, err
	}
	defer unix.Close(exeFd)

	extra := make([]*os.File, 0, o.preserveFds+len(o.extra)+1)
	for i := 0; i < o.preserveFds; i++ {
		extra = append(extra, os.NewFile(uintptr(3+i), "preserved"))
	}
	extra = append(extra, o.extra...)
	sockFd := 3 + len(extra)
	extra = append(extra, childSock)

	cmd := &exec.Cmd{
		Path: exe,
		Args: []string{"rt", "init"},
		// glibc aborts a thread whose rseq registration a seccomp profile
		// refuses with an errno; the Go runtime may start one after the
		// filter is loaded. The workload's environment is its own.
		Env:        []string{"_RT_INITPIPE=" + strconv.Itoa(sockFd), "GLIBC_TUNABLES=glibc.pthread.rseq=0"},
		Stdin:      o.stdio[0],
		Stdout:     o.stdio[1],
		Stderr:     o.stdio[2],
		ExtraFiles: extra,
	}
	if lvl := os.Getenv("_RT_DEBUG"); lvl != "" {
		cmd.Env = append(cmd.Env, "_RT_DEBUG="+lvl)
	}
	// Whatever rt's caller left open without close-on-exec stays out of the
	// child (and of every hook rt runs later): the fds given on purpose
	// are dup'ed onto 3.. by cmd.Start, which clears the flag on those.
	if err := closeOnExecFrom(3); err != nil {
		return p, err
	}
	if err := cmd.Start(); err != nil {
		return p, fmt.Errorf("start init: %w", err)
	}
	p.cmd = cmd
	childSock.Close()

	if o.beforeBootstrap != nil {
		if err := o.beforeBootstrap(cmd.Process.Pid); err != nil {
			return p, err
		}
	}
	p.log.Debug("sync: send bootstrap", "bytes", len(o.bootstrap))
	if err := writeAll(p.sock, []byte(strconv.Itoa(len(o.bootstrap))+"\n"+o.bootstrap)); err != nil {
		return p, fmt.Errorf("send bootstrap: %w", err)
	}
	for p.initPid == 0 {
		line, err := readLine(p.sock)
		if err != nil {
			return p, fmt.Errorf("init exited before it reported its pid: %w", err)
		}
		p.log.Debug("sync: received " + strings.SplitN(line, " ", 2)[0])
		switch {
		case line == "idmap":
			if err := writeIDMaps(cmd.Process.Pid, o.spec); err != nil {
				return p, err
			}
			if err := writeAll(p.sock, []byte("idmap-done\n")); err != nil {
				return p, fmt.Errorf("send idmap-done: %w", err)
			}
		case strings.HasPrefix(line, "pid "):
			p.initPid, err = strconv.Atoi(line[4:])
			if err != nil || p.initPid <= 0 {
				return p, fmt.Errorf("init sent a bad pid %q", line)
			}
		case strings.HasPrefix(line, "error "):
			return p, errors.New(line[6:])
		default:
			return p, fmt.Errorf("unexpected message from init: %q", line)
		}
	}
	if p.initPid != cmd.Process.Pid {
		// Stage 0 forked into the pid namespace and exits; reap it.
		if err := cmd.Wait(); err != nil {
			return p, fmt.Errorf("init stage 0: %w", err)
		}
	}
	return p, nil
}

func readLine(fd int) (string, error) {
	var b []byte
	c := make([]byte, 1)
	for len(b) < 4096 {
		if err := readFull(fd, c); err != nil {
			return "", err
		}
		if c[0] == '\n' {
			return string(b), nil
		}
		b = append(b, c[0])
	}
	return "", errors.New("line too long")
}

// writeIDMaps writes the user namespace's uid and gid maps; the parent is
// root in the initial namespace, so no setgroups deny is needed.
func writeIDMaps(pid int, s *specs.Spec) error {
	write := func(name string, maps []specs.LinuxIDMapping) error {
		var b strings.Builder
		for _, m := range maps {
			fmt.Fprintf(&b, "%d %d %d\n", m.ContainerID, m.HostID, m.Size)
		}
		p := "/proc/" + strconv.Itoa(pid) + "/" + name
		if err := os.WriteFile(p, []byte(b.String()), 0); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		return nil
	}
	if err := write("uid_map", s.Linux.UIDMappings); err != nil {
		return err
	}
	return write("gid_map", s.Linux.GIDMappings)
}

// send and expect wrap the framed protocol with a debug line each.
func (p *parentProcess) send(m syncMsg) error {
	p.log.Debug("sync: send " + string(m.Type))
	return writeSync(p.sock, m, -1)
}

func (p *parentProcess) recv() (syncMsg, int, error) {
	m, fd, err := readSync(p.sock)
	if err == nil {
		p.log.Debug("sync: received " + string(m.Type))
	}
	return m, fd, err
}

// abort kills whatever was started and closes the socket.
func (p *parentProcess) abort() {
	if p.initPid > 0 {
		unix.Kill(p.initPid, unix.SIGKILL)
	}
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Kill()
		if p.cmd.ProcessState == nil {
			p.cmd.Wait()
		}
	}
	if p.initPid > 0 && (p.cmd == nil || p.initPid != p.cmd.Process.Pid) {
		// Reaped by us if we are its subreaper; otherwise by whoever adopted it.
		var ws unix.WaitStatus
		unix.Wait4(p.initPid, &ws, unix.WNOHANG, nil)
	}
	if p.console >= 0 {
		unix.Close(p.console)
		p.console = -1
	}
	p.close()
}

func (p *parentProcess) close() {
	if p.sock >= 0 {
		unix.Close(p.sock)
		p.sock = -1
	}
}

// buildBootstrap writes the lines stage 0 reads: namespaces to join, user
// namespace first, and the clone flags of those to create.
func buildBootstrap(s *specs.Spec) string {
	var b strings.Builder
	var flags uintptr
	order := []specs.LinuxNamespaceType{specs.UserNamespace, specs.IPCNamespace, specs.UTSNamespace,
		specs.NetworkNamespace, specs.PIDNamespace, specs.CgroupNamespace, specs.TimeNamespace, specs.MountNamespace}
	for _, t := range order {
		n, ok := findNamespace(s, t)
		if !ok {
			continue
		}
		switch {
		case n.Path != "":
			fmt.Fprintf(&b, "ns %d %s\n", nsFlags[t], n.Path)
		case t == specs.CgroupNamespace:
			b.WriteString("cgroupns 1\n")
		default:
			flags |= nsFlags[t]
		}
	}
	if flags&unix.CLONE_NEWUSER != 0 {
		b.WriteString("idmap 1\n")
	}
	if flags&unix.CLONE_NEWTIME != 0 {
		for clock, off := range s.Linux.TimeOffsets {
			fmt.Fprintf(&b, "timens %s %d %d\n", clock, off.Secs, off.Nanosecs)
		}
	}
	fmt.Fprintf(&b, "clone %d\n", flags)
	return b.String()
}

// handshake drives a started process from "config" to "ready" (the
// protocol of sync.go). onHooks runs when the init asks for the runtime's
// hooks (nil: the process never asks). It returns the pty master kept for
// the caller, or -1.
func (p *parentProcess) handshake(cfg *initConfig, consoleSocket string, st specs.State, onHooks func() error) (int, error) {
	proc := cfg.Spec.Process
	if cfg.Exec {
		proc = cfg.Process
	}
	if err := checkUserMapped(p.initPid, proc.User); err != nil {
		return -1, err
	}
	if err := p.send(syncMsg{Type: syncConfig, Config: cfg}); err != nil {
		return -1, err
	}
	sources := &mountSources{spec: cfg.Spec, bundle: cfg.Bundle, initPid: p.initPid}
	defer sources.close()
	for {
		m, fd, err := p.recv()
		if err != nil {
			return -1, fmt.Errorf("container process exited before it was ready: %w", err)
		}
		// Only console and seccomp carry an fd; one on any other message
		// (or a second one) is closed, never kept in a long-lived parent.
		if fd >= 0 && m.Type != syncConsole && m.Type != syncSeccomp {
			unix.Close(fd)
			fd = -1
		}
		switch {
		case m.Type == syncError:
			return -1, errors.New(m.Error)
		case m.Type == syncConsole:
			if fd < 0 {
				return -1, errors.New("console message without a pty fd")
			}
			if consoleSocket == "" {
				p.console = fd // the caller's once ready
				continue
			}
			err := sendConsole(consoleSocket, fd)
			unix.Close(fd)
			if err != nil {
				return -1, err
			}
		case m.Type == syncMountSource && !cfg.Exec:
			tree, err := sources.open(m.Mount)
			if err != nil {
				return -1, err
			}
			p.log.Debug("sync: send " + string(syncMountDone))
			err = writeSync(p.sock, syncMsg{Type: syncMountDone}, tree)
			unix.Close(tree)
			if err != nil {
				return -1, err
			}
		case m.Type == syncHooks && onHooks != nil:
			if err := onHooks(); err != nil {
				return -1, err
			}
			if err := p.send(syncMsg{Type: syncHooksDone}); err != nil {
				return -1, err
			}
		case m.Type == syncSeccomp:
			if err := forwardSeccompFd(p, cfg.Spec, st, fd); err != nil {
				return -1, err
			}
		case m.Type == syncReady:
			console := p.console
			p.console = -1
			p.close()
			return console, nil
		default:
			return -1, fmt.Errorf("sync: unexpected %q from the container process", m.Type)
		}
	}
}
