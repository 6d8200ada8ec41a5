package libcontainer

import (
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseMountOptions(t *testing.T) {
	m, err := parseMountOptions([]string{"ro", "nosuid", "nodev", "noexec", "rbind", "rslave", "mode=755", "size=1k", "rw", "strictatime"})
	if err != nil {
		t.Fatal(err)
	}
	wantFlags := uintptr(unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_BIND | unix.MS_REC | unix.MS_STRICTATIME)
	if m.flags != wantFlags {
		t.Errorf("flags = %#x, want %#x (rw after ro clears MS_RDONLY)", m.flags, wantFlags)
	}
	if m.clear&unix.MS_RDONLY == 0 {
		t.Error("rw should be recorded as cleared")
	}
	if !reflect.DeepEqual(m.propagation, []uintptr{unix.MS_SLAVE | unix.MS_REC}) {
		t.Errorf("propagation = %v", m.propagation)
	}
	if !reflect.DeepEqual(m.data, []string{"mode=755", "size=1k"}) {
		t.Errorf("data = %v", m.data)
	}
	m, err = parseMountOptions([]string{"rro", "rnosuid", "rnoatime"})
	if err != nil {
		t.Fatal(err)
	}
	if m.recAttr == nil || m.recAttr.Attr_set != unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NOATIME {
		t.Errorf("recursive attrs = %+v", m.recAttr)
	}
	if m, err := parseMountOptions([]string{"tmpcopyup", "size=1m"}); err != nil || !m.copyUp || len(m.data) != 1 {
		t.Errorf("tmpcopyup: %+v, %v", m, err)
	}
	for _, bad := range []string{"X-mount.mkdir"} {
		if _, err := parseMountOptions([]string{bad}); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}
