package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/checkpoint-restore/go-criu/v7/rpc"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"

	"github.com/rt-runtime/rt/cgroups"
	"github.com/rt-runtime/rt/libcontainer/internal/pathsafe"
)

// descriptorsFile, in the image dir, lists what the init's fds 0-2 were
// (readlink of /proc/<pid>/fd/N: "/dev/null", "pipe:[1234]", "/dev/pts/0"),
// as runc writes it: restore hands its own stdio to CRIU for the pipes.
const descriptorsFile = "descriptors.json"

// CheckpointOpts are the flags of rt checkpoint.
type CheckpointOpts struct {
	CriuPath string
	// ImagePath defaults to ./checkpoint, WorkPath to ImagePath.
	ImagePath string
	WorkPath  string
	// ParentPath is the pre-dump images' dir, relative to ImagePath.
	ParentPath      string
	LeaveRunning    bool
	TCPEstablished  bool
	TCPSkipInFlight bool
	LinkRemap       bool
	ExtUnixSk       bool
	ShellJob        bool
	FileLocks       bool
	PreDump         bool
	AutoDedup       bool
	LazyPages       bool
	// StatusFd gets one \0 once the lazy-pages server is ready; -1 none.
	StatusFd int
	// PageServer is ADDRESS:PORT of a page server, "" none.
	PageServer string
	CgroupMode CgroupMode
	// EmptyNs: namespaces (CLONE_NEW*) CRIU makes empty instead of dumping.
	EmptyNs uint32
}

// Checkpoint dumps the running container with CRIU into o.ImagePath.
// Without LeaveRunning (or PreDump) CRIU kills its processes and the
// container is deleted, as runc does: restore brings it back.
func (c *Container) Checkpoint(o CheckpointOpts) error {
	if o.ParentPath != "" && filepath.IsAbs(o.ParentPath) {
		return errors.New("--parent-path must be relative")
	}
	addr, port, err := ParsePageServer(o.PageServer)
	if err != nil {
		return err
	}
	if o.CgroupMode == "" {
		o.CgroupMode = "soft"
	}
	unlock, err := c.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	switch c.State.Status {
	case specs.StateCreated, specs.StateStopped:
		return fmt.Errorf("Container cannot be checkpointed in %s state", c.State.Status)
	}
	if _, err := checkCriu(o.CriuPath, minCriuVersion); err != nil {
		return err
	}
	want := &rpc.CriuFeatures{}
	if o.PreDump || o.ParentPath != "" {
		want.MemTrack = proto.Bool(true)
	}
	if o.LazyPages {
		want.LazyPages = proto.Bool(true)
	}
	if want.MemTrack != nil || want.LazyPages != nil {
		if err := checkCriuFeatures(o.CriuPath, want); err != nil {
			return err
		}
	}
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	if o.ImagePath, err = absPath(o.ImagePath, filepath.Join(cwd, "checkpoint")); err != nil {
		return err
	}
	if o.WorkPath, err = absPath(o.WorkPath, o.ImagePath); err != nil {
		return err
	}
	img, err := openDir(o.ImagePath)
	if err != nil {
		return fmt.Errorf("invalid directory to save checkpoint: %w", err)
	}
	defer img.Close()
	work, err := openDir(o.WorkPath)
	if err != nil {
		return fmt.Errorf("work path: %w", err)
	}
	defer work.Close()

	if err := writeDescriptors(o.ImagePath, c.State.Pid); err != nil {
		return err
	}
	mounts, err := c.State.dumpMounts()
	if err != nil {
		return err
	}
	opts := dumpOptions(c.State, o, mounts)
	opts.ImagesDirFd = proto.Int32(int32(img.Fd()))
	opts.WorkDirFd = proto.Int32(int32(work.Fd()))
	if addr != "" {
		opts.Ps = &rpc.CriuPageServerInfo{Address: proto.String(addr), Port: proto.Int32(port)}
	}
	if err := externalNamespaces(c.State.Spec, opts, nil); err != nil {
		return err
	}
	typ := rpc.CriuReqType_DUMP
	if o.PreDump {
		typ = rpc.CriuReqType_PRE_DUMP
	}
	s, err := startCriu(o.CriuPath, [3]*os.File{}, nil)
	if err != nil {
		return fmt.Errorf("checkpoint: start criu: %w", err)
	}
	_, err = s.request(&rpc.CriuReq{Type: typ.Enum(), Opts: opts}, func(script string, _ int32, fd int) error {
		if fd >= 0 {
			unix.Close(fd)
		}
		if script == "status-ready" && o.StatusFd >= 0 {
			if _, err := unix.Write(o.StatusFd, []byte{0}); err != nil {
				return fmt.Errorf("status fd: %w", err)
			}
			unix.Close(o.StatusFd)
			o.StatusFd = -1
		}
		return nil
	})
	cerr := s.close()
	logPath := filepath.Join(o.WorkPath, "dump.log")
	if o.PreDump {
		logPath = filepath.Join(o.WorkPath, "pre-dump.log")
	}
	if err != nil {
		return criuFailure("checkpoint", err, logPath)
	}
	if cerr != nil {
		c.log.Debug("criu swrk exit", "err", cerr)
	}
	if o.LeaveRunning || o.PreDump {
		return nil
	}
	// CRIU killed the tree after the dump: wait for the init to be gone,
	// then remove what is left (cgroup, state) as delete does.
	for i := 0; i < 2000 && c.State.initAlive(); i++ {
		time.Sleep(5 * time.Millisecond)
	}
	if c.State.initAlive() {
		return fmt.Errorf("checkpoint: init %d still alive after the dump", c.State.Pid)
	}
	return c.destroy()
}

