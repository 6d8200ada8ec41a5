package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// maxStateSize bounds the state JSON a runtime may send (runc sends a few
// KiB; the spec's annotations can make it larger).
const maxStateSize = 1 << 20

// maxFds bounds the SCM_RIGHTS fds accepted in one message.
const maxFds = 16

// policy answers notifications: mkdir and mkdirat get the configured
// answer, every other syscall continues in the kernel as if never stopped.
type policy struct {
	fakeSuccess bool
	errno       int32
}

// mkdirSyscalls are the names whose notifications the policy answers.
var mkdirSyscalls = map[string]bool{"mkdir": true, "mkdirat": true}

func (p policy) respond(req *libseccomp.ScmpNotifReq) (*libseccomp.ScmpNotifResp, string) {
	name, err := req.Data.Syscall.GetNameByArch(req.Data.Arch)
	if err != nil {
		name = fmt.Sprintf("syscall %d", req.Data.Syscall)
	}
	resp := &libseccomp.ScmpNotifResp{ID: req.ID}
	switch {
	case !mkdirSyscalls[name]:
		// CONTINUE is no security decision (the arguments can change
		// after we looked): only a pass-through for what we do not handle.
		resp.Flags = libseccomp.NotifRespFlagContinue
	case p.fakeSuccess:
		resp.Val = 0 // "done", without doing it
	default:
		resp.Error = p.errno
	}
	return resp, name
}

// receiveState reads one message from the runtime: the container process
// state JSON with its fds in SCM_RIGHTS, and returns the state and the fd
// named seccompFd. Every other fd received is closed.
func receiveState(conn *net.UnixConn) (*specs.ContainerProcessState, int, error) {
	buf := make([]byte, maxStateSize)
	oob := make([]byte, unix.CmsgSpace(maxFds*4))
	n, oobn, flags, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, -1, fmt.Errorf("read message: %w", err)
	}
	fds, ferr := parseFds(oob[:oobn])
	seccompFd := -1
	defer func() {
		for _, fd := range fds {
			if fd != seccompFd {
				unix.Close(fd)
			}
		}
	}()
	if ferr != nil {
		return nil, -1, ferr
	}
	if flags&(unix.MSG_TRUNC|unix.MSG_CTRUNC) != 0 {
		return nil, -1, errors.New("message truncated")
	}
	var st specs.ContainerProcessState
	if err := json.Unmarshal(buf[:n], &st); err != nil {
		return nil, -1, fmt.Errorf("decode container process state: %w", err)
	}
	if len(st.Fds) != len(fds) {
		return nil, -1, fmt.Errorf("state names %d fds (%v), message carries %d", len(st.Fds), st.Fds, len(fds))
	}
	for i, name := range st.Fds {
		if name == specs.SeccompFdName {
			seccompFd = fds[i]
		}
	}
	if seccompFd < 0 {
		return nil, -1, fmt.Errorf("no %q among the fds %v", specs.SeccompFdName, st.Fds)
	}
	return &st, seccompFd, nil
}

func parseFds(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("parse control message: %w", err)
	}
	var fds []int
	for i := range msgs {
		got, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			continue // not SCM_RIGHTS
		}
		for _, fd := range got {
			unix.CloseOnExec(fd)
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

// serveNotifications answers fd's notifications until every process of
// the filter is gone (POLLHUP), then closes fd.
func serveNotifications(fd int, p policy, log *slog.Logger) error {
	defer unix.Close(fd)
	for {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(pfd, -1); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return fmt.Errorf("poll seccomp fd: %w", err)
		}
		if pfd[0].Revents&unix.POLLIN == 0 {
			if pfd[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 {
				return nil // the filter has no users left
			}
			continue
		}
		req, err := libseccomp.NotifReceive(libseccomp.ScmpFd(fd))
		if err != nil {
			// ENOENT: the process was killed between poll and receive.
			if errors.Is(err, unix.ENOENT) {
				continue
			}
			return fmt.Errorf("receive notification: %w", err)
		}
		resp, name := p.respond(req)
		if err := libseccomp.NotifRespond(libseccomp.ScmpFd(fd), resp); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue // the caller died or was interrupted meanwhile
			}
			return fmt.Errorf("respond to notification %d: %w", req.ID, err)
		}
		log.Info("notification", "syscall", name, "pid", req.Pid,
			"continue", resp.Flags&libseccomp.NotifRespFlagContinue != 0, "errno", resp.Error)
	}
}

// serve accepts runtimes on l until it is closed, one goroutine per
// container.
func serve(l *net.UnixListener, p policy, log *slog.Logger) error {
	for {
		conn, err := l.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("accept: %w", err)
		}
		st, fd, err := receiveState(conn)
		conn.Close()
		if err != nil {
			log.Error("runtime message", "error", err)
			continue
		}
		clog := log.With("container", st.State.ID, "pid", st.Pid)
		clog.Info("seccomp fd received", "metadata", st.Metadata)
		go func() {
			if err := serveNotifications(fd, p, clog); err != nil {
				clog.Error("notifications", "error", err)
				return
			}
			clog.Info("container gone")
		}()
	}
}
