package libcontainer

import (
	"io"
	"log/slog"
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
