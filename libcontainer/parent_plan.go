package libcontainer

// The parent's compiler of plans (libcontainer/plan): what the Go init
// (init_*.go) does, step for step in its order, with every decision that
// needs no file of the container taken here. A config that uses something
// the plan does not cover yet gets a *planFallback naming it: that
// container's init stays the Go one (docs/ARCHITECTURE.md lists them).

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rt-runtime/rt/libcontainer/capabilities"
	"github.com/rt-runtime/rt/libcontainer/plan"
)

// planFacts are what the compiler needs from the host, found by the
// parent (tests give their own).
type planFacts struct {
	lastCap int // the host kernel's last capability
	// seccomp is the profile compiled to BPF (stub included) and the
	// seccomp(2) flags to load it with; nil without a profile.
	seccomp *seccompProgram
	// cgroupV1 and cgroupV2 are the host's cgroup mount points
	// (hostCgroupMounts), for a cgroup mount.
	cgroupV1 []string
	cgroupV2 string
	kcore    bool // the host has /proc/kcore: /dev/core links to it
}

type seccompProgram struct {
	flags uint64
	bpf   []byte
}

// hostPlanFacts finds the facts for spec on this host; only what the spec
// needs is looked up (mountinfo only for a cgroup mount, libseccomp only
// for a profile).
// root is the state root whose cache of seccomp programs is used ("": none).
func hostPlanFacts(spec *specs.Spec, root string, log *slog.Logger) (*planFacts, error) {
	last, err := capabilities.LastCap()
	if err != nil {
		return nil, err
	}
	f := &planFacts{lastCap: last}
	for _, m := range spec.Mounts {
		if (m.Type == "cgroup" || m.Type == "cgroup2") && !isBindMount(&m) {
			if f.cgroupV1, f.cgroupV2, err = hostCgroupMounts(); err != nil {
				return nil, err
			}
			break
		}
	}
	_, err = os.Stat("/proc/kcore")
	f.kcore = err == nil
	if sc := spec.Linux.Seccomp; sc != nil && !(&seccompFilter{profile: sc}).notifies() {
		flags, bpf, err := compileSeccomp(sc, root, log)
		if err != nil {
			return nil, fmt.Errorf("seccomp: %w", err)
		}
		f.seccomp = &seccompProgram{flags: flags, bpf: bpf}
	}
	return f, nil
}

// planFor is cfg's plan, encoded, when the executor can run every step of
// it; nil (the Go init runs, and a debug line says why) otherwise. Any
// failure here, a seccomp profile that does not compile among them, is
// left to the Go init to report in its words.
func planFor(cfg *initConfig, log *slog.Logger) []byte {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	why := func(err error) []byte {
		log.Debug("plan: the Go init sets this process up", "why", err.Error())
		return nil
	}
	facts, err := hostPlanFacts(cfg.Spec, cfg.stateRoot, log)
	if err != nil {
		return why(err)
	}
	p, err := compilePlan(cfg, facts)
	if err != nil {
		return why(err)
	}
	for _, e := range p.Entries {
		if !plan.Executable[e.Op] {
			return why(fallback(e.Name, "step "+plan.Schema[e.Op].Name+" has no C executor yet"))
		}
	}
	b, err := p.Encode()
	if err != nil {
		return why(err)
	}
	log.Debug("plan: compiled", "steps", len(p.Entries), "bytes", len(b))
	return b
}

// planFallback says which spec item keeps a container on the Go init.
type planFallback struct {
	item, why string
}

func (f *planFallback) Error() string { return "plan: " + f.item + ": " + f.why }

func fallback(item, why string) error { return &planFallback{item, why} }

// compilePlan is the plan of cfg's init (cfg.Exec: of its rt exec process).
func compilePlan(cfg *initConfig, facts *planFacts) (*plan.Plan, error) {
	spec := cfg.Spec
	if spec == nil || spec.Process == nil || spec.Linux == nil {
		return nil, fallback("config", "no process or linux section")
	}
	p := &plan.Plan{}
	proc := spec.Process
	if cfg.Exec {
		if cfg.Process == nil {
			return nil, fallback("process", "exec without a process")
		}
		proc = cfg.Process
		if cfg.RootFd > 0 {
			return nil, fallback("--no-pivot", "exec chroots into the container's root")
		}
		p.Add(plan.OpSetsid, "process")
		planConsole(p, proc, false)
	} else {
		if err := planRootfs(p, cfg, facts); err != nil {
			return nil, err
		}
	}
	if err := planProcess(p, cfg, proc, facts); err != nil {
		return nil, err
	}
	return p, nil
}

