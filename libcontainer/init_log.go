package libcontainer

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// The init's log lines go to the parent, never to the container's stderr
// (which is the workload's): one JSON object a line, {"level","msg"}, on
// the write end of a pipe the parent gave it (_RT_LOGPIPE). The parent
// re-emits each line through its own logger, so they reach --log in
// --log-format at their level, as runc forwards its init's. The init
// closes the pipe before its last sync message (ready or error): the
// parent reads it to the end before it goes on, so no line is lost or
// printed after rt's own error.

const (
	envLogPipe = "_RT_LOGPIPE"
	// envDebug asks the init for its debug lines too (rt --debug).
	envDebug = "_RT_DEBUG"
)

// initLog is the init's end of the log pipe (-1: none, or closed).
var initLog = struct {
	fd    int
	debug bool
}{fd: -1}

// openInitLog takes the log pipe from the environment. It is close-on-exec
// at once: no hook the init runs, and not the workload, inherits it.
func openInitLog() {
	fd, err := strconv.Atoi(os.Getenv(envLogPipe))
	if err == nil && fd > 2 {
		unix.CloseOnExec(fd)
		initLog.fd = fd
	}
	initLog.debug = os.Getenv(envDebug) != ""
	os.Unsetenv(envLogPipe)
	os.Unsetenv(envDebug)
}

// closeInitLog ends the init's logging: the parent sees EOF.
func closeInitLog() {
	if initLog.fd >= 0 {
		unix.Close(initLog.fd)
		initLog.fd = -1
	}
}

// logLine sends one line at level ("debug", "info", "warning", "error").
func logLine(level, msg string) {
	if initLog.fd < 0 || (level == "debug" && !initLog.debug) {
		return
	}
	b, err := json.Marshal(struct {
		Level string `json:"level"`
		Msg   string `json:"msg"`
	}{level, "init: " + msg})
	if err != nil {
		return
	}
	// A line of at most PIPE_BUF bytes is written atomically; a longer
	// one still arrives whole, as only the init writes here.
	if writeAll(initLog.fd, append(b, '\n')) != nil {
		closeInitLog()
	}
}

// debugf logs a debug line of the init (only with rt --debug).
func debugf(format string, args ...any) {
	if initLog.debug {
		logLine("debug", fmt.Sprintf(format, args...))
	}
}

// initSend and initExpect are the init's side of the framed
// protocol, with a debug line for each message (the parent logs its own).
func initSend(sock int, m syncMsg, fd int) error {
	debugf("sync: send %s", m.Type)
	return writeSync(sock, m, fd)
}

func initExpect(sock int, want syncType) (syncMsg, error) {
	m, _, err := expectSync(sock, want)
	if err == nil {
		debugf("sync: received %s", m.Type)
	}
	return m, err
}
