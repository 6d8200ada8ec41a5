// Command capprobe is a static test helper for caps2.bats, run inside a
// container (busybox has no capsh):
//
//	capprobe ids          print "uid=U euid=E"
//	capprobe bind PORT    bind TCP 0.0.0.0:PORT, print "bind ok" or "bind ERRNO"
//	capprobe regain N     try to get capability N back four ways, one line each:
//	                      "effective ok|ERRNO", "permitted ...", "inheritable ...",
//	                      "ambient ...", then "bounding 0|1" (PR_CAPBSET_READ)
//
// Every attempt runs on one locked OS thread, since capabilities are per
// thread.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

func main() {
	runtime.LockOSThread()
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "ids":
		fmt.Printf("uid=%d euid=%d\n", unix.Getuid(), unix.Geteuid())
	case "bind":
		if len(os.Args) != 3 {
			usage()
		}
		port, err := strconv.Atoi(os.Args[2])
		if err != nil {
			usage()
		}
		fmt.Println("bind", result(bindPort(port)))
	case "regain":
		if len(os.Args) != 3 {
			usage()
		}
		n, err := strconv.Atoi(os.Args[2])
		if err != nil || n < 0 || n > 63 {
			usage()
		}
		regain(n)
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: capprobe ids | bind PORT | regain CAPNUMBER")
	os.Exit(2)
}

func result(err error) string {
	if err == nil {
		return "ok"
	}
	var errno unix.Errno
	if errors.As(err, &errno) {
		return unix.ErrnoName(errno)
	}
	return err.Error()
}

func bindPort(port int) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	return unix.Bind(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{}})
}

func capget() (unix.CapUserHeader, [2]unix.CapUserData, error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	err := unix.Capget(&hdr, &data[0])
	return hdr, data, err
}

// addCap tries capset with bit n added to the sets pick selects, then puts
// the sets back as they were.
func addCap(n int, pick func(d *unix.CapUserData) *uint32) error {
	hdr, data, err := capget()
	if err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	orig := data
	*pick(&data[n/32]) |= 1 << uint(n%32)
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return err
	}
	return unix.Capset(&hdr, &orig[0])
}

func regain(n int) {
	fmt.Println("effective", result(addCap(n, func(d *unix.CapUserData) *uint32 { return &d.Effective })))
	fmt.Println("permitted", result(addCap(n, func(d *unix.CapUserData) *uint32 { return &d.Permitted })))
	fmt.Println("inheritable", result(addCap(n, func(d *unix.CapUserData) *uint32 { return &d.Inheritable })))
	fmt.Println("ambient", result(unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(n), 0, 0)))
	in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(n), 0, 0, 0)
	if err != nil {
		fmt.Println("bounding", result(err))
		return
	}
	fmt.Println("bounding", in)
}