// planRootfs is standardInit up to finishAndExec.
func planRootfs(p *plan.Plan, cfg *initConfig, facts *planFacts) error {
	spec := cfg.Spec
	switch {
	case cfg.HostMounts:
		return fallback("linux.namespaces", "no mount namespace of the container's own")
	case cfg.NoPivot:
		return fallback("--no-pivot", "the move of / and chroot")
	case len(hooksOf(spec, hookCreateContainer)) > 0:
		return fallback("hooks.createContainer", "run by the init")
	}
	prop := rootPropagation(spec)
	if prop&unix.MS_SHARED != 0 {
		return fallback("linux.rootfsPropagation", "a shared root needs its parent mount made private")
	}
	setup := prop
	if prop&unix.MS_UNBINDABLE != 0 {
		setup = unix.MS_SLAVE | unix.MS_REC
	}
	p.Add(plan.OpPropagation, "linux.rootfsPropagation", plan.FPath("/"), plan.F64(uint64(setup)))
	p.Add(plan.OpBindRootfs, "root.path", plan.FPath(cfg.Rootfs))

	devIsBind, devRO := false, false
	for i := range spec.Mounts {
		m := spec.Mounts[i]
		m.Destination = filepath.Join("/", m.Destination)
		name := fmt.Sprintf("mounts[%d]", i)
		if m.Destination == "/dev" {
			if isBindMount(&m) {
				devIsBind = true
			} else if rw, ok := withoutReadonly(&m); ok {
				m, devRO = *rw, true
			}
		}
		if err := planMount(p, cfg, facts, name, &m); err != nil {
			return err
		}
	}
	if !devIsBind {
		planDevices(p, spec, facts)
	}
	if devRO {
		p.Add(plan.OpRemountRO, "mounts[/dev]", plan.FPath("/dev"))
	}
	if cwd := spec.Process.Cwd; cwd != "/" {
		p.Add(plan.OpMkdir, "process.cwd", plan.FPath(cwd), plan.F64(0o755))
	}
	p.Add(plan.OpHooks, "hooks")
	keys := make([]string, 0, len(spec.Linux.Sysctl))
	for k := range spec.Linux.Sysctl {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		path := "/proc/sys/" + strings.ReplaceAll(strings.ReplaceAll(k, ".", "/"), "//", "/")
		p.Add(plan.OpSysctl, "linux.sysctl["+k+"]", plan.FPath(path), plan.FStr(spec.Linux.Sysctl[k]))
	}
	if adj := spec.Process.OOMScoreAdj; adj != nil {
		p.Add(plan.OpOOMScoreAdj, "process.oomScoreAdj", plan.FStr(fmt.Sprint(*adj)))
	}
	p.Add(plan.OpPivotRoot, "root.path", plan.FPath(cfg.Rootfs))
	if prop&(unix.MS_SHARED|unix.MS_UNBINDABLE) != 0 {
		p.Add(plan.OpPropagation, "linux.rootfsPropagation", plan.FPath("/"), plan.F64(uint64(prop)))
	}
	for i, path := range spec.Linux.ReadonlyPaths {
		p.Add(plan.OpReadonlyPath, fmt.Sprintf("linux.readonlyPaths[%d]", i), plan.FPath(path))
	}
	seen := map[string]bool{}
	for i, path := range spec.Linux.MaskedPaths {
		if seen[filepath.Clean(path)] {
			continue
		}
		seen[filepath.Clean(path)] = true
		p.Add(plan.OpMaskPath, fmt.Sprintf("linux.maskedPaths[%d]", i), plan.FPath(path))
	}
	if spec.Root.Readonly {
		p.Add(plan.OpRootReadonly, "root.readonly")
	}
	p.Add(plan.OpReopenDevNull, "process")
	p.Add(plan.OpSetsid, "process")
	planConsole(p, spec.Process, true)
	if n, ok := findNamespace(spec, specs.NetworkNamespace); ok && n.Path == "" {
		p.Add(plan.OpLoopbackUp, "linux.namespaces[network]")
	}
	if spec.Hostname != "" {
		p.Add(plan.OpHostname, "hostname", plan.FStr(spec.Hostname))
	}
	if spec.Domainname != "" {
		p.Add(plan.OpDomainname, "domainname", plan.FStr(spec.Domainname))
	}
	if !cfg.NoNewKeyring {
		p.Add(plan.OpSessionKeyring, "process", plan.FStr("_ses."+cfg.ID))
	}
	return nil
}

