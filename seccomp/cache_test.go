package seccomp

import (
	"bytes"
	"context"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// msgLog records the messages of the debug lines it is given.
type msgLog struct {
	mu   sync.Mutex
	msgs []string
}

func (l *msgLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *msgLog) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "why" {
			msg += ": " + a.Value.String()
		}
		return true
	})
	l.msgs = append(l.msgs, msg)
	return nil
}
func (l *msgLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *msgLog) WithGroup(string) slog.Handler      { return l }

// last is the last hit, miss or not-used line since the previous call
// ("" for none), with its why.
func (l *msgLog) last() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := ""
	for _, x := range l.msgs {
		for _, p := range []string{"seccomp: cache hit", "seccomp: cache miss", "seccomp: cache not used"} {
			if strings.HasPrefix(x, p) {
				m = x
			}
		}
	}
	l.msgs = nil
	return m
}

func testCache(t *testing.T) (*Cache, *msgLog) {
	t.Helper()
	l := &msgLog{}
	return &Cache{Dir: filepath.Join(t.TempDir(), "cache"), Salt: "test", Log: slog.New(l)}, l
}

func denyMkdir(errno uint) *specs.LinuxSeccomp {
	return &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno, ErrnoRet: &errno}},
	}
}

// entryPath is the file of s's entry in c.
func entryPath(t *testing.T, c *Cache, s *specs.LinuxSeccomp) string {
	t.Helper()
	k, err := c.key(s)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(c.Dir, hex.EncodeToString(k[:]))
}

// The cached program is Program's, the first use misses and the second hits.
func TestCacheHitIsProgram(t *testing.T) {
	c, l := testCache(t)
	p := dockerDefault(t)
	wantFlags, wantBPF, _, err := Program(p)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"seccomp: cache miss: no entry", "seccomp: cache hit"} {
		flags, bpf, err := c.Program(p)
		if err != nil {
			t.Fatal(err)
		}
		if flags != wantFlags || !bytes.Equal(bpf, wantBPF) {
			t.Fatalf("use %d: flags %#x and %d bytes, want %#x and %d bytes", i, flags, len(bpf), wantFlags, len(wantBPF))
		}
		if got := l.last(); got != want {
			t.Fatalf("use %d logged %q, want %q", i, got, want)
		}
	}
	st, err := os.Stat(c.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 || !st.IsDir() {
		t.Fatalf("cache dir mode %v, want drwx------", st.Mode())
	}
}

// Each input of the key changes it.
func TestCacheKeyInputs(t *testing.T) {
	base := func() (string, string, [3]uint, uint, []byte) {
		return "salt", "amd64", [3]uint{2, 5, 4}, 6, []byte(`{"defaultAction":"SCMP_ACT_ALLOW"}`)
	}
	salt, arch, lib, api, prof := base()
	k0 := cacheKey(salt, arch, lib, api, prof)
	if k := cacheKey(base()); k != k0 {
		t.Fatal("the same inputs gave two keys")
	}
	variants := map[string][32]byte{
		"salt":    cacheKey("salt2", arch, lib, api, prof),
		"arch":    cacheKey(salt, "arm64", lib, api, prof),
		"lib":     cacheKey(salt, arch, [3]uint{2, 5, 5}, api, prof),
		"api":     cacheKey(salt, arch, lib, 7, prof),
		"profile": cacheKey(salt, arch, lib, api, []byte(`{"defaultAction":"SCMP_ACT_LOG"}`)),
		// Length prefixes: moving a byte from one part to the next is another key.
		"boundary": cacheKey("sal", "tamd64", lib, api, prof),
	}
	seen := map[[32]byte]string{k0: "base"}
	for name, k := range variants {
		if other, dup := seen[k]; dup {
			t.Errorf("changing %s gives the key of %s", name, other)
		}
		seen[k] = name
	}
	// Through Cache.key: the profile's every field and the salt.
	c := &Cache{Salt: "a"}
	keyOf := func(c *Cache, s *specs.LinuxSeccomp) [32]byte {
		k, err := c.key(s)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	k1 := keyOf(c, denyMkdir(1))
	for name, k := range map[string][32]byte{
		"errnoRet": keyOf(c, denyMkdir(2)),
		"salt":     keyOf(&Cache{Salt: "b"}, denyMkdir(1)),
		"flags": keyOf(c, func() *specs.LinuxSeccomp {
			s := denyMkdir(1)
			s.Flags = []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog}
			return s
		}()),
	} {
		if k == k1 {
			t.Errorf("changing %s leaves the key", name)
		}
	}
}