// dumpOptions maps the container and the flags onto CRIU's dump options
// (without the dir fds, which only a live dump has).
func dumpOptions(st *State, o CheckpointOpts, mounts []*rpc.ExtMountMap) *rpc.CriuOpts {
	opts := &rpc.CriuOpts{
		Pid:             proto.Int32(int32(st.Pid)),
		Root:            proto.String(st.Rootfs),
		LogLevel:        proto.Int32(4),
		LogFile:         proto.String("dump.log"),
		LeaveRunning:    proto.Bool(o.LeaveRunning || o.PreDump),
		TcpEstablished:  proto.Bool(o.TCPEstablished),
		TcpSkipInFlight: proto.Bool(o.TCPSkipInFlight),
		LinkRemap:       proto.Bool(o.LinkRemap),
		ExtUnixSk:       proto.Bool(o.ExtUnixSk),
		ShellJob:        proto.Bool(o.ShellJob),
		FileLocks:       proto.Bool(o.FileLocks),
		AutoDedup:       proto.Bool(o.AutoDedup),
		LazyPages:       proto.Bool(o.LazyPages),
		EmptyNs:         proto.Uint32(o.EmptyNs),
		OrphanPtsMaster: proto.Bool(true),
		NotifyScripts:   proto.Bool(true),
		ExtMnt:          mounts,
	}
	criuConfigFile(st.Spec, opts)
	if o.PreDump {
		opts.LogFile = proto.String("pre-dump.log")
		opts.TrackMem = proto.Bool(true)
	}
	if o.ParentPath != "" {
		opts.ParentImg = proto.String(o.ParentPath)
		opts.TrackMem = proto.Bool(true)
	}
	mode := o.CgroupMode
	if mode == "" {
		mode = "soft"
	}
	opts.ManageCgroups = proto.Bool(mode != "ignore")
	opts.ManageCgroupsMode = mode.rpc().Enum()
	// CRIU freezes the tree through the container's freezer (one write
	// instead of seizing each task while it may fork).
	if f := freezerDir(st.CgroupPaths); f != "" {
		opts.FreezeCgroup = proto.String(f)
	}
	return opts
}