// planMount is mountEntry (and mountCgroup) for mounts[i].
func planMount(p *plan.Plan, cfg *initConfig, facts *planFacts, name string, m *specs.Mount) error {
	opts, err := parseMountOptions(m.Options)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	bind := isBindMount(m)
	if bind {
		if m.Type == "proc" || m.Type == "sysfs" {
			return fallback(name, "a bind of type "+m.Type)
		}
		src := m.Source
		if !filepath.IsAbs(src) {
			src = filepath.Join(cfg.Bundle, src)
		}
		// The parent clones an idmapped bind's source, and one the user
		// namespace's mapped root finds out of its reach (idmappedMount,
		// parentOpensSource: only the executor can tell, at run time).
		var bits uint64
		if mountIDMapping(cfg.Spec, m) != nil {
			bits = plan.BindFromParent
		} else if hasOwnNamespace(cfg.Spec, specs.UserNamespace) {
			bits = plan.BindFromParentIfDenied
		}
		planBind(p, name, m.Destination, src, opts.flags|unix.MS_BIND, opts, bits)
		return nil
	}
	flags := opts.flags &^ (unix.MS_REMOUNT | unix.MS_BIND | unix.MS_REC)
	switch m.Type {
	case "cgroup", "cgroup2":
		return planCgroup(p, cfg, facts, name, m, flags)
	case "tmpfs", "devpts":
		if cfg.Spec.Linux.MountLabel != "" && cfg.SELinux {
			return fallback(name, "an SELinux mount label")
		}
	case "mqueue":
		if cfg.Spec.Linux.MountLabel != "" && cfg.SELinux {
			return fallback(name, "an SELinux mount label")
		}
	}
	if opts.copyUp && m.Type == "tmpfs" {
		return fallback(name, "tmpcopyup")
	}
	if opts.flags&unix.MS_SILENT != 0 {
		return fallback(name, "MS_SILENT has no fsconfig key")
	}
	var bits uint64
	if m.Type == "tmpfs" && !hasModeOption(opts.data) {
		bits |= plan.MountInheritMode
	}
	if m.Type == "sysfs" {
		bits |= plan.MountSysfsFallback
	}
	if m.Type == "proc" || m.Type == "sysfs" {
		bits |= plan.MountOrdinaryDir
	}
	p.Add(plan.OpMount, name, plan.FPath(m.Destination), plan.FStr(m.Source), plan.FStr(m.Type),
		plan.F64(uint64(flags)), plan.FStr(strings.Join(opts.data, ",")), plan.F64(bits))
	planMountAttrs(p, name, m.Destination, opts)
	return nil
}

func hasModeOption(data []string) bool {
	for _, d := range data {
		if strings.HasPrefix(d, "mode=") {
			return true
		}
	}
	return false
}

// planBind is bindMount + finishBind: the remount flags (those a bind takes
// only on remount) and what the config clears, then the attributes.
func planBind(p *plan.Plan, name, dest, src string, flags uintptr, opts *mountOptions, bits uint64) {
	extra := flags &^ (unix.MS_BIND | unix.MS_REC | unix.MS_REMOUNT)
	p.Add(plan.OpBind, name, plan.FPath(dest), plan.FPath(src), plan.FBool(flags&unix.MS_REC != 0),
		plan.F64(uint64(extra)), plan.F64(uint64(opts.clear)), plan.F64(bits))
	planMountAttrs(p, name, dest, opts)
}

func planMountAttrs(p *plan.Plan, name, dest string, opts *mountOptions) {
	if len(opts.propagation) == 0 && opts.recAttr == nil {
		return
	}
	var props []uint32
	for _, f := range opts.propagation {
		props = append(props, uint32(f))
	}
	var set, clr uint64
	if opts.recAttr != nil {
		set, clr = opts.recAttr.Attr_set, opts.recAttr.Attr_clr
	}
	p.Add(plan.OpMountAttr, name, plan.FPath(dest), plan.FU32v(props), plan.F64(set), plan.F64(clr))
}

