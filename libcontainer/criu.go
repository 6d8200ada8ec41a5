package libcontainer

// CRIU (checkpoint/restore in userspace) is driven over its RPC: rt starts
// `criu swrk 3` with one end of a SOCK_SEQPACKET socketpair as fd 3, sends
// one criu_req (protobuf, go-criu's rpc package), answers each notify
// message CRIU sends back (the "scripts": post-dump, setup-namespaces,
// post-restore, orphan-pts-master ...), and reads the final criu_resp.
// CRIU opens the image and work dirs through /proc/<rt's pid>/fd/N, so
// those stay rt's own fds; inherited fds (stdio, namespaces) are CRIU's.

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/checkpoint-restore/go-criu/v7/rpc"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"
)

// minCriuVersion is what rt needs of CRIU at all: 3.0, the first release
// with the VERSION request (runc 1.5 asks the same).
const minCriuVersion = 30000

// criuNotifyFunc answers one notify message; fd is a descriptor CRIU sent
// with it (orphan-pts-master), else -1. The handler owns fd.
type criuNotifyFunc func(script string, pid int32, fd int) error

// criuSession is one `criu swrk` process and its socket.
type criuSession struct {
	cmd  *exec.Cmd
	sock *os.File
}

// startCriu runs `criu swrk 3`. stdio (nil entries: /dev/null) are CRIU's
// fds 0-2; extra are its fds 4, 5, ... (inherited namespaces).
func startCriu(path string, stdio [3]*os.File, extra []*os.File) (*criuSession, error) {
	if path == "" {
		path = "criu"
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("criu socketpair: %w", err)
	}
	cln := os.NewFile(uintptr(fds[0]), "criu-client")
	srv := os.NewFile(uintptr(fds[1]), "criu-server")
	defer srv.Close()
	cmd := exec.Command(path, "swrk", "3")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdio[0], stdio[1], stdio[2]
	cmd.ExtraFiles = append([]*os.File{srv}, extra...)
	if err := cmd.Start(); err != nil {
		cln.Close()
		return nil, err
	}
	return &criuSession{cmd: cmd, sock: cln}, nil
}

func (s *criuSession) pid() int { return s.cmd.Process.Pid }

// close ends the session: CRIU exits when its socket closes.
func (s *criuSession) close() error {
	s.sock.Close()
	return s.cmd.Wait()
}

// request sends req and answers CRIU's notify messages until the final
// response. A response with success false is returned with a criuError.
func (s *criuSession) request(req *rpc.CriuReq, notify criuNotifyFunc) (*rpc.CriuResp, error) {
	b, err := proto.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("criu request: %w", err)
	}
	fd := int(s.sock.Fd())
	buf := make([]byte, 64*1024)
	oob := make([]byte, unix.CmsgSpace(4*4))
	for {
		if _, err := unix.Write(fd, b); err != nil {
			return nil, fmt.Errorf("criu request: %w", err)
		}
		n, oobn, _, _, err := unix.Recvmsg(fd, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err != nil {
			return nil, fmt.Errorf("criu response: %w", err)
		}
		if n == 0 {
			return nil, errors.New("criu exited without a response")
		}
		received := receivedFds(oob[:oobn])
		resp := &rpc.CriuResp{}
		if err := proto.Unmarshal(buf[:n], resp); err != nil {
			closeFds(received)
			return nil, fmt.Errorf("criu response: %w", err)
		}
		if !resp.GetSuccess() {
			closeFds(received)
			return resp, &criuError{Type: resp.GetType(), Errno: resp.GetCrErrno(), Msg: resp.GetCrErrmsg()}
		}
		if resp.GetType() != rpc.CriuReqType_NOTIFY {
			closeFds(received)
			return resp, nil
		}
		nf := resp.GetNotify()
		mfd := -1
		if len(received) > 0 {
			mfd = received[0]
			closeFds(received[1:])
		}
		if notify == nil {
			if mfd >= 0 {
				unix.Close(mfd)
			}
		} else if err := notify(nf.GetScript(), nf.GetPid(), mfd); err != nil {
			return nil, err
		}
		b, err = proto.Marshal(&rpc.CriuReq{Type: rpc.CriuReqType_NOTIFY.Enum(), NotifySuccess: proto.Bool(true)})
		if err != nil {
			return nil, err
		}
	}
}

func receivedFds(oob []byte) []int {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var fds []int
	for _, m := range msgs {
		if f, err := unix.ParseUnixRights(&m); err == nil {
			fds = append(fds, f...)
		}
	}
	return fds
}

