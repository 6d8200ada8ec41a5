package smallfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestReadSizes(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{0, 1, 4095, 4096, 4097, 1 << 20} {
		want := bytes.Repeat([]byte{'x'}, n)
		p := filepath.Join(dir, "f")
		if err := os.WriteFile(p, want, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := Read(p)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("size %d: got %d bytes, err %v", n, len(got), err)
		}
	}
}

func TestReadProcFile(t *testing.T) {
	// /proc files report size 0: the whole content must come back anyway.
	got, err := Read("/proc/self/stat")
	if err != nil || len(got) == 0 || !bytes.Contains(got, []byte(")")) {
		t.Fatalf("/proc/self/stat: %q, %v", got, err)
	}
}

func TestReadErrorsAreOsErrors(t *testing.T) {
	_, err := Read(filepath.Join(t.TempDir(), "missing"))
	var pe *fs.PathError
	if !os.IsNotExist(err) || !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) || pe.Op != "open" {
		t.Fatalf("missing file: %#v", err)
	}
	if _, err := Read(t.TempDir()); err == nil {
		t.Fatal("reading a directory: no error")
	}
}
