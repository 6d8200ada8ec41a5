// Package signals names signals as runc's kill and the test tools take them.
package signals

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ParseSignal accepts a signal as a name with or without SIG ("KILL",
// "SIGKILL", "sigkill") or as a number ("9").
func ParseSignal(s string) (unix.Signal, error) {
	// A number goes to kill(2) as it is, as runc's does: 0 checks that the
	// process exists, and the kernel refuses what is out of range.
	if n, err := strconv.Atoi(s); err == nil {
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	// Real-time signals: SIGRTMIN+n, SIGRTMAX-n.
	if rest, ok := strings.CutPrefix(name, "SIGRTMIN"); ok {
		return rtSignal(34, rest, 1, s)
	}
	if rest, ok := strings.CutPrefix(name, "SIGRTMAX"); ok {
		return rtSignal(64, rest, -1, s)
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}

func rtSignal(base int, rest string, dir int, orig string) (unix.Signal, error) {
	if rest == "" {
		return unix.Signal(base), nil
	}
	sign := "+"
	if dir < 0 {
		sign = "-"
	}
	n, err := strconv.Atoi(strings.TrimPrefix(rest, sign))
	if err != nil || !strings.HasPrefix(rest, sign) || n < 0 || base+dir*n < 34 || base+dir*n > 64 {
		return 0, fmt.Errorf("unknown signal %q", orig)
	}
	return unix.Signal(base + dir*n), nil
}
