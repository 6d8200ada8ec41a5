package libcontainer

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// pipeClosedByReceiver says whether every copy of the pipe's write end but
// the sender's was closed: after the sender closes its own, the read end
// sees EOF.
func pipeClosedByReceiver(t *testing.T, r, w int) bool {
	t.Helper()
	unix.Close(w)
	if err := unix.SetNonblock(r, true); err != nil {
		t.Fatal(err)
	}
	n, err := unix.Read(r, make([]byte, 1))
	return n == 0 && err == nil
}

// An fd attached to a message that carries none (here "hooks" when no
// hooks are expected, and "ready") is closed by the parent.
func TestHandshakeClosesUnexpectedFds(t *testing.T) {
	for _, typ := range []syncType{syncHooks, syncReady, syncError} {
		t.Run(string(typ), func(t *testing.T) {
			fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fds[1])
			var pipe [2]int
			if err := unix.Pipe2(pipe[:], unix.O_CLOEXEC); err != nil {
				t.Fatal(err)
			}
			defer unix.Close(pipe[0])
			go func() {
				if _, _, err := readSync(fds[1]); err != nil {
					return
				}
				writeSync(fds[1], syncMsg{Type: typ, Error: "boom"}, pipe[1])
			}()
			p := &parentProcess{sock: fds[0], console: -1, initPid: unix.Getpid(),
				log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			cfg := &initConfig{Spec: &specs.Spec{Process: &specs.Process{}}}
			_, err = p.handshake(cfg, "", specs.State{}, nil)
			p.close()
			if typ != syncReady && err == nil {
				t.Fatalf("handshake took %q without a hooks callback", typ)
			}
			if !pipeClosedByReceiver(t, pipe[0], pipe[1]) {
				t.Fatalf("fd attached to %q left open in the parent", typ)
			}
		})
	}
}

func TestWriteSyncRefusesOversize(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	m := syncMsg{Type: syncError, Error: strings.Repeat("x", maxSyncSize)}
	if err := writeSync(fds[0], m, -1); err == nil || !strings.Contains(err.Error(), "larger than 64 MiB") {
		t.Fatalf("writeSync of an oversize message: %v", err)
	}
}

// An error the init met carries its errno to the parent: errors.Is holds
// there, and the text is the init's, unchanged.
func TestInitErrorCarriesErrno(t *testing.T) {
	cause := fmt.Errorf("chdir to cwd (%q) set in config.json failed: %w", "/missing", unix.ENOENT)
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[1])
	go func() {
		if _, _, err := readSync(fds[1]); err != nil {
			return
		}
		writeSync(fds[1], syncErrorMsg(cause), -1)
	}()
	p := &parentProcess{sock: fds[0], console: -1, initPid: unix.Getpid(),
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	defer p.close()
	cfg := &initConfig{Spec: &specs.Spec{Process: &specs.Process{}}}
	_, err = p.handshake(cfg, "", specs.State{}, nil)
	if err == nil || err.Error() != cause.Error() {
		t.Fatalf("handshake error %v, want the init's text %q", err, cause)
	}
	if !errors.Is(err, unix.ENOENT) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("errors.Is(%v, ENOENT) is false in the parent", err)
	}
	if errors.Is(err, unix.EPERM) {
		t.Fatal("the error matches an errno it does not carry")
	}
	// Without an errno, none is made up.
	if err := initError(syncErrorMsg(errors.New("plain"))); errors.Unwrap(err) != nil {
		t.Fatalf("an error without errno unwraps to %v", errors.Unwrap(err))
	}
}

// Stage 0's "error <errno> <text>" line.
func TestStage0Error(t *testing.T) {
	for _, tc := range []struct {
		line, msg string
		errno     unix.Errno
	}{
		{"2 open namespace /proc/1/ns/net: No such file or directory", "open namespace /proc/1/ns/net: No such file or directory", unix.ENOENT},
		{"0 nsenter: bad ns line", "nsenter: bad ns line", 0},
		{"not a number", "not a number", 0},
	} {
		err := stage0Error(tc.line)
		var ie *InitError
		if !errors.As(err, &ie) || ie.Msg != tc.msg || ie.Errno != tc.errno || err.Error() != tc.msg {
			t.Errorf("stage0Error(%q) = %#v, want %q with errno %d", tc.line, err, tc.msg, tc.errno)
		}
	}
	if !errors.Is(stage0Error("1 setns: Operation not permitted"), unix.EPERM) {
		t.Error("stage 0's errno is lost")
	}
}

// The child's fds: preserved ones first, then each file given in its
// place, the sync socket last (stage 0 closes everything above it).
func TestLayoutFds(t *testing.T) {
	f := func(name string) *os.File { return os.NewFile(1000, name) } // never used as an fd
	fifo, result, root, logw, sock := f("fifo"), f("result"), f("root"), f("log"), f("sock")
	l := layoutFds(2, fifo, result, nil, logw, sock)
	if l.fifo != 5 || l.result != 6 || l.root != -1 || l.log != 7 || l.socket != 8 || len(l.files) != 6 {
		t.Fatalf("create layout: %+v", l)
	}
	if l.files[0].Fd() != 3 || l.files[1].Fd() != 4 || l.files[2] != fifo || l.files[5] != sock {
		t.Fatalf("create files: %v", l.files)
	}
	l = layoutFds(0, nil, nil, root, logw, sock)
	if l.fifo != -1 || l.result != -1 || l.root != 3 || l.log != 4 || l.socket != 5 || len(l.files) != 3 {
		t.Fatalf("exec layout: %+v", l)
	}
}

// The init's lines come out of the parent's logger at their level; a line
// that is not JSON is still passed on.
func TestForwardLogs(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	done := forwardLogs(r, log)
	fmt.Fprintln(w, `{"level":"debug","msg":"init: sync: send hooks"}`)
	fmt.Fprintln(w, `{"level":"warning","msg":"init: careful"}`)
	fmt.Fprintln(w, `garbage`)
	w.Close()
	<-done
	out := buf.String()
	for _, want := range []string{`"level":"DEBUG","msg":"init: sync: send hooks"`, `"level":"WARN","msg":"init: careful"`,
		`"level":"WARN","msg":"init: garbage"`} {
		if !strings.Contains(out, want) {
			t.Errorf("forwarded log lacks %s:\n%s", want, out)
		}
	}
}