func closeFds(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// criuError is CRIU's own refusal or failure of a request.
type criuError struct {
	Type  rpc.CriuReqType
	Errno int32
	Msg   string
}

func (e *criuError) Error() string {
	s := fmt.Sprintf("criu %s failed (errno %d)", criuReqName(e.Type), e.Errno)
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

func criuReqName(t rpc.CriuReqType) string {
	return strings.ReplaceAll(strings.ToLower(t.String()), "_", "-")
}

// criuSimple runs one request without notifications in its own swrk.
func criuSimple(path string, req *rpc.CriuReq) (*rpc.CriuResp, error) {
	s, err := startCriu(path, [3]*os.File{}, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.request(req, nil)
	if cerr := s.close(); err == nil && cerr != nil {
		err = fmt.Errorf("criu swrk: %w", cerr)
	}
	return resp, err
}

// criuVersion asks CRIU its version as major*10000 + minor*100 + sublevel.
func criuVersion(path string) (int, error) {
	resp, err := criuSimple(path, &rpc.CriuReq{Type: rpc.CriuReqType_VERSION.Enum()})
	if err != nil {
		return 0, err
	}
	v := resp.GetVersion()
	if v == nil {
		return 0, errors.New("criu sent no version")
	}
	return versionNumber(v), nil
}

// versionNumber: a git build counts as the next minor release, as CRIU's
// own tools do.
func versionNumber(v *rpc.CriuVersion) int {
	n := int(v.GetMajorNumber())*10000 + int(v.GetMinorNumber())*100 + int(v.GetSublevel())
	if v.GetGitid() != "" {
		n = n - n%100 + 100
	}
	return n
}

// checkCriu asks CRIU's version up front and refuses one older than min.
func checkCriu(path string, min int) (int, error) {
	v, err := criuVersion(path)
	if err != nil {
		return 0, fmt.Errorf("CRIU version check failed: %w", err)
	}
	if v < min {
		return v, fmt.Errorf("CRIU version %d must be %d or higher", v, min)
	}
	return v, nil
}

// checkCriuFeatures asks CRIU whether the kernel and CRIU support what
// want asks for, and names the first missing one.
func checkCriuFeatures(path string, want *rpc.CriuFeatures) error {
	resp, err := criuSimple(path, &rpc.CriuReq{Type: rpc.CriuReqType_FEATURE_CHECK.Enum(), Features: want})
	if err != nil {
		return fmt.Errorf("CRIU feature check failed: %w", err)
	}
	got := resp.GetFeatures()
	if want.GetMemTrack() && !got.GetMemTrack() {
		return errors.New("CRIU does not support MemTrack")
	}
	if want.GetLazyPages() && !got.GetLazyPages() {
		return errors.New("CRIU does not support LazyPages")
	}
	return nil
}

// criuFailure turns a failed request into one line: what failed, the
// cause from CRIU's log, and where the whole log is.
func criuFailure(op string, err error, logPath string) error {
	var ce *criuError
	if !errors.As(err, &ce) {
		return fmt.Errorf("%s: %w", op, err)
	}
	msg := fmt.Sprintf("%s: criu %s failed", op, criuReqName(ce.Type))
	if cause := logCause(logPath); cause != "" {
		msg += ": " + cause
	} else if ce.Msg != "" {
		msg += ": " + ce.Msg
	}
	if ce.Errno != 0 {
		msg += " (" + unix.Errno(ce.Errno).Error() + ")"
	}
	return &CriuError{msg: msg + "; log: " + logPath, err: ce}
}

// CriuError is a failed CRIU request, as one line with the log's path.
type CriuError struct {
	msg string
	err error
}

func (e *CriuError) Error() string { return e.msg }
func (e *CriuError) Unwrap() error { return e.err }

// logCause picks the line of a CRIU log that says why it failed: the last
// "Error (file:line): ..." before the summary ("Dumping FAILED."). The
// first is not it: CRIU logs errors it recovers from (a missing parent
// image for one pagemap) and goes on.
func logCause(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	cause := ""
	for sc.Scan() {
		if s := logErrorText(sc.Text()); s != "" && !strings.HasSuffix(s, "FAILED.") {
			cause = s
		}
	}
	return cause
}

// logErrorText: "(00.023612) Error (criu/vdso.c:381): vdso: Unexpected
// rt vDSO area bounds" → "vdso: Unexpected rt vDSO area bounds".
func logErrorText(line string) string {
	i := strings.Index(line, "Error (")
	if i < 0 {
		return ""
	}
	rest := line[i+len("Error ("):]
	j := strings.Index(rest, "): ")
	if j < 0 {
		return ""
	}
	return strings.TrimSpace(rest[j+3:])
}

// CgroupMode is --manage-cgroups-mode.
type CgroupMode string

// ParseCgroupMode checks a --manage-cgroups-mode value (runc's words for
// anything else).
func ParseCgroupMode(s string) (CgroupMode, error) {
	switch s {
	case "soft", "full", "strict", "ignore":
		return CgroupMode(s), nil
	}
	return "", errors.New("invalid manage-cgroups-mode value")
}

func (m CgroupMode) rpc() rpc.CriuCgMode {
	switch m {
	case "full":
		return rpc.CriuCgMode_FULL
	case "strict":
		return rpc.CriuCgMode_STRICT
	case "ignore":
		return rpc.CriuCgMode_IGNORE
	}
	return rpc.CriuCgMode_SOFT
}

// ParseEmptyNs checks --empty-ns: the network namespace is the one CRIU
// can make empty (the caller fills it, e.g. CNI).
func ParseEmptyNs(s string) (uint32, error) {
	switch s {
	case "":
		return 0, nil
	case "network":
		return unix.CLONE_NEWNET, nil
	}
	return 0, fmt.Errorf("namespace %q is not supported", s)
}

// ParsePageServer checks --page-server ADDRESS:PORT.
func ParsePageServer(s string) (addr string, port int32, err error) {
	if s == "" {
		return "", 0, nil
	}
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		//lint:ignore ST1005 runc 1.5's words, which callers may match
		return "", 0, errors.New("Use --page-server ADDRESS:PORT to specify page server")
	}
	p, err := strconv.ParseUint(s[i+1:], 10, 16)
	if err != nil {
		return "", 0, fmt.Errorf("invalid port number: %w", err)
	}
	return strings.Trim(s[:i], "[]"), int32(p), nil
}

// openDir opens an image or work dir, making it if missing.
func openDir(p string) (*os.File, error) {
	if err := os.MkdirAll(p, 0o700); err != nil {
		return nil, err
	}
	return os.Open(p)
}

// absPath makes a flag's path absolute against the cwd.
func absPath(p, def string) (string, error) {
	if p == "" {
		p = def
	}
	return filepath.Abs(p)
}
