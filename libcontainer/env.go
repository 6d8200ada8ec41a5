package libcontainer

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/rt-runtime/rt/libcontainer/internal/pathsafe"
)

// maxPasswdSize bounds what is read of the container's /etc/passwd: the
// image is hostile and a huge file must not stall or bloat the init.
const maxPasswdSize = 4 << 20

// prepareEnv is the workload's environment as runc builds it: each
// variable once, its last value winning, in the order of those last
// occurrences; an empty HOME counts as unset, and an unset HOME is taken
// from the container's /etc/passwd for uid (or "/"), appended last.
func prepareEnv(env []string, uid uint32) []string {
	out, hasHome := dedupeEnv(env)
	if !hasHome {
		out = append(out, "HOME="+homeDir(uid))
	}
	return out
}

// dedupeEnv is prepareEnv without the look-up of HOME (the parent's part
// of it, for a plan): the variables and whether HOME is among them.
func dedupeEnv(env []string) ([]string, bool) {
	seen := make(map[string]bool, len(env))
	out := make([]string, 0, len(env)+1)
	for i := len(env) - 1; i >= 0; i-- {
		key, val, _ := strings.Cut(env[i], "=")
		if seen[key] {
			continue
		}
		seen[key] = true
		if key == "HOME" && val == "" {
			continue
		}
		out = append(out, env[i])
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, hasVar(out, "HOME")
}

func hasVar(env []string, key string) bool {
	for _, e := range env {
		if k, _, _ := strings.Cut(e, "="); k == key {
			return true
		}
	}
	return false
}

// homeDir is the home of uid in the container's /etc/passwd, "/" when the
// file or the entry is missing or unreadable. The init runs with the
// container's root as "/" (after pivot_root, or joined for exec), and the
// file is opened beneath it with RESOLVE_IN_ROOT: a symlink planted in the
// image resolves inside the container; a FIFO or device is not read.
func homeDir(uid uint32) string {
	root, err := os.OpenFile("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "/"
	}
	defer root.Close()
	f, err := pathsafe.OpenInRootFlags(root, "/etc/passwd", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY)
	if err != nil {
		return "/"
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return "/"
	}
	home, ok := passwdHome(io.LimitReader(f, maxPasswdSize), uid)
	if !ok {
		return "/"
	}
	return home
}

// passwdHome finds the home field of the first passwd(5) entry for uid.
func passwdHome(r io.Reader, uid uint32) (string, bool) {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 4096), 64<<10)
	want := strconv.FormatUint(uint64(uid), 10)
	for s.Scan() {
		line := bytes.TrimSpace(s.Bytes())
		if len(line) == 0 {
			continue
		}
		// name:password:uid:gid:gecos:home:shell
		f := strings.SplitN(string(line), ":", 7)
		if len(f) < 6 {
			continue
		}
		if n, err := strconv.ParseUint(f[2], 10, 32); err == nil && strconv.FormatUint(n, 10) == want {
			return f[5], true
		}
	}
	return "", false
}

// validateEnv checks process.env as runc's init would, but up front.
func validateEnv(env []string, field string) error {
	for i, e := range env {
		key, _, ok := strings.Cut(e, "=")
		switch {
		case !ok:
			return fmt.Errorf("%s.env[%d]: %q is not KEY=VALUE", field, i, e)
		case key == "":
			return fmt.Errorf("%s.env[%d]: %q: the variable name is empty", field, i, e)
		case strings.IndexByte(e, 0) >= 0:
			return fmt.Errorf("%s.env[%d]: variable %q contains a NUL byte", field, i, key)
		}
	}
	return nil
}