// planCgroup is mountCgroup: cgroup2, a bind of the container's cgroup2
// dir, or (v1) a tmpfs of binds, one per hierarchy, with links for the
// co-mounted controllers' names.
func planCgroup(p *plan.Plan, cfg *initConfig, facts *planFacts, name string, m *specs.Mount, flags uintptr) error {
	_, newCgroupNS := findNamespace(cfg.Spec, specs.CgroupNamespace)
	none := &mountOptions{}
	if len(facts.cgroupV1) == 0 || m.Type == "cgroup2" {
		src := cfg.CgroupPaths.V2
		if src == "" {
			src = facts.cgroupV2
		}
		if newCgroupNS {
			// A user namespace may be refused a cgroup2 superblock (EPERM,
			// EBUSY): the bind of the container's cgroup stands in.
			bits := uint64(plan.MountCgroup)
			if src != "" {
				bits |= plan.MountOrBind
			}
			p.Add(plan.OpMount, name, plan.FPath(m.Destination), plan.FStr("cgroup2"), plan.FStr("cgroup2"),
				plan.F64(uint64(flags)), plan.FStr(""), plan.F64(bits))
			if src == "" {
				return nil
			}
		} else if src == "" {
			return fallback(name, "no cgroup2 mount on the host")
		}
		planBind(p, name, m.Destination, src, flags|unix.MS_BIND, none, 0)
		return nil
	}
	p.Add(plan.OpMount, name, plan.FPath(m.Destination), plan.FStr("tmpfs"), plan.FStr("tmpfs"),
		plan.F64(uint64(flags&^unix.MS_RDONLY)), plan.FStr("mode=755"), plan.F64(plan.MountCgroup))
	hier := append([]string(nil), facts.cgroupV1...)
	if facts.cgroupV2 != "" {
		hier = append(hier, facts.cgroupV2)
	}
	for _, mp := range hier {
		src := cgroupBindSource(cfg.CgroupPaths.Dirs(), mp)
		if src == "" {
			continue
		}
		base := filepath.Base(mp)
		dest := filepath.Join(m.Destination, base)
		planBind(p, name, dest, src, flags|unix.MS_BIND, none, 0)
		if strings.Contains(base, ",") {
			for _, c := range strings.Split(base, ",") {
				p.Add(plan.OpSymlink, name, plan.FPath(base), plan.FPath(filepath.Join(m.Destination, c)),
					plan.F64(plan.SymlinkIgnoreError))
			}
		}
	}
	if flags&unix.MS_RDONLY != 0 {
		p.Add(plan.OpRemount, name, plan.FPath(m.Destination), plan.F64(uint64(unix.MS_REMOUNT|flags)), plan.FStr("mode=755"))
	}
	return nil
}

