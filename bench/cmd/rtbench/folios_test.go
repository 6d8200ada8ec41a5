package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestFoliosProbe builds bench/c/folios.c and runs it on a file it writes:
// one line, the file's size, and KiB per folio order adding up to it.
func TestFoliosProbe(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("folios reads /proc/kpageflags: needs root")
	}
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "folios")
	if out, err := exec.Command(gcc, "-O2", "-Wall", "-Wextra", "-Werror", "-o", bin, "../../c/folios.c").CombinedOutput(); err != nil {
		t.Fatalf("build folios.c: %v\n%s", err, out)
	}
	file := filepath.Join(dir, "data")
	if err := os.WriteFile(file, make([]byte, 1<<20+4096), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, file).Output()
	if err != nil {
		t.Fatalf("folios %s: %v", file, err)
	}
	line := strings.TrimSpace(string(out))
	m := regexp.MustCompile(`^(\d+) KiB((?: o\d+=\d+)+) (\S+)$`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("folios printed %q", line)
	}
	if m[1] != "1028" || m[3] != file {
		t.Errorf("folios printed %q: want size 1028 KiB and the path", line)
	}
	sum := 0
	for _, f := range strings.Fields(m[2]) {
		n, _ := strconv.Atoi(f[strings.IndexByte(f, '=')+1:])
		sum += n
	}
	if sum != 1028 {
		t.Errorf("folios printed %q: orders add up to %d KiB, want 1028", line, sum)
	}
	if out, err := exec.Command(bin, filepath.Join(dir, "missing")).CombinedOutput(); err == nil {
		t.Errorf("folios of a missing file succeeded: %s", out)
	}
}
