// Command sysprobe makes each raw syscall named by number on its command
// line, with zero arguments, and prints "NR:0" when it succeeds or
// "NR:-ERRNO" when it fails, one per line: what a seccomp filter answers.
// Built static by seccomp_enosys.bats (busybox has no such tool).
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
)

func main() {
	for _, a := range os.Args[1:] {
		nr, err := strconv.ParseUint(a, 10, 64)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sysprobe:", err)
			os.Exit(2)
		}
		_, _, errno := syscall.RawSyscall6(uintptr(nr), 0, 0, 0, 0, 0, 0)
		fmt.Printf("%d:%d\n", nr, -int(errno))
	}
}
