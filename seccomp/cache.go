package seccomp

// A cache of compiled programs. libseccomp takes ~11 ms to compile Docker's
// default profile (BenchmarkProgramDockerDefault), on every create and exec
// that runs a plan; the same profile compiles to the same program on the
// same host, so the parent keeps what Program returned in a directory of
// the state root, one file per key.
//
// The key is the sha256 of a canonical encoding of everything the program
// depends on: the profile (its JSON), the native architecture, libseccomp's
// version and API level (what it knows and what the kernel offers it), this
// file's format and the caller's salt (rt's plan version and build id, so a
// new rt never reads an older one's programs). An entry is trusted only in
// a directory and a file owned by the caller's euid that nobody else can
// write, opened without following links, and only when it holds the key it
// was looked up by, a BPF program of whole instructions within the kernel's
// limit and a matching checksum. Anything else is a miss, recompiled and
// rewritten (temp file + rename, so a reader never sees half an entry).

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// Cache is a directory of compiled programs.
type Cache struct {
	// Dir is the cache directory, made (0700) when missing; its parent
	// must exist.
	Dir string
	// Salt goes into every key: what of the caller the programs depend on.
	Salt string
	// MaxEntries and MaxBytes bound the directory (0: the defaults); the
	// least recently used entries go first.
	MaxEntries int
	MaxBytes   int64
	Log        *slog.Logger
}

const (
	cacheMagic   = "RTSC"
	cacheFormat  = 1
	cacheHdrSize = 4 + 4 + 32 + 8 + 4 + 4 + 32 // magic, format, key, flags, bpf length, 0, checksum
	maxBPFBytes  = bpfMaxInsns * 8
	// The defaults: a host with more distinct profiles than this is rare.
	defaultMaxEntries = 64
	defaultMaxBytes   = 4 << 20
	// A temp file older than this was left by a killed writer.
	staleTemp = time.Minute
)

// Program is Program(s) through the cache: a valid entry for s is read
// back, otherwise s is compiled and the entry (re)written. The cache never
// makes Program fail: when it cannot be used, s is compiled as without it.
func (c *Cache) Program(s *specs.LinuxSeccomp) (flags uint64, bpf []byte, err error) {
	log := c.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	key, err := c.key(s)
	if err != nil {
		log.Debug("seccomp: cache not used", "why", err.Error())
		flags, bpf, _, err = Program(s)
		return flags, bpf, err
	}
	name := hex.EncodeToString(key[:])
	dir, err := c.openDir()
	if err != nil {
		log.Debug("seccomp: cache not used", "dir", c.Dir, "why", err.Error())
		flags, bpf, _, err = Program(s)
		return flags, bpf, err
	}
	defer unix.Close(dir)
	flags, bpf, err = readEntry(dir, name, key)
	if err == nil {
		log.Debug("seccomp: cache hit", "key", name, "instructions", len(bpf)/8)
		return flags, bpf, nil
	}
	log.Debug("seccomp: cache miss", "key", name, "why", err.Error())
	flags, bpf, _, err = Program(s)
	if err != nil {
		return 0, nil, err
	}
	if err := writeEntry(dir, name, key, flags, bpf); err != nil {
		log.Debug("seccomp: cache entry not written", "key", name, "why", err.Error())
		return flags, bpf, nil
	}
	c.trim(dir, name, log)
	return flags, bpf, nil
}

// key is the sha256 of the canonical encoding of what the program of s
// depends on: each part length-prefixed, in a fixed order.
func (c *Cache) key(s *specs.LinuxSeccomp) ([32]byte, error) {
	profile, err := json.Marshal(s)
	if err != nil {
		return [32]byte{}, fmt.Errorf("encode profile: %w", err)
	}
	native, err := libseccomp.GetNativeArch()
	if err != nil {
		return [32]byte{}, fmt.Errorf("native architecture: %w", err)
	}
	api, err := libseccomp.GetAPI()
	if err != nil {
		return [32]byte{}, fmt.Errorf("libseccomp API level: %w", err)
	}
	major, minor, micro := libseccomp.GetLibraryVersion()
	return cacheKey(c.Salt, native.String(), [3]uint{major, minor, micro}, api, profile), nil
}

