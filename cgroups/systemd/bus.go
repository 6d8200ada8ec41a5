package systemd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// Bus is the systemd manager a Manager talks to: the system's (PID 1, for
// root) or the calling user's own (systemd --user, for a rootless caller).
type Bus int

const (
	SystemBus Bus = iota
	UserBus
)

// errNoUserBus is runc's hint for a user bus it cannot reach, followed by
// the cause.
const errNoUserBus = "failed to connect to dbus (hint: for rootless containers, maybe you need to install dbus-user-session package, see https://github.com/opencontainers/runc/blob/master/docs/cgroup-v2.md)"

// dialBus connects to the bus b, waiting at most until ctx is done.
func dialBus(ctx context.Context, b Bus) (*sd.Conn, error) {
	if b == UserBus {
		c, err := dialUser(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", errNoUserBus, err)
		}
		return c, nil
	}
	c, err := dial(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to systemd over D-Bus: %w", err)
	}
	return c, nil
}

// dialUser connects to the user's manager: the bus at
// userBusAddress, authenticated (EXTERNAL) as the user's uid on the host,
// which inside a user namespace is not getuid() (see busOwnerUID).
func dialUser(ctx context.Context) (*sd.Conn, error) {
	addr, err := userBusAddress(os.Getenv, os.Stat)
	if err != nil {
		return nil, err
	}
	uid := os.Getuid()
	if inUserNamespace() {
		if uid, err = busOwnerUID(ctx); err != nil {
			return nil, err
		}
	}
	// go-systemd dials twice (one connection for calls, one for signals).
	// Not with ctx: godbus closes a connection when its context is done.
	return sd.NewConnection(func() (*dbus.Conn, error) {
		conn, err := dbus.Dial(addr)
		if err != nil {
			return nil, fmt.Errorf("dial %q: %w", addr, err)
		}
		if err := conn.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(uid))}); err != nil {
			conn.Close()
			return nil, fmt.Errorf("authenticate to %q as uid %d: %w", addr, uid, err)
		}
		if err := conn.Hello(); err != nil {
			conn.Close()
			return nil, fmt.Errorf("hello to %q as uid %d: %w", addr, uid, err)
		}
		return conn, nil
	})
}

// userBusAddress is runc's rule for the user's bus: $DBUS_SESSION_BUS_ADDRESS,
// else $XDG_RUNTIME_DIR/bus if that exists (dbus-user-session's socket).
func userBusAddress(getenv func(string) string, stat func(string) (os.FileInfo, error)) (string, error) {
	if a := getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" {
		return a, nil
	}
	if d := getenv("XDG_RUNTIME_DIR"); d != "" {
		p := filepath.Join(d, "bus")
		if _, err := stat(p); err == nil {
			return "unix:path=" + dbus.EscapeBusAddressValue(p), nil
		}
	}
	return "", errors.New("could not detect DBUS_SESSION_BUS_ADDRESS from the environment; make sure you have installed the dbus-user-session or dbus-daemon package; note you may need to re-login")
}

// busOwnerUID is the host uid that owns the user's bus, as
// `busctl --user status` reports it (OwnerUID=): what a caller inside a
// user namespace (rootlesskit's) must authenticate as, since the bus
// daemon sees its host uid through SO_PEERCRED.
func busOwnerUID(ctx context.Context) (int, error) {
	out, err := exec.CommandContext(ctx, "busctl", "--user", "--no-pager", "status").CombinedOutput()
	if err != nil {
		return -1, fmt.Errorf("could not execute `busctl --user --no-pager status` (output: %q): %w", out, err)
	}
	return parseOwnerUID(out)
}

func parseOwnerUID(out []byte) (int, error) {
	s := bufio.NewScanner(bytes.NewReader(out))
	for s.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(s.Text()), "OwnerUID="); ok {
			uid, err := strconv.Atoi(v)
			if err != nil {
				return -1, fmt.Errorf("could not detect the OwnerUID: %w", err)
			}
			return uid, nil
		}
	}
	return -1, errors.New("could not detect the OwnerUID")
}

// inUserNamespace says whether this process runs in a user namespace other
// than the initial one (whose uid_map is "0 0 4294967295").
func inUserNamespace() bool {
	b, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	return !(len(f) == 3 && f[0] == "0" && f[1] == "0" && f[2] == "4294967295")
}

// ManagerCgroup is the cgroup of the manager behind the bus ("" for the
// system's; "/user.slice/user-1000.slice/user@1000.service" for a user's):
// a user manager's units live under it.
func (m *Manager) ManagerCgroup() (string, error) {
	if m.bus != UserBus {
		return "", nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
	defer cancel()
	c, err := m.connect(ctx)
	if err != nil {
		return "", err
	}
	v, err := c.GetManagerProperty("ControlGroup")
	if err != nil {
		return "", fmt.Errorf("read the ControlGroup of the user's systemd: %w", err)
	}
	cg := strings.Trim(v, `"`)
	if !strings.HasPrefix(cg, "/") || strings.Contains(cg, "..") {
		return "", fmt.Errorf("the user's systemd runs in cgroup %q, not an absolute path", cg)
	}
	return filepath.Clean(cg), nil
}