// CRIUConfigAnnotation names a CRIU configuration file for the
// container's checkpoint and restore (runc's annotation; "" for none).
const CRIUConfigAnnotation = "org.criu.config"

func criuConfigFile(s *specs.Spec, opts *rpc.CriuOpts) {
	if s == nil {
		return
	}
	if f := s.Annotations[CRIUConfigAnnotation]; f != "" {
		opts.ConfigFile = proto.String(f)
	}
}

func freezerDir(p cgroups.Paths) string {
	if d := p.V1["freezer"]; d != "" {
		return d
	}
	if len(p.V1) == 0 {
		return p.V2
	}
	return ""
}

// writeDescriptors records where the init's stdio points.
func writeDescriptors(dir string, pid int) error {
	d := make([]string, 3)
	for i := range d {
		t, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/" + strconv.Itoa(i))
		if err != nil {
			return fmt.Errorf("read init's fd %d: %w", i, err)
		}
		d[i] = t
	}
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, descriptorsFile), b, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", descriptorsFile, err)
	}
	return nil
}

// readDescriptors reads what writeDescriptors wrote.
func readDescriptors(dir string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, descriptorsFile))
	if err != nil {
		return nil, err
	}
	var d []string
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", descriptorsFile, err)
	}
	return d, nil
}

// inheritStdio: a pipe of the checkpointed init's stdio is the restoring
// caller's fd of the same number (CRIU's fds 0-2 are rt's).
func inheritStdio(desc []string) []*rpc.InheritFd {
	var out []*rpc.InheritFd
	for i, d := range desc {
		if i > 2 {
			break
		}
		if strings.HasPrefix(d, "pipe:") {
			out = append(out, &rpc.InheritFd{Key: proto.String(d), Fd: proto.Int32(int32(i))})
		}
	}
	return out
}

// extMount is one mount CRIU must treat as external: Dest where it sits
// in the container, Source what restore binds there.
type extMount struct{ Dest, Source string }

// externalMounts lists the container's mounts whose source lies outside
// it: bind mounts, masked files (/dev/null over them), bind-mounted device
// nodes (in a user namespace) and the cgroup binds. resolve turns a
// destination into the path the mount really sits at (a symlink in the
// rootfs leads elsewhere); cg gives the cgroup binds of a cgroup mount.
func externalMounts(s *specs.Spec, bundle string, resolve func(string) string, isFile func(string) bool, cg func(*specs.Mount) []extMount) []extMount {
	var out []extMount
	for i := range s.Mounts {
		m := &s.Mounts[i]
		switch {
		case m.Type == "cgroup" || m.Type == "cgroup2":
			if !isBindMount(m) {
				for _, b := range cg(m) {
					out = append(out, extMount{Dest: resolve(b.Dest), Source: b.Source})
				}
				continue
			}
			fallthrough
		case isBindMount(m):
			src := m.Source
			if !filepath.IsAbs(src) {
				src = filepath.Join(bundle, src)
			}
			out = append(out, extMount{Dest: resolve(m.Destination), Source: src})
		}
	}
	if s.Linux != nil {
		if hasOwnNamespace(s, specs.UserNamespace) {
			seen := map[string]bool{}
			for _, d := range append(append([]specs.LinuxDevice{}, defaultDevices...), s.Linux.Devices...) {
				if !seen[d.Path] {
					seen[d.Path] = true
					out = append(out, extMount{Dest: resolve(d.Path), Source: d.Path})
				}
			}
		}
		for _, p := range s.Linux.MaskedPaths {
			if isFile(p) {
				dest := resolve(p)
				out = append(out, extMount{Dest: dest, Source: "/dev/null"})
			}
		}
	}
	return out
}

