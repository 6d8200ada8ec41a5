package cgfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteRead(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("old value that is longer\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Write truncates, as a control file write replaces the value.
	if err := Write(dir, "f", "12345\n"); err != nil {
		t.Fatal(err)
	}
	if got, err := Read(dir, "f"); err != nil || got != "12345" {
		t.Errorf("Read = %q, %v; want \"12345\"", got, err)
	}
	// A file larger than the first read buffer (memory.stat, cgroup.procs).
	long := strings.Repeat("pid 4194304\n", 2000)
	if err := os.WriteFile(filepath.Join(dir, "big"), []byte(long), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := Read(dir, "big"); err != nil || got != strings.TrimRight(long, "\n") {
		t.Errorf("Read of %d bytes = %d bytes, %v", len(long), len(got), err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := Read(dir, "empty"); err != nil || got != "" {
		t.Errorf("Read of an empty file = %q, %v", got, err)
	}
}

func TestErrorsNameFileAndValue(t *testing.T) {
	dir := t.TempDir()
	err := Write(dir, "missing", "max")
	want := "write " + filepath.Join(dir, "missing") + `: "max": no such file or directory`
	if err == nil || err.Error() != want {
		t.Errorf("Write error = %v; want %s", err, want)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Write error %v is not os.ErrNotExist", err)
	}
	_, err = Read(dir, "missing")
	want = "read " + filepath.Join(dir, "missing") + ": no such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("Read error = %v; want %s", err, want)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Read error %v is not os.ErrNotExist", err)
	}
	// A directory opens for reading but read(2) fails: the errno, named.
	if _, err := Read(dir, ""); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("Read of a directory = %v; want EISDIR", err)
	}
}
