package plan

// Op is one kind of step. The numbers are the wire format: never reuse or
// renumber one (add new ops at the end and bump Version if an old executor
// could misread a plan). nsenter/plan.h lists the same ops with the same
// fields; TestCSchemaMatches holds the two tables equal.
type Op uint16

const (
	// The rootfs, in the container's new mount namespace, before pivot_root.
	OpPropagation    Op = iota + 1 // mount("", path, NULL, flags): propagation of a mount
	OpBindRootfs                   // bind the rootfs onto itself; later in-root paths resolve beneath it
	OpMount                        // a new filesystem on dest (a directory made in the rootfs)
	OpBind                         // a bind of source on dest (a dir or a file, as the source is)
	OpMountAttr                    // propagation and recursive attributes of the mount on dest
	OpMkdir                        // a directory (and its parents) in the rootfs
	OpMknod                        // a device node in the rootfs (or a bind of the host's)
	OpSymlink                      // a symbolic link in the rootfs
	OpRemountRO                    // the mount on dest made read-only, its locked flags kept
	OpRemount                      // the mount on dest remounted with flags and data
	OpHooks                        // "hooks" to the parent, wait for "hooks-done"
	OpSysctl                       // a value written to a file of the host's real procfs
	OpOOMScoreAdj                  // /proc/self/oom_score_adj
	OpPivotRoot                    // pivot_root into the rootfs, old root detached
	OpReadonlyPath                 // linux.readonlyPaths: a read-only bind of the path onto itself
	OpMaskPath                     // linux.maskedPaths: /dev/null or an empty read-only tmpfs over it
	OpRootReadonly                 // root.readonly
	OpReopenDevNull                // stdio that is the host's /dev/null reopened as the container's
	OpSetsid                       // a session of its own
	OpConsole                      // a pty: master to the parent ("console" + SCM_RIGHTS), slave as stdio and ctty
	OpLoopbackUp                   // lo up in a new network namespace
	OpHostname                     // sethostname
	OpDomainname                   // setdomainname
	OpSessionKeyring               // a session keyring of its own

	// The process, shared by the init and rt exec.
	OpAffinity     // sched_setaffinity: the CPUs listed (list: as the spec wrote them), or every CPU when none
	OpRlimit       // setrlimit
	OpChdir        // cwd resolved in the root, no magic link, getcwd checked
	OpEnv          // the workload's environment; HOME from /etc/passwd when asked
	OpLookPath     // args[0] found with the environment's PATH (inside the root), kept for OpExec
	OpSeccomp      // seccomp(SECCOMP_SET_MODE_FILTER, flags, the BPF program)
	OpKeepCaps     // PR_SET_KEEPCAPS
	OpCapBounding  // drop every capability 0..last not in keep from the bounding set
	OpChownTTY     // fchown(0, uid): the pty slave belongs to the process's user
	OpSetgroups    // setgroups (EPERM for an empty list is no error)
	OpSetgid       // setresgid
	OpSetuid       // setresuid
	OpCapabilities // capset, then the ambient set cleared and raised
	OpUmask        // umask
	OpNoNewPrivs   // PR_SET_NO_NEW_PRIVS
	OpCloseFrom    // every fd >= from made close-on-exec
	OpReady        // "ready" to the parent; the sync socket is closed
	OpWaitStart    // block on the exec fifo until rt start writes a byte
	OpExec         // execve of the path OpLookPath found, with args and the environment
	OpScheduler    // sched_setattr of the kernel's struct sched_attr, built by the parent
	OpIOPriority   // ioprio_set of this process
	OpPersonality  // personality(2)
	OpMemPolicy    // set_mempolicy of mode (flags or'ed in) over the nodes listed

	opEnd // one past the last op
)

// FieldSpec names one field of an op.
type FieldSpec struct {
	Name string
	Kind Kind
}

// OpSpec is an op's name (in dumps and in the executor's messages) and its
// fields, in wire order.
type OpSpec struct {
	Name   string
	Fields []FieldSpec
}

func f(name string, k Kind) FieldSpec { return FieldSpec{name, k} }

// Bits of OpMount's opts.
const (
	MountInheritMode   = 1 << 0 // tmpfs without mode=: the covered directory's mode (mode=%o added)
	MountSysfsFallback = 1 << 1 // sysfs refused with EPERM: a read-only rbind of the host's /sys
	MountOrdinaryDir   = 1 << 2 // proc, sysfs: dest, if it exists, must be a directory (no link)
	MountCgroup        = 1 << 3 // mountCgroup's tmpfs or cgroup2: no /proc checks, its error words
	MountOrBind        = 1 << 4 // refused with EPERM or EBUSY: the bind step after it stands in; mounted: that bind is skipped
)

// Every OpMount and OpBind is also checked where its dest resolves: /proc
// itself takes only a procfs (or a bind of a procfs root), and inside
// /proc only the lxcfs-style files (init_mount_proc.go); the executor
// always does this, the plan has no bit to turn it off.

// Bits of OpBind's opts: the parent clones the source (mount-source, with
// the index of mounts[i] the step's name gives) and the executor moves the
// fd it gets back onto dest.
const (
	BindFromParent         = 1 << 0 // always: an idmapped bind
	BindFromParentIfDenied = 1 << 1 // when the source is out of the mapped root's reach (EACCES, EPERM)
)

// Bits of OpMknod's opts.
const (
	MknodBindHost  = 1 << 0 // no mknod at all (a user namespace): bind the host's node onto a file
	MknodBindEPERM = 1 << 1 // mknod refused with EPERM: bind the host's node instead
)

