package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"
)

// rootlessCgroups resolves --rootless as runc does: true or false (any
// spelling strconv.ParseBool takes), or auto (or empty): on for a non-root
// user, and for root inside a user namespace (which owns no cgroup of the
// host). Only the commands that make a container read it, as in runc.
func rootlessCgroups(c *cli.Context) (bool, error) {
	return parseRootless(c.String("rootless"), os.Geteuid(), inUserNamespace)
}

func parseRootless(v string, euid int, inUserNS func() bool) (bool, error) {
	if v != "" && v != "auto" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("--rootless: %w", err)
		}
		return b, nil
	}
	if euid != 0 {
		return true, nil
	}
	return inUserNS(), nil
}

// inUserNamespace says whether rt runs in a user namespace other than the
// initial one, whose uid_map is the single line "0 0 4294967295".
func inUserNamespace() bool {
	b, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false
	}
	var inside, outside, size uint64
	if n, _ := fmt.Sscan(string(b), &inside, &outside, &size); n != 3 {
		return true
	}
	return !(inside == 0 && outside == 0 && size == 4294967295)
}

// xdgRoot is the default --root of a user: $XDG_RUNTIME_DIR/rt, where
// runc's is $XDG_RUNTIME_DIR/runc. It is used, as runc's rule goes, by a
// non-root user, and by root in a user namespace unless $USER is root;
// "" otherwise (the default is then /run/rt).
func xdgRoot() string {
	d := os.Getenv("XDG_RUNTIME_DIR")
	if d == "" {
		return ""
	}
	if os.Geteuid() != 0 {
		return d + "/rt"
	}
	if !inUserNamespace() {
		return ""
	}
	if u, ok := os.LookupEnv("USER"); ok && u == "root" {
		return ""
	}
	return d + "/rt"
}

// makeXDGRoot creates the default root under $XDG_RUNTIME_DIR, 0700 and
// sticky: the XDG spec lets the session's manager remove what has neither
// been touched for 6 hours nor carries the sticky bit. The mode is set on
// the dir opened without following a link.
func makeXDGRoot(root string) error {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return fmt.Errorf("%s: the path in $XDG_RUNTIME_DIR must be writable by the user: %w", root, err)
	}
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err == nil {
		err = unix.Fchmod(fd, 0o700|unix.S_ISVTX)
		unix.Close(fd)
	}
	if err != nil {
		return fmt.Errorf("%s: check the permissions of the path in $XDG_RUNTIME_DIR: %w", root, err)
	}
	return nil
}
