package libcontainer

// The sync protocol between the parent (rt create / run / exec) and the
// process it starts, over one AF_UNIX stream socketpair.
//
// Stage 0 (C, libcontainer/nsenter) speaks text lines first:
//
//	parent -> child   "<len>\n" + bootstrap   namespaces to join and create
//	child  -> parent  "idmap"                 (new user ns only) write my uid/gid maps
//	parent -> child   "idmap-done"            maps written; child becomes root in the ns
//	child  -> parent  "pid <n>"               host pid of the container's process
//	child  -> parent  "error <errno> <text>"  stage 0 failed; child exits
//
// Then the Go init and the parent exchange framed messages (4-byte
// big-endian length + JSON syncMsg), in this order:
//
//	msg            sender  meaning / what the receiver does
//	config         parent  the spec and options; init starts setting up
//	console        init    pty master attached (SCM_RIGHTS); parent keeps it
//	mount-source   init    (idmapped bind mounts[mount], or one whose source
//	                       the mapped root cannot reach) make its source: the
//	                       parent clones and maps it (parent_mount_idmap.go)
//	mount-source-done parent  the detached mount attached (SCM_RIGHTS); the
//	                       init moves it onto the destination
//	hooks          init    mounts done, before pivot_root: parent runs prestart
//	                       and createRuntime hooks, answers hooks-done
//	hooks-done     parent  init runs createContainer hooks and goes on
//	seccomp        init    seccomp notify fd attached (SCM_RIGHTS): parent
//	                       sends it with the state to listenerPath
//	seccomp-done   parent  the listener has the fd
//	ready          init    all set up, exec fifo next: parent records "created"
//	error          either  text of what failed; the other side stops
//
// Each message sent and received is logged at debug level on the parent.

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rt-runtime/rt/cgroups"
)

type syncType string

const (
	syncConfig      syncType = "config"
	syncConsole     syncType = "console"
	syncMountSource syncType = "mount-source"
	syncMountDone   syncType = "mount-source-done"
	syncHooks       syncType = "hooks"
	syncHooksDone   syncType = "hooks-done"
	syncSeccomp     syncType = "seccomp"
	syncSeccompDone syncType = "seccomp-done"
	syncReady       syncType = "ready"
	syncError       syncType = "error"
)

// initConfig is the payload of the config message.
type initConfig struct {
	ID      string      `json:"id"`
	Spec    *specs.Spec `json:"spec"`
	Rootfs  string      `json:"rootfs"`
	Bundle  string      `json:"bundle"`
	NoPivot bool        `json:"noPivot,omitempty"`
	// HostMounts: no mount namespace of the container's own; the init
	// mounts nothing and only chroots into the rootfs.
	HostMounts  bool `json:"hostMounts,omitempty"`
	PreserveFds int  `json:"preserveFds,omitempty"`
	// ExecFifoFd is the fd (in the init) of the exec fifo, opened O_RDWR.
	ExecFifoFd int `json:"execFifoFd,omitempty"`
	// ExecResultFd is the write side of the exec result fifo: empty at its
	// close-on-exec EOF means the workload was exec'd, text is an error.
	ExecResultFd int `json:"execResultFd,omitempty"`
	// Exec is set when the process joins a running container (rt exec);
	// Process then replaces spec.Process, and RootFd (>= 0 with
	// --no-pivot) is the container's root to chroot into.
	Exec         bool           `json:"exec,omitempty"`
	Process      *specs.Process `json:"process,omitempty"`
	RootFd       int            `json:"rootFd,omitempty"`
	NoNewKeyring bool           `json:"noNewKeyring,omitempty"`
	CgroupPaths  cgroups.Paths  `json:"cgroupPaths,omitzero"`
	// SELinux is whether SELinux is enabled, decided by the parent: inside the
	// container's mount namespace selinuxfs is not visible.
	SELinux bool `json:"selinux,omitempty"`
	// Rootless: the parent is not root. While the init waits for start it
	// is then dumpable, as runc's is: the kernel lets the user (who is not
	// privileged in the host's user namespace) open the namespace files of
	// a dumpable process only, and rt exec joins those.
	Rootless bool `json:"rootless,omitempty"`
	// sock is the init's end of the sync socket (not sent: set by the init).
	sock int
	// stateRoot is the state root (--root), for the parent's cache of
	// seccomp programs (not sent; "": no cache).
	stateRoot string
}

type syncMsg struct {
	Type   syncType    `json:"type"`
	Error  string      `json:"error,omitempty"`
	Config *initConfig `json:"config,omitempty"`
	// Mount is the index in spec.mounts of a mount-source request.
	Mount int `json:"mount,omitempty"`
	// Errno is the errno an error message's failure came from (0: none).
	Errno int `json:"errno,omitempty"`
}

// InitError is a failure the container's process reported while it was
// being set up (stage 0 or rt init): its text as the process wrote it,
// and the errno it came from, so that errors.Is(err, unix.ENOENT) (or
// os.ErrNotExist) holds in the parent as it did in the child.
type InitError struct {
	Msg   string
	Errno unix.Errno
}