// cgroupBinds mirrors mountCgroup: v2 with its own cgroup namespace is a
// cgroup2 mount CRIU knows; without one, a bind of the container's dir; v1
// a tmpfs with a bind of the container's dir per hierarchy.
func cgroupBinds(m *specs.Mount, v1 []string, v2 string, paths cgroups.Paths, newNS bool) []extMount {
	if len(v1) == 0 || m.Type == "cgroup2" {
		if newNS {
			return nil
		}
		p := paths.V2
		if p == "" {
			p = v2
		}
		return []extMount{{Dest: m.Destination, Source: p}}
	}
	hier := append([]string{}, v1...)
	if v2 != "" {
		hier = append(hier, v2)
	}
	var out []extMount
	for _, mp := range hier {
		for _, p := range paths.Dirs() {
			if p == mp || strings.HasPrefix(p, mp+"/") {
				out = append(out, extMount{Dest: filepath.Join(m.Destination, filepath.Base(mp)), Source: p})
				break
			}
		}
	}
	return out
}

// mountResolver resolves destinations inside rootfs (RESOLVE_IN_ROOT), as
// the init did when it mounted them; one that does not resolve stays as
// written. isFile reports what the resolved path is.
type mountResolver struct {
	root   *os.File
	rootfs string
}

func newMountResolver(rootfs string) (*mountResolver, error) {
	real, err := filepath.EvalSymlinks(rootfs)
	if err != nil {
		return nil, fmt.Errorf("rootfs: %w", err)
	}
	root, err := os.OpenFile(real, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("rootfs: %w", err)
	}
	return &mountResolver{root: root, rootfs: real}, nil
}

func (r *mountResolver) close() { r.root.Close() }

func (r *mountResolver) resolve(dest string) string {
	clean := filepath.Join("/", dest)
	f, err := pathsafe.OpenInRoot(r.root, clean)
	if err != nil {
		return clean
	}
	defer f.Close()
	p, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(f.Fd())))
	if err != nil {
		return clean
	}
	rel, err := filepath.Rel(r.rootfs, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return clean
	}
	return filepath.Join("/", rel)
}

// isFile says whether a masked path is a file (rt binds /dev/null over
// it; a directory gets a tmpfs that CRIU dumps itself). /proc and /sys are
// fresh instances in the container, laid out as the host's: those are
// looked up on the host, the rest in the rootfs. The answer is the same at
// checkpoint and at restore, so both sides name the same mounts.
func (r *mountResolver) isFile(p string) bool {
	clean := filepath.Join("/", p)
	var st unix.Stat_t
	if clean == "/proc" || clean == "/sys" || strings.HasPrefix(clean, "/proc/") || strings.HasPrefix(clean, "/sys/") {
		return unix.Lstat(clean, &st) == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR
	}
	f, err := pathsafe.OpenInRoot(r.root, clean)
	if err != nil {
		return false
	}
	defer f.Close()
	return unix.Fstat(int(f.Fd()), &st) == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR
}

// dumpMounts is the ext mount map of a dump: each external mount is
// named by where it sits, on both sides (restore maps it to a source).
func (st *State) dumpMounts() ([]*rpc.ExtMountMap, error) {
	ext, err := st.externalMounts(st.CgroupPaths)
	if err != nil {
		return nil, err
	}
	out := make([]*rpc.ExtMountMap, 0, len(ext))
	for _, e := range ext {
		out = append(out, &rpc.ExtMountMap{Key: proto.String(e.Dest), Val: proto.String(e.Dest)})
	}
	return out, nil
}

// externalMounts lists st's external mounts with cgroup binds of paths.
func (st *State) externalMounts(paths cgroups.Paths) ([]extMount, error) {
	r, err := newMountResolver(st.Rootfs)
	if err != nil {
		return nil, err
	}
	defer r.close()
	v1, v2, err := hostCgroupMounts()
	if err != nil {
		return nil, err
	}
	_, newNS := findNamespace(st.Spec, specs.CgroupNamespace)
	return externalMounts(st.Spec, st.Bundle, r.resolve, r.isFile, func(m *specs.Mount) []extMount {
		return cgroupBinds(m, v1, v2, paths, newNS)
	}), nil
}
