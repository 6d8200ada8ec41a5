package pathsafe

import (
	"os"
	"path/filepath"
	"testing"
)

func TestInRootStaysInside(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	outside := filepath.Join(dir, "outside")
	for _, d := range []string{root, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// An absolute symlink and a ../ symlink, both aimed outside.
	if err := os.Symlink(outside, filepath.Join(root, "abs")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../outside", filepath.Join(root, "rel")); err != nil {
		t.Fatal(err)
	}
	rf, err := os.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	for _, p := range []string{"/abs/x", "rel/y/z", "/../../outside/w", "abs/../../outside/v"} {
		f, err := MkdirAllInRoot(rf, p, 0o755)
		if err != nil {
			t.Fatalf("MkdirAllInRoot(%q): %v", p, err)
		}
		f.Close()
	}
	ents, _ := os.ReadDir(outside)
	if len(ents) != 0 {
		t.Fatalf("something was made outside the root: %v", ents)
	}
	// The symlinks resolved inside: /abs -> <root>/<outside path>.
	if _, err := os.Stat(filepath.Join(root, outside, "x")); err != nil {
		t.Fatalf("abs symlink not resolved inside the root: %v", err)
	}
	f, err := CreateFileInRoot(rf, "/rel/file", 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := os.Stat(filepath.Join(outside, "file")); err == nil {
		t.Fatal("file created outside the root")
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{"/": ".", "": ".", "/a/../b": "b", "../../x": "x", "a/b/": "a/b"} {
		if got := clean(in); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"/", "a/../../b", "/proc/self/../..", "x/./y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		c := clean(p)
		if filepath.IsAbs(c) || c == ".." || len(c) >= 3 && c[:3] == "../" {
			t.Fatalf("clean(%q) = %q leaves the root", p, c)
		}
	})
}
