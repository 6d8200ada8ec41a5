package libcontainer

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// goBuildID reads the build id that `go tool buildid` prints.
func TestGoBuildID(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	got, err := goBuildID(self)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "tool", "buildid", self).Output()
	if err != nil {
		t.Skipf("go tool buildid: %v", err)
	}
	if want := strings.TrimSpace(string(out)); got != want {
		t.Fatalf("goBuildID = %q, want %q", got, want)
	}
	if _, err := goBuildID("/proc/self/status"); err == nil {
		t.Fatal("goBuildID of a text file did not fail")
	}
}