func cacheKey(salt, arch string, lib [3]uint, api uint, profile []byte) [32]byte {
	h := sha256.New()
	for _, part := range [][]byte{
		[]byte("rt seccomp program"),
		[]byte(strconv.Itoa(cacheFormat)),
		[]byte(salt),
		[]byte(arch),
		fmt.Appendf(nil, "%d.%d.%d", lib[0], lib[1], lib[2]),
		[]byte(strconv.FormatUint(uint64(api), 10)),
		profile,
	} {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// openDir opens (making it first if missing) the cache directory, and
// checks it is one that only this euid can write.
func (c *Cache) openDir() (int, error) {
	if err := unix.Mkdir(c.Dir, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
		return -1, fmt.Errorf("mkdir: %w", err)
	}
	fd, err := unix.Open(c.Dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("fstat: %w", err)
	}
	if err := ownedPrivate(&st, unix.S_IFDIR, 0o077); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// ownedPrivate: st is of type typ, owned by the euid, with none of the
// permission bits of deny.
func ownedPrivate(st *unix.Stat_t, typ uint32, deny uint32) error {
	if st.Mode&unix.S_IFMT != typ {
		return fmt.Errorf("file type %#o, want %#o", st.Mode&unix.S_IFMT, typ)
	}
	if euid := uint32(os.Geteuid()); st.Uid != euid {
		return fmt.Errorf("owned by uid %d, not %d", st.Uid, euid)
	}
	if st.Mode&deny != 0 {
		return fmt.Errorf("mode %#o lets others in", st.Mode&0o7777)
	}
	return nil
}

// readEntry reads and checks the entry name of dir for key.
func readEntry(dir int, name string, key [32]byte) (uint64, []byte, error) {
	fd, err := unix.Openat(dir, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return 0, nil, errors.New("no entry")
		}
		return 0, nil, fmt.Errorf("open entry: %w", err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, nil, fmt.Errorf("fstat entry: %w", err)
	}
	if err := ownedPrivate(&st, unix.S_IFREG, 0o022); err != nil {
		return 0, nil, fmt.Errorf("entry: %w", err)
	}
	if st.Size < cacheHdrSize || st.Size > cacheHdrSize+maxBPFBytes {
		return 0, nil, fmt.Errorf("entry of %d bytes", st.Size)
	}
	b := make([]byte, st.Size)
	if n, err := unix.Pread(fd, b, 0); err != nil || n != len(b) {
		return 0, nil, fmt.Errorf("read entry: %d of %d bytes: %v", n, len(b), err)
	}
	flags, bpf, err := decodeEntry(b, key)
	if err != nil {
		return 0, nil, err
	}
	// The entry's use is its mtime: trim removes the least recently used.
	now := []unix.Timespec{{Nsec: unix.UTIME_OMIT}, {Nsec: unix.UTIME_NOW}}
	_ = unix.UtimesNanoAt(dir, name, now, unix.AT_SYMLINK_NOFOLLOW)
	return flags, bpf, nil
}

func encodeEntry(key [32]byte, flags uint64, bpf []byte) []byte {
	b := make([]byte, cacheHdrSize, cacheHdrSize+len(bpf))
	copy(b, cacheMagic)
	binary.LittleEndian.PutUint32(b[4:], cacheFormat)
	copy(b[8:], key[:])
	binary.LittleEndian.PutUint64(b[40:], flags)
	binary.LittleEndian.PutUint32(b[48:], uint32(len(bpf)))
	sum := entrySum(b[:56], bpf)
	copy(b[56:], sum[:])
	return append(b, bpf...)
}

// entrySum covers the header before it and the program.
func entrySum(hdr, bpf []byte) [32]byte {
	h := sha256.New()
	h.Write(hdr)
	h.Write(bpf)
	var s [32]byte
	h.Sum(s[:0])
	return s
}

// decodeEntry checks b is the entry of key and returns its program.
func decodeEntry(b []byte, key [32]byte) (uint64, []byte, error) {
	if len(b) < cacheHdrSize || string(b[:4]) != cacheMagic {
		return 0, nil, errors.New("entry has no header")
	}
	if v := binary.LittleEndian.Uint32(b[4:]); v != cacheFormat {
		return 0, nil, fmt.Errorf("entry format %d, want %d", v, cacheFormat)
	}
	if !bytes.Equal(b[8:40], key[:]) {
		return 0, nil, errors.New("entry holds another key")
	}
	flags := binary.LittleEndian.Uint64(b[40:])
	n := int(binary.LittleEndian.Uint32(b[48:]))
	if binary.LittleEndian.Uint32(b[52:]) != 0 {
		return 0, nil, errors.New("entry header: reserved field set")
	}
	if n == 0 || n%8 != 0 || n > maxBPFBytes {
		return 0, nil, fmt.Errorf("entry program of %d bytes is no BPF program the kernel takes", n)
	}
	if len(b) != cacheHdrSize+n {
		return 0, nil, fmt.Errorf("entry of %d bytes for a program of %d", len(b), n)
	}
	bpf := b[cacheHdrSize:]
	if sum := entrySum(b[:56], bpf); !bytes.Equal(sum[:], b[56:88]) {
		return 0, nil, errors.New("entry checksum does not match")
	}
	return flags, bpf, nil
}

// writeEntry replaces dir's entry name atomically.
func writeEntry(dir int, name string, key [32]byte, flags uint64, bpf []byte) error {
	var rnd [8]byte
	if _, err := unix.Getrandom(rnd[:], 0); err != nil {
		return fmt.Errorf("getrandom: %w", err)
	}
	tmp := ".tmp-" + hex.EncodeToString(rnd[:])
	fd, err := unix.Openat(dir, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("create temp entry: %w", err)
	}
	b := encodeEntry(key, flags, bpf)
	n, err := unix.Write(fd, b)
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	if err == nil && n != len(b) {
		err = fmt.Errorf("short write: %d of %d bytes", n, len(b))
	}
	if err == nil {
		err = unix.Renameat(dir, tmp, dir, name)
	}
	if err != nil {
		_ = unix.Unlinkat(dir, tmp, 0)
		return fmt.Errorf("write entry: %w", err)
	}
	return nil
}

// trim keeps dir within its bounds: it removes temp files left by killed
// writers, files that are no entry, and the least recently used entries
// (never keep, just written) until both bounds hold.
func (c *Cache) trim(dir int, keep string, log *slog.Logger) {
	maxEntries, maxBytes := c.MaxEntries, c.MaxBytes
	if maxEntries <= 0 {
		maxEntries = defaultMaxEntries
	}
	if maxBytes <= 0 {
		maxBytes = defaultMaxBytes
	}
	names, err := readDirNames(dir)
	if err != nil {
		log.Debug("seccomp: cache not trimmed", "why", err.Error())
		return
	}
	type entry struct {
		name  string
		size  int64
		mtime int64
	}
	var ents []entry
	var total int64
	now := time.Now()
	for _, n := range names {
		var st unix.Stat_t
		if err := unix.Fstatat(dir, n, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			continue
		}
		mtime := time.Unix(st.Mtim.Unix())
		if strings.HasPrefix(n, ".tmp-") {
			if now.Sub(mtime) > staleTemp {
				_ = unix.Unlinkat(dir, n, 0)
			}
			continue
		}
		if !isEntryName(n) || st.Mode&unix.S_IFMT != unix.S_IFREG {
			// Not ours to judge (a dir, a link): only entries are removed.
			if st.Mode&unix.S_IFMT == unix.S_IFREG || st.Mode&unix.S_IFMT == unix.S_IFLNK {
				_ = unix.Unlinkat(dir, n, 0)
			}
			continue
		}
		ents = append(ents, entry{n, st.Size, mtime.UnixNano()})
		total += st.Size
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].mtime < ents[j].mtime })
	count := len(ents)
	for _, e := range ents {
		if count <= maxEntries && total <= maxBytes {
			break
		}
		if e.name == keep {
			continue
		}
		if err := unix.Unlinkat(dir, e.name, 0); err == nil {
			log.Debug("seccomp: cache entry evicted", "key", e.name)
		}
		count--
		total -= e.size
	}
}

func isEntryName(n string) bool {
	if len(n) != 64 {
		return false
	}
	_, err := hex.DecodeString(n)
	return err == nil && strings.ToLower(n) == n
}

func readDirNames(dir int) ([]string, error) {
	fd, err := unix.Openat(dir, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "seccomp-cache")
	defer f.Close()
	return f.Readdirnames(-1)
}