func (e *InitError) Error() string { return e.Msg }

// Unwrap gives the errno, or nil when the failure had none.
func (e *InitError) Unwrap() error {
	if e.Errno == 0 {
		return nil
	}
	return e.Errno
}

// syncErrorMsg is the error message for err, with the errno it wraps.
func syncErrorMsg(err error) syncMsg {
	m := syncMsg{Type: syncError, Error: err.Error()}
	var errno unix.Errno
	if errors.As(err, &errno) {
		m.Errno = int(errno)
	}
	return m
}

// stage0Error is the parent's error for stage 0's "error <errno> <text>".
func stage0Error(line string) error {
	num, text, _ := strings.Cut(line, " ")
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 {
		return &InitError{Msg: line}
	}
	return &InitError{Msg: text, Errno: unix.Errno(n)}
}

// initError is the parent's error for an error message.
func initError(m syncMsg) error {
	return &InitError{Msg: m.Error, Errno: unix.Errno(m.Errno)}
}

// writeSync sends one framed message, with fd attached when fd >= 0.
func writeSync(sock int, m syncMsg, fd int) error {
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode sync %s: %w", m.Type, err)
	}
	if len(body) > maxSyncSize {
		return fmt.Errorf("sync %s: message of %d bytes is larger than %d MiB", m.Type, len(body), maxSyncSize>>20)
	}
	buf := make([]byte, 4+len(body))
	binary.BigEndian.PutUint32(buf, uint32(len(body)))
	copy(buf[4:], body)
	var oob []byte
	if fd >= 0 {
		oob = unix.UnixRights(fd)
	}
	n, err := unix.SendmsgN(sock, buf, oob, nil, 0)
	if err != nil {
		return fmt.Errorf("write sync %s: %w", m.Type, err)
	}
	if n < len(buf) {
		if err := writeAll(sock, buf[n:]); err != nil {
			return fmt.Errorf("write sync %s: %w", m.Type, err)
		}
	}
	return nil
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func readFull(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Read(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return io.EOF
		}
		b = b[n:]
	}
	return nil
}

// readSync receives one framed message and the fd attached to it, if any (-1).
func readSync(sock int) (syncMsg, int, error) {
	var m syncMsg
	head := make([]byte, 4)
	oob := make([]byte, unix.CmsgSpace(4*4))
	fd := -1
	got := 0
	for got == 0 {
		n, oobn, _, _, err := unix.Recvmsg(sock, head, oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return m, -1, fmt.Errorf("read sync: %w", err)
		}
		if n == 0 {
			return m, -1, io.EOF
		}
		got = n
		if oobn > 0 {
			// One fd a message at most: any more are closed here.
			if fds, err := parseRights(oob[:oobn]); err == nil && len(fds) > 0 {
				fd = fds[0]
				for _, extra := range fds[1:] {
					unix.Close(extra)
				}
			}
		}
	}
	fail := func(err error) (syncMsg, int, error) {
		if fd >= 0 {
			unix.Close(fd)
		}
		return m, -1, err
	}
	if err := readFull(sock, head[got:]); err != nil {
		return fail(fmt.Errorf("read sync: %w", err))
	}
	size := binary.BigEndian.Uint32(head)
	if size > maxSyncSize {
		return fail(fmt.Errorf("read sync: message of %d bytes is too large", size))
	}
	body := make([]byte, size)
	if err := readFull(sock, body); err != nil {
		return fail(fmt.Errorf("read sync: %w", err))
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return fail(fmt.Errorf("decode sync message: %w", err))
	}
	return m, fd, nil
}

// maxSyncSize bounds one framed message (the config is the largest).
const maxSyncSize = 64 << 20

func parseRights(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var fds []int
	for _, m := range msgs {
		r, err := unix.ParseUnixRights(&m)
		if err == nil {
			fds = append(fds, r...)
		}
	}
	return fds, nil
}

// expectSync reads the next message and checks its type; an error message
// from the peer becomes the returned error.
// None of the messages the init expects this way carries an fd: one that
// arrives anyway is closed (mount-source-done, which does, is read with
// readSync by idmappedMount).
func expectSync(sock int, want syncType) (syncMsg, int, error) {
	m, fd, err := readSync(sock)
	if err != nil {
		return m, -1, err
	}
	if fd >= 0 {
		unix.Close(fd)
	}
	if m.Type == syncError {
		return m, -1, errors.New(m.Error)
	}
	if m.Type != want {
		return m, -1, fmt.Errorf("sync: got %q, want %q", m.Type, want)
	}
	return m, -1, nil
}

// closeOnExecFrom marks every fd >= from close-on-exec (CVE-2024-21626:
// nothing of rt's leaks into the workload).
func closeOnExecFrom(from int) error {
	if err := unix.CloseRange(uint(from), ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err == nil {
		return nil
	}
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return fmt.Errorf("list fds: %w", err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("list fds: %w", err)
	}
	for _, n := range names {
		var fd int
		if _, err := fmt.Sscanf(n, "%d", &fd); err == nil && fd >= from {
			unix.CloseOnExec(fd)
		}
	}
	return nil
}
