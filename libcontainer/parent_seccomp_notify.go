package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// forwardSeccompFd sends the notify fd to the spec's listener, with the
// container process state as the payload (runtime-spec, seccomp notify).
func forwardSeccompFd(p *parentProcess, s *specs.Spec, st specs.State, fd int) error {
	defer unix.Close(fd)
	if fd < 0 {
		return errors.New("init sent a seccomp message without a notify fd")
	}
	sc := s.Linux.Seccomp
	if sc == nil || sc.ListenerPath == "" {
		return errors.New("linux.seccomp: SCMP_ACT_NOTIFY is used but seccomp listenerPath is not set")
	}
	st.Pid = p.initPid
	payload, err := json.Marshal(specs.ContainerProcessState{
		Version: specs.Version, Fds: []string{specs.SeccompFdName}, Pid: p.initPid,
		Metadata: sc.ListenerMetadata, State: st,
	})
	if err != nil {
		return fmt.Errorf("seccomp listener: encode state: %w", err)
	}
	conn, err := net.Dial("unix", sc.ListenerPath)
	if err != nil {
		return fmt.Errorf("failed to connect with seccomp agent specified in the seccomp profile: %w", err)
	}
	defer conn.Close()
	if _, _, err := conn.(*net.UnixConn).WriteMsgUnix(payload, unix.UnixRights(fd), nil); err != nil {
		return fmt.Errorf("seccomp listener %s: send fd: %w", sc.ListenerPath, err)
	}
	return p.send(syncMsg{Type: syncSeccompDone})
}
