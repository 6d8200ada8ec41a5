package libcontainer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

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
	// fds is where the child has what it was given.
	fds childFds
	// logsDone is closed once the child's log pipe is read to its end.
	logsDone chan struct{}
	// planned: the child runs a plan, which needs no config message.
	planned bool
}

// childFds is the child's fd layout, computed in one place (layoutFds):
// 0-2 stdio, 3..3+N-1 the preserved fds, then the exec fifo, the exec
// result fifo and the container's root (each only when given), then the
// log pipe and, last, the sync socket: stage 0 closes every fd above it.
// A field is -1 for a file not given.
type childFds struct {
	files                           []*os.File // exec.Cmd.ExtraFiles: fd 3 onward
	fifo, result, root, log, socket int
}

func layoutFds(preserve int, fifo, result, root, logw, sock *os.File) childFds {
	l := childFds{fifo: -1, result: -1, root: -1, log: -1, socket: -1}
	for i := 0; i < preserve; i++ {
		l.files = append(l.files, os.NewFile(uintptr(3+i), "preserved"))
	}
	for _, f := range []struct {
		file *os.File
		fd   *int
	}{{fifo, &l.fifo}, {result, &l.result}, {root, &l.root}, {logw, &l.log}, {sock, &l.socket}} {
		if f.file != nil {
			*f.fd = 3 + len(l.files)
			l.files = append(l.files, f.file)
		}
	}
	return l
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
	// fifo and result are the exec fifo and the exec result fifo (rt
	// create), root the container's root to chroot into (rt exec): each
	// nil when not given.
	fifo, result, root *os.File
	bootstrap          string
	// plan, when not nil, is sent after the bootstrap: the child runs it
	// instead of rt init's Go (libcontainer/plan) and is sent no config.
	plan []byte
	// makePlan, when set, gives the plan once the child's fds are laid
	// out and beforeBootstrap has run (rt create: the plan names the
	// fifos' fds and the cgroup paths Apply chose); nil: the Go init.
	makePlan func(fds childFds) []byte
	spec     *specs.Spec // for id maps (new user namespace)
	// beforeBootstrap runs once stage 0 exists and before it creates any
	// namespace: the place to join the cgroup (unless cgroup.Born()).
	beforeBootstrap func(pid int) error
	// cgroup, when not nil, is the cgroup2 dir to start stage 0 in.
	cgroup *cgroupBirth
	log    *slog.Logger
}

// startChild execs `rt init`, feeds stage 0 its bootstrap and waits for the
// pid of the process that lives on inside the namespaces. On failure it
// has undone all it did (nil process); on success the caller owns the
// clean-up (abort).
func startChild(o startOpts) (_ *parentProcess, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socketpair: %w", err)
	}
	childSock := os.NewFile(uintptr(fds[1]), "sync")
	defer childSock.Close()
	p := &parentProcess{sock: fds[0], console: -1, log: o.log}
	defer func() {
		if err != nil {
			p.abort()
		}
	}()
	logr, logw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("log pipe: %w", err)
	}
	defer logw.Close()
	p.logsDone = forwardLogs(logr, o.log)

	exe, exeFd, err := protectedExe()
	if err != nil {
		return nil, err
	}
	defer unix.Close(exeFd)

	p.fds = layoutFds(o.preserveFds, o.fifo, o.result, o.root, logw, childSock)
	cmd := &exec.Cmd{
		Path: exe,
		Args: []string{"rt", "init"},
		// glibc aborts a thread whose rseq registration a seccomp profile
		// refuses with an errno; the Go runtime may start one after the
		// filter is loaded. The workload's environment is its own.
		Env: []string{"_RT_INITPIPE=" + strconv.Itoa(p.fds.socket), envLogPipe + "=" + strconv.Itoa(p.fds.log),
			"GLIBC_TUNABLES=glibc.pthread.rseq=0"},
		Stdin:      o.stdio[0],
		Stdout:     o.stdio[1],
		Stderr:     o.stdio[2],
		ExtraFiles: p.fds.files,
	}
	if o.log != nil && o.log.Enabled(context.Background(), slog.LevelDebug) {
		cmd.Env = append(cmd.Env, envDebug+"=1")
	}
	// Whatever rt's caller left open without close-on-exec stays out of the
	// child (and of every hook rt runs later): the fds given on purpose
	// are dup'ed onto 3.. by cmd.Start, which clears the flag on those.
	if err := closeOnExecFrom(3); err != nil {
		return nil, err
	}
	if cmd, err = o.cgroup.start(cmd, o.log); err != nil {
		return nil, fmt.Errorf("start init: %w", err)
	}
	p.cmd = cmd
	childSock.Close()
	logw.Close() // the child's copy is the only one: EOF when it is done

	if o.beforeBootstrap != nil {
		if err := o.beforeBootstrap(cmd.Process.Pid); err != nil {
			return nil, err
		}
	}
	bootstrap := o.bootstrap
	if o.makePlan != nil {
		o.plan = o.makePlan(p.fds)
	}
	if o.plan != nil {
		bootstrap += "plan " + strconv.Itoa(len(o.plan)) + "\n"
		p.planned = true
	}
	p.log.Debug("sync: send bootstrap", "bytes", len(bootstrap), "plan", len(o.plan))
	if err := writeAll(p.sock, append([]byte(strconv.Itoa(len(bootstrap))+"\n"+bootstrap), o.plan...)); err != nil {
		return nil, fmt.Errorf("send bootstrap: %w", err)
	}
	for p.initPid == 0 {
		line, err := readLine(p.sock)
		if err != nil {
			return nil, fmt.Errorf("init exited before it reported its pid: %w", err)
		}
		p.log.Debug("sync: received " + strings.SplitN(line, " ", 2)[0])
		switch {
		case line == "idmap":
			if err := writeIDMaps(cmd.Process.Pid, o.spec); err != nil {
				return nil, err
			}
			if err := writeAll(p.sock, []byte("idmap-done\n")); err != nil {
				return nil, fmt.Errorf("send idmap-done: %w", err)
			}
		case strings.HasPrefix(line, "pid "):
			p.initPid, err = strconv.Atoi(line[4:])
			if err != nil || p.initPid <= 0 {
				p.initPid = 0
				return nil, fmt.Errorf("init sent a bad pid %q", line)
			}
		case strings.HasPrefix(line, "error "):
			return nil, stage0Error(line[6:])
		default:
			return nil, fmt.Errorf("unexpected message from init: %q", line)
		}
	}
	if p.initPid != cmd.Process.Pid {
		// Stage 0 forked into the pid namespace and exits; reap it.
		if err := cmd.Wait(); err != nil {
			return nil, fmt.Errorf("init stage 0: %w", err)
		}
	}
	return p, nil
}

