package libcontainer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rt-runtime/rt/libcontainer/plan"
	"github.com/rt-runtime/rt/seccomp"
)

// seccompCacheDir is the cache of compiled seccomp programs in a state root
// (seccomp.Cache). Its name is no valid container id, so it can be neither
// a container's state dir nor taken for one by list.
const seccompCacheDir = "@seccomp-cache"

// compileSeccomp is the program of profile for a plan: from the cache in
// the state root when there is one (root ""), else compiled.
func compileSeccomp(profile *specs.LinuxSeccomp, root string, log *slog.Logger) (flags uint64, bpf []byte, err error) {
	if root == "" {
		flags, bpf, _, err = seccomp.Program(profile)
		return flags, bpf, err
	}
	salt, err := seccompCacheSalt()
	if err != nil {
		if log != nil {
			log.Debug("seccomp: cache not used", "why", err.Error())
		}
		flags, bpf, _, err = seccomp.Program(profile)
		return flags, bpf, err
	}
	c := &seccomp.Cache{Dir: filepath.Join(root, seccompCacheDir), Salt: salt, Log: log}
	return c.Program(profile)
}

var (
	buildIDOnce sync.Once
	buildID     string
	buildIDErr  error
)

// seccompCacheSalt is what of rt the programs depend on: the plan version
// and the Go build id of the running binary (a hash of its inputs), so that
// a rebuilt rt never reads programs an older one compiled.
func seccompCacheSalt() (string, error) {
	buildIDOnce.Do(func() { buildID, buildIDErr = goBuildID("/proc/self/exe") })
	if buildIDErr != nil {
		return "", buildIDErr
	}
	return "plan " + strconv.Itoa(plan.Version) + " build " + buildID, nil
}

// goBuildID reads the Go build id from the ELF note (owner "Go", type 4)
// that the Go linker writes, found through the program headers.
func goBuildID(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("build id: %w", err)
	}
	defer f.Close()
	var eh [64]byte
	if _, err := f.ReadAt(eh[:], 0); err != nil {
		return "", fmt.Errorf("build id: ELF header: %w", err)
	}
	if string(eh[:4]) != "\x7fELF" || eh[4] != 2 || eh[5] != 1 {
		return "", errors.New("build id: not a little-endian 64-bit ELF file")
	}
	le := binary.LittleEndian
	phoff, phentsize, phnum := le.Uint64(eh[32:]), int(le.Uint16(eh[54:])), int(le.Uint16(eh[56:]))
	if phentsize < 56 || phnum > 256 {
		return "", fmt.Errorf("build id: %d program headers of %d bytes", phnum, phentsize)
	}
	ph := make([]byte, phentsize*phnum)
	if _, err := f.ReadAt(ph, int64(phoff)); err != nil {
		return "", fmt.Errorf("build id: program headers: %w", err)
	}
	const ptNote, goBuildIDNote = 4, 4
	for i := range phnum {
		h := ph[i*phentsize:]
		if le.Uint32(h) != ptNote {
			continue
		}
		off, size := le.Uint64(h[8:]), le.Uint64(h[32:])
		if size > 4096 {
			continue
		}
		notes := make([]byte, size)
		if _, err := f.ReadAt(notes, int64(off)); err != nil {
			return "", fmt.Errorf("build id: notes: %w", err)
		}
		for len(notes) >= 12 {
			nameSize, descSize, typ := le.Uint32(notes), le.Uint32(notes[4:]), le.Uint32(notes[8:])
			nameEnd := 12 + (uint64(nameSize)+3)&^3
			end := nameEnd + (uint64(descSize)+3)&^3
			if end > uint64(len(notes)) {
				break
			}
			if typ == goBuildIDNote && string(bytes.TrimRight(notes[12:12+nameSize], "\x00")) == "Go" && descSize > 0 {
				return string(notes[nameEnd : nameEnd+uint64(descSize)]), nil
			}
			notes = notes[end:]
		}
	}
	return "", errors.New("build id: no Go build id note")
}
