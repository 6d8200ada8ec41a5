package seccomp

import (
	"fmt"

	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

const (
	// enosysWindow is how far above the profile's largest syscall number
	// the names libseccomp knows are looked for. Syscall tables have gaps
	// (x86_64 jumps from 334 to 387), so it is wide.
	enosysWindow = 1024
	// enosysHeadroom is how many raw numbers past the newest syscall
	// libseccomp knows get ENOSYS on the native architecture.
	enosysHeadroom = 64
)

// wantsENOSYS: only an errno default is turned into ENOSYS for new
// syscalls; a kill or trap default stays what the profile says.
func wantsENOSYS(def libseccomp.ScmpAction) bool {
	return def&0xffff == libseccomp.ActErrno && def.GetReturnCode() != int16(unix.ENOSYS)
}

// addENOSYS gives every syscall numbered above maxNr on arch an ENOSYS rule
// (see the package comment). Rules are added exactly, so libseccomp does not
// rewrite them (on x86 it would also match socketcall/ipc multiplexers,
// whose own number may be below maxNr).
func addENOSYS(f *libseccomp.ScmpFilter, arch libseccomp.ScmpArch, native bool, maxNr int) error {
	act := libseccomp.ActErrno.SetReturnCode(int16(unix.ENOSYS))
	highest := maxNr
	named := make(map[int]bool)
	for n := maxNr + 1; n <= maxNr+enosysWindow; n++ {
		name, err := libseccomp.ScmpSyscall(n).GetNameByArch(arch)
		if err != nil {
			continue
		}
		nr := libseccomp.ScmpSyscall(n)
		if !native {
			// Rules are written in native numbering (or libseccomp's
			// pseudo numbers); libseccomp translates them by name.
			if nr, err = libseccomp.GetSyscallFromName(name); err != nil {
				continue
			}
		}
		if err := f.AddRuleExact(nr, act); err != nil {
			return fmt.Errorf("seccomp ENOSYS rule for %q on %s: %w", name, arch, err)
		}
		named[n] = true
		highest = n
	}
	if !native {
		return nil
	}
	for n := maxNr + 1; n <= highest+enosysHeadroom; n++ {
		if named[n] {
			continue
		}
		if err := f.AddRuleExact(libseccomp.ScmpSyscall(n), act); err != nil {
			return fmt.Errorf("seccomp ENOSYS rule for syscall %d on %s: %w", n, arch, err)
		}
	}
	return nil
}