// forwardLogs re-emits the child's log lines (init_log.go) through log at
// their level, until the pipe's last writer is gone; the channel is closed
// then. A line that is not the init's JSON is passed on as a warning.
func forwardLogs(r *os.File, log *slog.Logger) chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer r.Close()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 4096), maxLogLine)
		for sc.Scan() {
			var e struct{ Level, Msg string }
			if json.Unmarshal(sc.Bytes(), &e) != nil || e.Msg == "" {
				e.Level, e.Msg = "warning", "init: "+sc.Text()
			}
			if log != nil {
				log.Log(context.Background(), logLevel(e.Level), e.Msg)
			}
		}
		// A line too long for the scanner: the rest is read and dropped,
		// so that the child never blocks on a full pipe.
		io.Copy(io.Discard, r)
	}()
	return done
}

const maxLogLine = 1 << 20

// logLevel reads the level of a child's line (logrus's words, as rt's own
// log spells them).
func logLevel(s string) slog.Level {
	switch s {
	case "debug":
		return slog.LevelDebug
	case "warning", "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// waitLogs waits until the child's log lines are all forwarded: call it
// once the child closed its end (before its ready or error message) or is dead.
func (p *parentProcess) waitLogs() {
	if p.logsDone != nil {
		<-p.logsDone
	}
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

// writeIDMaps writes the user namespace's uid and gid maps; a root parent
// is root in the initial namespace, so no setgroups deny is needed. A
// non-root one: see writeIDMapsRootless.
func writeIDMaps(pid int, s *specs.Spec) error {
	if rootlessEUID() {
		return writeIDMapsRootless(pid, s)
	}
	write := func(name string, maps []specs.LinuxIDMapping) error {
		p := "/proc/" + strconv.Itoa(pid) + "/" + name
		if err := os.WriteFile(p, []byte(idMapText(maps)), 0); err != nil {
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

// abort kills whatever was started, reaps it, closes the socket and waits
// for the last log lines. It undoes each thing once: a second call does nothing.
func (p *parentProcess) abort() {
	if p.initPid > 0 {
		unix.Kill(p.initPid, unix.SIGKILL)
	}
	if p.cmd != nil && p.cmd.Process != nil {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	}
	if p.initPid > 0 && (p.cmd == nil || p.initPid != p.cmd.Process.Pid) {
		// Reaped by us if we are its subreaper; otherwise by whoever adopted it.
		var ws unix.WaitStatus
		unix.Wait4(p.initPid, &ws, unix.WNOHANG, nil)
	}
	p.initPid = 0
	if p.console >= 0 {
		unix.Close(p.console)
		p.console = -1
	}
	p.close()
	if p.cmd != nil && p.logsDone != nil {
		// Killed, nothing holds the log pipe's write end any more; but a
		// process in a frozen cgroup dies only once thawed, so the wait
		// is bounded.
		select {
		case <-p.logsDone:
		case <-time.After(time.Second):
		}
	}
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
	if !p.planned {
		if err := p.send(syncMsg{Type: syncConfig, Config: cfg}); err != nil {
			return -1, err
		}
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
			// The init closed its log before this message: take its
			// last lines first.
			p.waitLogs()
			return -1, initError(m)
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
			p.waitLogs() // closed by the init before "ready"
			console := p.console
			p.console = -1
			p.close()
			return console, nil
		default:
			return -1, fmt.Errorf("sync: unexpected %q from the container process", m.Type)
		}
	}
}