// planDevices is createDevices and devSymlinks.
func planDevices(p *plan.Plan, spec *specs.Spec, facts *planFacts) {
	type dev struct {
		name string
		d    specs.LinuxDevice
	}
	var devs []dev
	have := map[string]bool{}
	for i, d := range spec.Linux.Devices {
		devs = append(devs, dev{fmt.Sprintf("linux.devices[%d]", i), d})
		have[filepath.Clean(d.Path)] = true
	}
	for _, d := range defaultDevices {
		if !have[d.Path] {
			devs = append(devs, dev{"devices[" + d.Path + "]", d})
		}
	}
	_, userns := findNamespace(spec, specs.UserNamespace)
	for _, e := range devs {
		d := e.d
		mode := uint64(deviceMode(d))
		var uid, gid uint64
		if d.UID != nil {
			uid = uint64(*d.UID)
		}
		if d.GID != nil {
			gid = uint64(*d.GID)
		}
		bits := uint64(plan.MknodBindEPERM)
		if userns {
			bits = plan.MknodBindHost
		}
		p.Add(plan.OpMknod, e.name, plan.FPath(filepath.Clean(d.Path)), plan.F64(mode), plan.F64(uint64(d.Major)),
			plan.F64(uint64(d.Minor)), plan.F64(uid), plan.F64(gid), plan.F64(bits))
	}
	links := [][2]string{
		{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
		{"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"},
	}
	if facts.kcore {
		links = append(links, [2]string{"/proc/kcore", "core"})
	}
	for _, l := range links {
		bits := uint64(plan.SymlinkExistOK)
		if l[1] == "ptmx" {
			bits = plan.SymlinkReplace
		}
		p.Add(plan.OpSymlink, "devices[/dev/"+l[1]+"]", plan.FPath(l[0]), plan.FPath("/dev/"+l[1]), plan.F64(bits))
	}
}

// schedAttrBytes is applyScheduler's struct sched_attr as the kernel takes
// it (include/uapi/linux/sched/types.h, SCHED_ATTR_SIZE_VER1: 56 bytes,
// the utilization clamps 0, as unix.SchedAttr leaves them), little-endian.
func schedAttrBytes(s *specs.Scheduler) []byte {
	var flags uint64
	for _, f := range s.Flags {
		flags |= schedFlags[f]
	}
	b := make([]byte, 0, unix.SizeofSchedAttr)
	b = binary.LittleEndian.AppendUint32(b, unix.SizeofSchedAttr)
	b = binary.LittleEndian.AppendUint32(b, schedPolicies[s.Policy])
	b = binary.LittleEndian.AppendUint64(b, flags)
	b = binary.LittleEndian.AppendUint32(b, uint32(s.Nice))
	b = binary.LittleEndian.AppendUint32(b, uint32(s.Priority))
	b = binary.LittleEndian.AppendUint64(b, s.Runtime)
	b = binary.LittleEndian.AppendUint64(b, s.Deadline)
	b = binary.LittleEndian.AppendUint64(b, s.Period)
	for len(b) < unix.SizeofSchedAttr {
		b = append(b, 0) // util_min, util_max of later sizes: 0
	}
	return b
}

// planConsole is setupConsole: a size of 0x0 sets none; the init (not
// an exec'd process) also binds the slave on /dev/console.
func planConsole(p *plan.Plan, proc *specs.Process, devConsole bool) {
	if !proc.Terminal {
		return
	}
	var w, h uint64
	if proc.ConsoleSize != nil {
		w, h = uint64(proc.ConsoleSize.Width), uint64(proc.ConsoleSize.Height)
	}
	p.Add(plan.OpConsole, "process.terminal", plan.F64(w), plan.F64(h), plan.FBool(devConsole))
}

// planProcess is finishAndExec, shared by the init and rt exec.
func planProcess(p *plan.Plan, cfg *initConfig, proc *specs.Process, facts *planFacts) error {
	spec := cfg.Spec
	switch {
	case proc.ApparmorProfile != "":
		return fallback("process.apparmorProfile", "not in the plan yet")
	case proc.SelinuxLabel != "":
		return fallback("process.selinuxLabel", "not in the plan yet")
	case !cfg.Exec && len(hooksOf(spec, hookStartContainer)) > 0:
		return fallback("hooks.startContainer", "run by the init")
	case len(proc.Args) == 0:
		return fallback("process.args", "empty")
	}
	sc := spec.Linux.Seccomp
	if sc != nil {
		if (&seccompFilter{profile: sc}).notifies() {
			return fallback("linux.seccomp", "SCMP_ACT_NOTIFY needs the listener's fd passed")
		}
		if facts.seccomp == nil {
			return fmt.Errorf("plan: linux.seccomp: the profile was not compiled")
		}
	}
	affinity := func(name, list string) error {
		set, err := parseCPUList(list)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		var cpus []uint32
		for c := 0; c < len(set)*64; c++ {
			if set.IsSet(c) {
				cpus = append(cpus, uint32(c))
			}
		}
		p.Add(plan.OpAffinity, name, plan.FU32v(cpus), plan.FStr(list))
		return nil
	}
	// initialAffinity: every CPU, or an exec's execCPUAffinity.initial.
	if a := proc.ExecCPUAffinity; cfg.Exec && a != nil && a.Initial != "" {
		if err := affinity("process.execCPUAffinity.initial", a.Initial); err != nil {
			return err
		}
	} else {
		p.Add(plan.OpAffinity, "process", plan.FU32v(nil), plan.FStr(""))
	}
	addRlimits := func(late bool) {
		for i, r := range proc.Rlimits {
			if lateRlimit(r.Type) == late {
				p.Add(plan.OpRlimit, fmt.Sprintf("process.rlimits[%d]", i), plan.F64(uint64(rlimitTypes[r.Type])),
					plan.F64(r.Soft), plan.F64(r.Hard))
			}
		}
	}
	addRlimits(false)
	p.Add(plan.OpChdir, "process.cwd", plan.FPath(proc.Cwd))
	env, hasHome := dedupeEnv(proc.Env)
	p.Add(plan.OpEnv, "process.env", plan.FStrv(env), plan.F64(uint64(proc.User.UID)), plan.FBool(!hasHome))
	p.Add(plan.OpLookPath, "process.args", plan.FPath(proc.Args[0]))
	if sch := proc.Scheduler; sch != nil {
		p.Add(plan.OpScheduler, "process.scheduler", plan.FBytes(schedAttrBytes(sch)), plan.FStr(string(sch.Policy)),
			plan.FStr(cpusetCpus(spec)))
	}
	if io := proc.IOPriority; io != nil {
		const classShift = 13
		p.Add(plan.OpIOPriority, "process.ioPriority", plan.F64(uint64(ioprioClasses[io.Class]<<classShift|io.Priority)),
			plan.FStr(string(io.Class)), plan.F64(uint64(io.Priority)))
	}
	if mpol := spec.Linux.MemoryPolicy; mpol != nil {
		mp, err := parseMemoryPolicy(mpol)
		if err != nil {
			return err
		}
		var nodes []uint32
		for n := 0; n <= mpolMaxNode; n++ {
			if mp.nodes.has(n) {
				nodes = append(nodes, uint32(n))
			}
		}
		relative := mp.mode&mpolFlags[specs.MpolFRelativeNodes] != 0
		p.Add(plan.OpMemPolicy, "linux.memoryPolicy", plan.F64(uint64(mp.mode)), plan.FU32v(nodes),
			plan.FStr(string(mpol.Mode)), plan.FStr(flagNames(mpol.Flags)), plan.FStr(mpol.Nodes), plan.FBool(relative))
	}
	if pers := spec.Linux.Personality; pers != nil {
		p.Add(plan.OpPersonality, "linux.personality", plan.F64(uint64(personalities[pers.Domain])), plan.FStr(string(pers.Domain)))
	}

	loadSeccomp := func() {
		if sc != nil {
			p.Add(plan.OpSeccomp, "linux.seccomp", plan.F64(facts.seccomp.flags), plan.FBytes(facts.seccomp.bpf))
		}
	}
	if !proc.NoNewPrivileges {
		loadSeccomp()
	}
	p.Add(plan.OpKeepCaps, "process.capabilities", plan.F64(1))
	var masks capabilities.Masks
	if proc.Capabilities != nil {
		masks, _ = capabilities.NewMasks(proc.Capabilities, facts.lastCap)
		p.Add(plan.OpCapBounding, "process.capabilities.bounding", plan.F64(masks.Bounding), plan.F64(uint64(facts.lastCap)))
	}
	u := proc.User
	if proc.Terminal {
		p.Add(plan.OpChownTTY, "process.terminal", plan.F64(uint64(u.UID)))
	}
	p.Add(plan.OpSetgroups, "process.user.additionalGids", plan.FU32v(append([]uint32{}, u.AdditionalGids...)))
	p.Add(plan.OpSetgid, "process.user.gid", plan.F64(uint64(u.GID)))
	p.Add(plan.OpSetuid, "process.user.uid", plan.F64(uint64(u.UID)))
	if proc.Capabilities != nil {
		p.Add(plan.OpCapabilities, "process.capabilities", plan.F64(masks.Effective), plan.F64(masks.Permitted),
			plan.F64(masks.Inheritable), plan.F64(masks.Ambient))
	}
	p.Add(plan.OpKeepCaps, "process.capabilities", plan.F64(0))
	umask := uint64(0o022)
	if u.Umask != nil {
		umask = uint64(*u.Umask)
	}
	p.Add(plan.OpUmask, "process.user.umask", plan.F64(umask))
	if proc.NoNewPrivileges {
		p.Add(plan.OpNoNewPrivs, "process.noNewPrivileges")
		if cfg.Exec {
			loadSeccomp()
		}
	}
	p.Add(plan.OpCloseFrom, "process", plan.F64(uint64(3+cfg.PreserveFds)))
	p.Add(plan.OpReady, "process")
	if !cfg.Exec {
		p.Add(plan.OpWaitStart, "process", plan.F64(uint64(cfg.ExecFifoFd)), plan.F64(uint64(cfg.ExecResultFd)),
			plan.FBool(cfg.Rootless))
		if proc.NoNewPrivileges {
			loadSeccomp()
		}
	}
	// lastAttrs: an exec's final CPU affinity, the address-space rlimits.
	if a := proc.ExecCPUAffinity; cfg.Exec && a != nil && a.Final != "" {
		if err := affinity("process.execCPUAffinity.final", a.Final); err != nil {
			return err
		}
	}
	addRlimits(true)
	p.Add(plan.OpExec, "process.args", plan.FStrv(proc.Args))
	return nil
}
