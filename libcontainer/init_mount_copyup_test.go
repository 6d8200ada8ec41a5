package libcontainer

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// copyUp into a real tmpfs (root only): every kind of entry, its owner,
// mode, times and hard links; a symlink to a file outside is copied as a
// link and the file it names is never read.
func TestCopyUp(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	// A mount namespace of this thread's own, so the tmpfs is never seen
	// on the host; the thread is never unlocked and ends with the test.
	runtime.LockOSThread()
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		t.Skipf("unshare mount namespace: %v", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		t.Fatalf("make / private: %v", err)
	}
	dir := t.TempDir()
	src, dstDir := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	outside := filepath.Join(dir, "outside")
	for _, d := range []string{src, dstDir, filepath.Join(src, "sub")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(outside, []byte("secret"), 0o600))
	must(os.WriteFile(filepath.Join(src, "f"), []byte("data"), 0o600))
	must(os.Chown(filepath.Join(src, "f"), 1000, 2000))
	must(unix.Chmod(filepath.Join(src, "f"), 0o4750))
	must(os.Link(filepath.Join(src, "f"), filepath.Join(src, "sub", "hard")))
	must(os.Symlink(outside, filepath.Join(src, "abs")))
	must(unix.Mkfifo(filepath.Join(src, "sub", "fifo"), 0o640))
	must(unix.Chmod(filepath.Join(src, "sub"), 0o1770))
	must(os.Chown(filepath.Join(src, "sub"), 7, 8))
	if err := unix.Mount("tmpfs", dstDir, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("mount tmpfs: %v", err)
	}
	defer unix.Unmount(dstDir, unix.MNT_DETACH)
	s, err := os.Open(src)
	must(err)
	defer s.Close()
	d, err := os.Open(dstDir)
	must(err)
	defer d.Close()
	must(copyUp(s, d))

	st := func(p string) *unix.Stat_t {
		t.Helper()
		var st unix.Stat_t
		must(unix.Lstat(filepath.Join(dstDir, p), &st))
		return &st
	}
	if f := st("f"); f.Uid != 1000 || f.Gid != 2000 || f.Mode&0o7777 != 0o4750 || f.Nlink != 2 {
		t.Errorf("f: uid %d gid %d mode %o nlink %d", f.Uid, f.Gid, f.Mode&0o7777, f.Nlink)
	}
	if st("f").Ino != st("sub/hard").Ino {
		t.Error("the hard link became a copy")
	}
	if sub := st("sub"); sub.Uid != 7 || sub.Gid != 8 || sub.Mode&0o7777 != 0o1770 {
		t.Errorf("sub: uid %d gid %d mode %o", sub.Uid, sub.Gid, sub.Mode&0o7777)
	}
	if fifo := st("sub/fifo"); fifo.Mode&unix.S_IFMT != unix.S_IFIFO || fifo.Mode&0o777 != 0o640 {
		t.Errorf("sub/fifo: mode %o", fifo.Mode)
	}
	if l, err := os.Readlink(filepath.Join(dstDir, "abs")); err != nil || l != outside {
		t.Errorf("abs: %q %v", l, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dstDir, "f")); string(b) != "data" {
		t.Errorf("f holds %q", b)
	}
	if st("f").Mtim != func() unix.Timespec { var x unix.Stat_t; unix.Lstat(filepath.Join(src, "f"), &x); return x.Mtim }() {
		t.Error("mtime of f not kept")
	}

	// Not a tmpfs: refused.
	if err := copyUp(s, s); err == nil {
		t.Error("copyUp into a non-tmpfs directory succeeded")
	}
}