// Bits of OpSymlink's opts.
const (
	SymlinkReplace     = 1 << 0 // unlink what is there first
	SymlinkExistOK     = 1 << 1 // EEXIST is no error
	SymlinkIgnoreError = 1 << 2 // any failure is no error (cgroup v1 co-mount links, as the Go init)
)

// Schema is every op's layout.
var Schema = map[Op]OpSpec{
	OpPropagation:    {"propagation", []FieldSpec{f("path", Path), f("flags", U64)}},
	OpBindRootfs:     {"bind-rootfs", []FieldSpec{f("rootfs", Path)}},
	OpMount:          {"mount", []FieldSpec{f("dest", Path), f("source", Str), f("fstype", Str), f("flags", U64), f("data", Str), f("opts", U64)}},
	OpBind:           {"bind", []FieldSpec{f("dest", Path), f("source", Path), f("recursive", U64), f("flags", U64), f("clear", U64), f("opts", U64)}},
	OpMountAttr:      {"mount-attr", []FieldSpec{f("dest", Path), f("propagation", U32v), f("attr_set", U64), f("attr_clr", U64)}},
	OpMkdir:          {"mkdir", []FieldSpec{f("path", Path), f("mode", U64)}},
	OpMknod:          {"mknod", []FieldSpec{f("path", Path), f("mode", U64), f("major", U64), f("minor", U64), f("uid", U64), f("gid", U64), f("opts", U64)}},
	OpSymlink:        {"symlink", []FieldSpec{f("target", Path), f("link", Path), f("opts", U64)}},
	OpRemountRO:      {"remount-ro", []FieldSpec{f("dest", Path)}},
	OpRemount:        {"remount", []FieldSpec{f("dest", Path), f("flags", U64), f("data", Str)}},
	OpHooks:          {"hooks", nil},
	OpSysctl:         {"sysctl", []FieldSpec{f("path", Path), f("value", Str)}},
	OpOOMScoreAdj:    {"oom-score-adj", []FieldSpec{f("value", Str)}},
	OpPivotRoot:      {"pivot-root", []FieldSpec{f("rootfs", Path)}},
	OpReadonlyPath:   {"readonly-path", []FieldSpec{f("path", Path)}},
	OpMaskPath:       {"masked-path", []FieldSpec{f("path", Path)}},
	OpRootReadonly:   {"root-readonly", nil},
	OpReopenDevNull:  {"reopen-dev-null", nil},
	OpSetsid:         {"setsid", nil},
	OpConsole:        {"console", []FieldSpec{f("width", U64), f("height", U64), f("dev_console", U64)}},
	OpLoopbackUp:     {"lo-up", nil},
	OpHostname:       {"hostname", []FieldSpec{f("name", Str)}},
	OpDomainname:     {"domainname", []FieldSpec{f("name", Str)}},
	OpSessionKeyring: {"session-keyring", []FieldSpec{f("name", Str)}},
	OpAffinity:       {"cpu-affinity", []FieldSpec{f("cpus", U32v), f("list", Str)}},
	OpRlimit:         {"rlimit", []FieldSpec{f("resource", U64), f("soft", U64), f("hard", U64)}},
	OpChdir:          {"chdir", []FieldSpec{f("cwd", Path)}},
	OpEnv:            {"env", []FieldSpec{f("vars", Strv), f("home_uid", U64), f("lookup_home", U64)}},
	OpLookPath:       {"lookpath", []FieldSpec{f("name", Path)}},
	OpSeccomp:        {"seccomp", []FieldSpec{f("flags", U64), f("bpf", Bytes)}},
	OpKeepCaps:       {"keep-caps", []FieldSpec{f("on", U64)}},
	OpCapBounding:    {"cap-bounding", []FieldSpec{f("keep", U64), f("last", U64)}},
	OpChownTTY:       {"chown-tty", []FieldSpec{f("uid", U64)}},
	OpSetgroups:      {"setgroups", []FieldSpec{f("gids", U32v)}},
	OpSetgid:         {"setgid", []FieldSpec{f("gid", U64)}},
	OpSetuid:         {"setuid", []FieldSpec{f("uid", U64)}},
	OpCapabilities:   {"capabilities", []FieldSpec{f("effective", U64), f("permitted", U64), f("inheritable", U64), f("ambient", U64)}},
	OpUmask:          {"umask", []FieldSpec{f("mask", U64)}},
	OpNoNewPrivs:     {"no-new-privileges", nil},
	OpCloseFrom:      {"close-fds", []FieldSpec{f("from", U64)}},
	OpReady:          {"ready", nil},
	OpWaitStart:      {"wait-start", []FieldSpec{f("fifo", U64), f("result", U64), f("dumpable", U64)}},
	OpExec:           {"exec", []FieldSpec{f("args", Strv)}},
	OpScheduler:      {"scheduler", []FieldSpec{f("attr", Bytes), f("policy", Str), f("cpuset", Str)}},
	OpIOPriority:     {"io-priority", []FieldSpec{f("prio", U64), f("class", Str), f("priority", U64)}},
	OpPersonality:    {"personality", []FieldSpec{f("persona", U64), f("domain", Str)}},
	OpMemPolicy:      {"mempolicy", []FieldSpec{f("policy", U64), f("nodes", U32v), f("mode_name", Str), f("flag_names", Str), f("node_list", Str), f("relative", U64)}},
}

// NumOps is how many ops the format has (1..NumOps).
const NumOps = int(opEnd) - 1

// Executable are the ops the C executor (nsenter/plan_exec.c and
// plan_rootfs.c) carries out: the parent sends a plan only when every step
// is one of them. cplan's TestExecutableMatchesC holds this equal to the
// executor's own table.
var Executable = func() map[Op]bool {
	m := map[Op]bool{}
	for op := Op(1); op < opEnd; op++ {
		m[op] = true
	}
	return m
}()
