package libcontainer

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// checkPreserveFds bounds --preserve-fds: not negative (a negative count
// once panicked rt or moved the exec fifo onto stderr), and every fd
// 3..3+n-1 open in rt, so a huge count fails at the first missing fd
// instead of growing rt by gigabytes. runc's words for the missing fd.
func checkPreserveFds(n int) error {
	if n < 0 {
		return fmt.Errorf("--preserve-fds: %d is negative", n)
	}
	for i := 0; i < n; i++ {
		var st unix.Stat_t
		if err := unix.Stat("/proc/self/fd/"+strconv.Itoa(3+i), &st); err != nil {
			return fmt.Errorf("unable to stat preserved-fd %d (of %d): %w", i, n, err)
		}
	}
	return nil
}

// checkUserMapped refuses a process user whose uid or gid has no mapping in
// the user namespace of pid (read from the host's /proc, never the
// container's). Without it, uid 4294967295 is setresuid's "-1": "leave
// unchanged", and the workload silently keeps root. runc refuses the same
// ids with the same words.
func checkUserMapped(pid int, u specs.User) error {
	base := "/proc/" + strconv.Itoa(pid) + "/"
	uidMap, err := os.ReadFile(base + "uid_map")
	if err != nil {
		return fmt.Errorf("read uid_map of the container process: %w", err)
	}
	gidMap, err := os.ReadFile(base + "gid_map")
	if err != nil {
		return fmt.Errorf("read gid_map of the container process: %w", err)
	}
	if !idMapped(string(uidMap), u.UID) {
		return fmt.Errorf("cannot setuid to unmapped uid %d in user namespace", u.UID)
	}
	if !idMapped(string(gidMap), u.GID) {
		return fmt.Errorf("cannot setgid to unmapped gid %d in user namespace", u.GID)
	}
	return nil
}

// idMapped says whether id lies in one of the "inside outside count" lines
// of a uid_map or gid_map.
func idMapped(maps string, id uint32) bool {
	for _, line := range strings.Split(maps, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		inside, err1 := strconv.ParseUint(f[0], 10, 32)
		count, err2 := strconv.ParseUint(f[2], 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		if uint64(id) >= inside && uint64(id) < inside+count {
			return true
		}
	}
	return false
}
