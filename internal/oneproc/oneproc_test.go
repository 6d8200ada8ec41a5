package oneproc

import (
	"runtime"
	"testing"
)

// The package's init has run by the time a test runs: one P.
func TestOneP(t *testing.T) {
	if n := runtime.GOMAXPROCS(0); n != 1 {
		t.Fatalf("GOMAXPROCS = %d after oneproc's init, want 1", n)
	}
}
