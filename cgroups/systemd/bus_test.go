package systemd

import (
	"io/fs"
	"os"
	"strings"
	"testing"
)

func TestUserBusAddress(t *testing.T) {
	exists := func(string) (os.FileInfo, error) { return nil, nil }
	missing := func(string) (os.FileInfo, error) { return nil, fs.ErrNotExist }
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		env  map[string]string
		stat func(string) (os.FileInfo, error)
		want string
	}{
		{map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x", "XDG_RUNTIME_DIR": "/run/user/1"}, exists, "unix:path=/x"},
		{map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}, exists, "unix:path=/run/user/1000/bus"},
		// A path with characters D-Bus addresses escape.
		{map[string]string{"XDG_RUNTIME_DIR": "/tmp/a b"}, exists, "unix:path=/tmp/a%20b/bus"},
		{map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}, missing, ""},
		{map[string]string{}, exists, ""},
	} {
		got, err := userBusAddress(env(tc.env), tc.stat)
		if tc.want == "" {
			if err == nil || !strings.Contains(err.Error(), "could not detect DBUS_SESSION_BUS_ADDRESS") {
				t.Errorf("%v: got %q, %v; want runc's error", tc.env, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%v: got %q, %v; want %q", tc.env, got, err, tc.want)
		}
	}
}

func TestParseOwnerUID(t *testing.T) {
	out := "BusAddress=unix:path=/run/user/1000/bus\nBusAddressVersion=0\n  OwnerUID=1000\nUID=0\n"
	if uid, err := parseOwnerUID([]byte(out)); err != nil || uid != 1000 {
		t.Errorf("got %d, %v; want 1000", uid, err)
	}
	for _, bad := range []string{"UID=0\n", "OwnerUID=x\n", ""} {
		if uid, err := parseOwnerUID([]byte(bad)); err == nil {
			t.Errorf("%q: got %d, want an error", bad, uid)
		}
	}
}

func TestDefaultUserSlice(t *testing.T) {
	u, err := ParseCgroupsPathIn("", "c1", DefaultUserSlice)
	if err != nil || u.Slice != "user.slice" || u.Name != "rt-c1.scope" || u.Path() != "/user.slice/rt-c1.scope" {
		t.Errorf("got %+v %q, %v", u, u.Path(), err)
	}
	u, err = ParseCgroupsPathIn(":p:c2", "c2", DefaultUserSlice)
	if err != nil || u.Path() != "/user.slice/p-c2.scope" {
		t.Errorf("got %+v, %v", u, err)
	}
	u, err = ParseCgroupsPathIn("a-b.slice:p:c3", "c3", DefaultUserSlice)
	if err != nil || u.Path() != "/a.slice/a-b.slice/p-c3.scope" {
		t.Errorf("got %+v, %v", u, err)
	}
}
