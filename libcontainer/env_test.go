package libcontainer

import (
	"reflect"
	"strings"
	"testing"
)

func TestPasswdHome(t *testing.T) {
	const passwd = "root:x:0:0:root:/root:/bin/sh\n\n  user:x:1000:1000::/home/user:/bin/sh  \nbad line\nshort:x:7\ndup:x:1000:1:::\n"
	for _, tc := range []struct {
		uid  uint32
		home string
		ok   bool
	}{{0, "/root", true}, {1000, "/home/user", true}, {7, "", false}, {4242, "", false}} {
		home, ok := passwdHome(strings.NewReader(passwd), tc.uid)
		if home != tc.home || ok != tc.ok {
			t.Errorf("uid %d: got %q %v, want %q %v", tc.uid, home, ok, tc.home, tc.ok)
		}
	}
}

func TestPrepareEnvDedupAndHome(t *testing.T) {
	// No /etc/passwd entry for this uid on any test host is needed: HOME is set.
	got := prepareEnv([]string{"A=1", "HOME=", "B=x\ny", "A=3", "HOME=/h"}, 0)
	want := []string{"B=x\ny", "A=3", "HOME=/h"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	got = prepareEnv([]string{"HOME=/h", "A=1", "HOME="}, 4294967294)
	if len(got) != 2 || got[0] != "A=1" || !strings.HasPrefix(got[1], "HOME=") || got[1] == "HOME=" {
		t.Errorf("an empty last HOME is replaced from passwd or /: got %q", got)
	}
}

func TestValidateEnv(t *testing.T) {
	for _, e := range []string{"NOEQ", "=x", "A=b\x00c"} {
		if err := validateEnv([]string{"OK=1", e}, "process"); err == nil || !strings.Contains(err.Error(), "process.env[1]") {
			t.Errorf("%q: got %v", e, err)
		}
	}
	if err := validateEnv([]string{"A=", "B=multi\nline", "C==="}, "process"); err != nil {
		t.Error(err)
	}
}