// A bad entry is a miss: the program is compiled again, right, and the
// entry rewritten so that the next use hits.
func TestCacheBadEntries(t *testing.T) {
	p := denyMkdir(1)
	other := denyMkdir(2)
	for _, tc := range []struct {
		name  string
		why   string
		spoil func(t *testing.T, c *Cache, path string, b []byte)
	}{
		{"a flipped program byte", "checksum", func(t *testing.T, _ *Cache, path string, b []byte) {
			b[len(b)-3] ^= 0x40
			writeRaw(t, path, b)
		}},
		{"a flipped flags byte", "checksum", func(t *testing.T, _ *Cache, path string, b []byte) {
			b[40] ^= 1
			writeRaw(t, path, b)
		}},
		{"truncated to half an instruction", "bytes", func(t *testing.T, _ *Cache, path string, b []byte) {
			writeRaw(t, path, b[:len(b)-4])
		}},
		{"only the header", "bytes", func(t *testing.T, _ *Cache, path string, b []byte) {
			writeRaw(t, path, b[:cacheHdrSize])
		}},
		{"empty", "bytes", func(t *testing.T, _ *Cache, path string, _ []byte) {
			writeRaw(t, path, nil)
		}},
		{"another profile's entry", "another key", func(t *testing.T, c *Cache, path string, _ []byte) {
			if _, _, err := c.Program(other); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(entryPath(t, c, other))
			if err != nil {
				t.Fatal(err)
			}
			writeRaw(t, path, b)
		}},
		{"another format", "format", func(t *testing.T, _ *Cache, path string, b []byte) {
			b[4] = 2
			writeRaw(t, path, b)
		}},
		{"no magic", "header", func(t *testing.T, _ *Cache, path string, b []byte) {
			copy(b, "XXXX")
			writeRaw(t, path, b)
		}},
		{"a program over the kernel's limit", "bytes", func(t *testing.T, _ *Cache, path string, b []byte) {
			writeRaw(t, path, append(b, make([]byte, maxBPFBytes)...))
		}},
		{"group-writable", "lets others in", func(t *testing.T, _ *Cache, path string, _ []byte) {
			if err := os.Chmod(path, 0o620); err != nil {
				t.Fatal(err)
			}
		}},
		{"a symlink to a good entry", "open entry", func(t *testing.T, c *Cache, path string, b []byte) {
			good := filepath.Join(c.Dir, "good")
			writeRaw(t, good, b)
			os.Remove(path)
			if err := os.Symlink(good, path); err != nil {
				t.Fatal(err)
			}
		}},
		{"a fifo", "file type", func(t *testing.T, _ *Cache, path string, _ []byte) {
			os.Remove(path)
			if err := unix.Mkfifo(path, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"owned by another user", "owned by uid", func(t *testing.T, _ *Cache, path string, _ []byte) {
			if os.Geteuid() != 0 {
				t.Skip("needs root to chown")
			}
			if err := os.Chown(path, 1000, 1000); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, l := testCache(t)
			wantFlags, wantBPF, err := c.Program(p)
			if err != nil {
				t.Fatal(err)
			}
			path := entryPath(t, c, p)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			tc.spoil(t, c, path, b)
			l.last()
			flags, bpf, err := c.Program(p)
			if err != nil {
				t.Fatal(err)
			}
			if flags != wantFlags || !bytes.Equal(bpf, wantBPF) {
				t.Fatal("a spoilt entry changed the program")
			}
			if got := l.last(); !strings.HasPrefix(got, "seccomp: cache miss") || !strings.Contains(got, tc.why) {
				t.Fatalf("logged %q, want a miss saying %q", got, tc.why)
			}
			if _, _, err := c.Program(p); err != nil {
				t.Fatal(err)
			}
			if got := l.last(); got != "seccomp: cache hit" {
				t.Fatalf("after the rewrite: logged %q, want a hit", got)
			}
		})
	}
}

func writeRaw(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// decodeEntry alone: what encodeEntry wrote, and nothing else.
func TestDecodeEntry(t *testing.T) {
	key := [32]byte{1, 2, 3}
	bpf := bytes.Repeat([]byte{6, 0, 0, 0, 0, 0, 0xff, 0x7f}, 3)
	b := encodeEntry(key, 5, bpf)
	flags, got, err := decodeEntry(b, key)
	if err != nil || flags != 5 || !bytes.Equal(got, bpf) {
		t.Fatalf("decode = %#x %x %v", flags, got, err)
	}
	if _, _, err := decodeEntry(b, [32]byte{9}); err == nil {
		t.Fatal("another key was accepted")
	}
	reserved := slices.Clone(b)
	reserved[52] = 1
	if _, _, err := decodeEntry(reserved, key); err == nil {
		t.Fatal("a reserved field set was accepted")
	}
	odd := encodeEntry(key, 5, bpf[:12])
	if _, _, err := decodeEntry(odd, key); err == nil {
		t.Fatal("a program of 12 bytes was accepted")
	}
	if _, _, err := decodeEntry(encodeEntry(key, 5, nil), key); err == nil {
		t.Fatal("an empty program was accepted")
	}
}

// A cache directory others can write, or a link, is not used: the program
// is compiled as without a cache and nothing is written there.
func TestCacheDirRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(t *testing.T, dir string)
	}{
		{"group-writable", func(t *testing.T, dir string) {
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, 0o770); err != nil {
				t.Fatal(err)
			}
		}},
		{"a symlink to a good dir", func(t *testing.T, dir string) {
			good := dir + ".real"
			if err := os.Mkdir(good, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(good, dir); err != nil {
				t.Fatal(err)
			}
		}},
		{"a file", func(t *testing.T, dir string) { writeRaw(t, dir, nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, l := testCache(t)
			tc.make(t, c.Dir)
			want, wantBPF, _, err := Program(denyMkdir(1))
			if err != nil {
				t.Fatal(err)
			}
			flags, bpf, err := c.Program(denyMkdir(1))
			if err != nil || flags != want || !bytes.Equal(bpf, wantBPF) {
				t.Fatalf("Program through a refused cache: %v", err)
			}
			if got := l.last(); !strings.HasPrefix(got, "seccomp: cache not used") {
				t.Fatalf("logged %q", got)
			}
			ents, _ := os.ReadDir(c.Dir + ".real")
			if len(ents) != 0 {
				t.Fatalf("written through the link: %v", ents)
			}
		})
	}
}

// A profile that does not compile is an error through the cache too, and
// leaves no entry.
func TestCacheCompileError(t *testing.T) {
	c, _ := testCache(t)
	bad := &specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_NONSENSE"}
	if _, _, err := c.Program(bad); err == nil {
		t.Fatal("a bad profile compiled")
	}
	if ents, _ := os.ReadDir(c.Dir); len(ents) != 0 {
		t.Fatalf("entries left: %v", ents)
	}
}

// The directory stays within MaxEntries and MaxBytes, the least recently
// used entries going first, and stale temp files and strays are removed.
func TestCacheTrim(t *testing.T) {
	c, _ := testCache(t)
	c.MaxEntries = 2
	use := func(errno uint) {
		t.Helper()
		if _, _, err := c.Program(denyMkdir(errno)); err != nil {
			t.Fatal(err)
		}
	}
	use(1)
	time.Sleep(10 * time.Millisecond)
	use(2)
	time.Sleep(10 * time.Millisecond)
	use(1) // a hit: 1 is now the most recently used
	time.Sleep(10 * time.Millisecond)
	stale := filepath.Join(c.Dir, ".tmp-0123456789abcdef")
	writeRaw(t, stale, []byte("half"))
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(c.Dir, ".tmp-fedcba9876543210")
	writeRaw(t, fresh, []byte("being written"))
	stray := filepath.Join(c.Dir, "stray")
	writeRaw(t, stray, nil)
	use(3)
	for errno, want := range map[uint]bool{1: true, 2: false, 3: true} {
		_, err := os.Stat(entryPath(t, c, denyMkdir(errno)))
		if have := err == nil; have != want {
			t.Errorf("entry of errno %d present %v, want %v", errno, have, want)
		}
	}
	for path, want := range map[string]bool{stale: false, fresh: true, stray: false} {
		_, err := os.Stat(path)
		if have := err == nil; have != want {
			t.Errorf("%s present %v, want %v", filepath.Base(path), have, want)
		}
	}

	c.MaxEntries = 0
	c.MaxBytes = 1 // only the entry just written stays
	use(4)
	ents, err := os.ReadDir(c.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if isEntryName(e.Name()) {
			names = append(names, e.Name())
		}
	}
	if want := filepath.Base(entryPath(t, c, denyMkdir(4))); len(names) != 1 || names[0] != want {
		t.Fatalf("entries %v, want only %s", names, want)
	}
}
