package libcontainer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rt-runtime/rt/cgroups"
)

// LoadSpec reads and decodes <bundle>/config.json. A syntax error names the
// line and column.
func LoadSpec(bundle string) (*specs.Spec, error) {
	p := filepath.Join(bundle, "config.json")
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	// Read one byte past the bound to tell "at the bound" from "beyond".
	b, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	if len(b) > maxConfigSize {
		return nil, fmt.Errorf("%s: larger than %d MiB", p, maxConfigSize>>20)
	}
	return DecodeSpec(b, p)
}

// maxConfigSize bounds config.json: real configs are kilobytes, and the
// spec travels to the init in one sync message (maxSyncSize).
const maxConfigSize = 16 << 20

// maxMounts bounds linux mounts[]: each is a few syscalls in the init and
// an entry in the container's mount table.
const maxMounts = 4096

// DecodeSpec decodes a config; name is used in error messages.
func DecodeSpec(b []byte, name string) (*specs.Spec, error) {
	var s specs.Spec
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&s); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			l, c := lineCol(b, se.Offset)
			return nil, fmt.Errorf("%s: invalid JSON at line %d, column %d: %v", name, l, c, se)
		case errors.As(err, &te):
			l, c := lineCol(b, te.Offset)
			return nil, fmt.Errorf("%s: line %d, column %d: %s must be %s, not %s", name, l, c, te.Field, te.Type, te.Value)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &s, nil
}

// hasControlChar says whether s holds a byte below 0x20 or DEL.
func hasControlChar(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

func lineCol(b []byte, off int64) (int, int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	line, col := 1, 1
	for _, c := range b[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

var nsFlags = map[specs.LinuxNamespaceType]uintptr{
	specs.PIDNamespace:     unix.CLONE_NEWPID,
	specs.NetworkNamespace: unix.CLONE_NEWNET,
	specs.MountNamespace:   unix.CLONE_NEWNS,
	specs.IPCNamespace:     unix.CLONE_NEWIPC,
	specs.UTSNamespace:     unix.CLONE_NEWUTS,
	specs.UserNamespace:    unix.CLONE_NEWUSER,
	specs.CgroupNamespace:  unix.CLONE_NEWCGROUP,
	specs.TimeNamespace:    unix.CLONE_NEWTIME,
}

// nsProcName is the name of each namespace under /proc/<pid>/ns.
var nsProcName = map[specs.LinuxNamespaceType]string{
	specs.PIDNamespace:     "pid",
	specs.NetworkNamespace: "net",
	specs.MountNamespace:   "mnt",
	specs.IPCNamespace:     "ipc",
	specs.UTSNamespace:     "uts",
	specs.UserNamespace:    "user",
	specs.CgroupNamespace:  "cgroup",
	specs.TimeNamespace:    "time",
}

func findNamespace(s *specs.Spec, t specs.LinuxNamespaceType) (specs.LinuxNamespace, bool) {
	if s.Linux == nil {
		return specs.LinuxNamespace{}, false
	}
	for _, n := range s.Linux.Namespaces {
		if n.Type == t {
			return n, true
		}
	}
	return specs.LinuxNamespace{}, false
}

// hasOwnNamespace says whether the container has a namespace of type t
// other than the host's: a new one, or a path that is not rt's own.
func hasOwnNamespace(s *specs.Spec, t specs.LinuxNamespaceType) bool {
	n, ok := findNamespace(s, t)
	if !ok {
		return false
	}
	if n.Path == "" {
		return true
	}
	var a, b unix.Stat_t
	if unix.Stat(n.Path, &a) != nil || unix.Stat("/proc/self/ns/"+nsProcName[t], &b) != nil {
		return true // the join itself will report the bad path
	}
	return a.Dev != b.Dev || a.Ino != b.Ino
}

// Validate checks the whole spec up front, so that nothing is made for a
// config that cannot run. Errors name the field.
func Validate(s *specs.Spec) error {
	if s.Root == nil || s.Root.Path == "" {
		return errors.New("root.path: must be set")
	}
	if s.Process == nil {
		return errors.New("process: must be set")
	}
	if err := validateProcess(s.Process, "process"); err != nil {
		return err
	}
	if s.Linux == nil {
		return errors.New("linux: must be set")
	}
	seen := map[specs.LinuxNamespaceType]bool{}
	for i, n := range s.Linux.Namespaces {
		if _, ok := nsFlags[n.Type]; !ok {
			return fmt.Errorf("linux.namespaces[%d].type: unknown namespace %q", i, n.Type)
		}
		if seen[n.Type] {
			return fmt.Errorf("linux.namespaces[%d].type: namespace %q given twice", i, n.Type)
		}
		seen[n.Type] = true
		if n.Path != "" && !filepath.IsAbs(n.Path) {
			return fmt.Errorf("linux.namespaces[%d].path: %q is not an absolute path", i, n.Path)
		}
		// The path becomes one line of stage 0's bootstrap: a newline
		// would add a line of the config's choosing.
		if hasControlChar(n.Path) {
			return fmt.Errorf("linux.namespaces[%d].path: %q contains a control character", i, n.Path)
		}
	}
	// Up front, as runc does, so that nothing is made for it.
	if r := s.Linux.Resources; r != nil && len(r.Unified) > 0 && cgroups.Mode() != cgroups.Unified {
		return errors.New("invalid configuration: cannot use unified on cgroup v1")
	}
	if n, ok := findNamespace(s, specs.TimeNamespace); ok && n.Path != "" && len(s.Linux.TimeOffsets) > 0 {
		// A joined time namespace already has its offsets (runc's words).
		return errors.New("time namespace enabled, but both namespace path and time offsets specified -- you may only provide one")
	}
	for clock := range s.Linux.TimeOffsets {
		if clock != "monotonic" && clock != "boottime" {
			return fmt.Errorf("linux.timeOffsets: unknown clock %q (monotonic or boottime)", clock)
		}
	}
	if !hasOwnNamespace(s, specs.MountNamespace) {
		if err := validateHostMounts(s); err != nil {
			return err
		}
	}
	user, hasUser := findNamespace(s, specs.UserNamespace)
	if (len(s.Linux.UIDMappings) > 0 || len(s.Linux.GIDMappings) > 0) && !hasUser {
		return errors.New("linux.uidMappings: id mappings need a user namespace")
	}
	if hasUser && user.Path == "" && (len(s.Linux.UIDMappings) == 0 || len(s.Linux.GIDMappings) == 0) {
		return errors.New("linux.uidMappings: a new user namespace needs uidMappings and gidMappings")
	}
	if hasUser && user.Path != "" {
		if err := checkJoinedUserNS(s, user.Path); err != nil {
			return err
		}
	}
	if s.Hostname != "" && !hasOwnNamespace(s, specs.UTSNamespace) {
		return errors.New("hostname: setting the hostname needs a new uts namespace")
	}
	if s.Domainname != "" && !hasOwnNamespace(s, specs.UTSNamespace) {
		return errors.New("domainname: setting the domainname needs a new uts namespace")
	}
	if len(s.Mounts) > maxMounts {
		return fmt.Errorf("mounts: %d entries, more than the %d rt allows", len(s.Mounts), maxMounts)
	}
	for i, m := range s.Mounts {
		// A relative destination is taken from / (runc 1.5 warns and does
		// the same).
		if m.Destination == "" {
			return fmt.Errorf("mounts[%d].destination: must be set", i)
		}
		if _, err := parseMountOptions(m.Options); err != nil {
			return fmt.Errorf("mounts[%d].options: %w", i, err)
		}
	}
	if err := validateIDMapMounts(s); err != nil {
		return err
	}
	if err := validateSysctl(s); err != nil {
		return err
	}
	for i, d := range s.Linux.Devices {
		if !filepath.IsAbs(d.Path) {
			return fmt.Errorf("linux.devices[%d].path: %q is not an absolute path", i, d.Path)
		}
		switch d.Type {
		case "c", "b", "u", "p":
		default:
			return fmt.Errorf("linux.devices[%d].type: unknown device type %q", i, d.Type)
		}
	}
	if p := s.Linux.RootfsPropagation; p != "" {
		if _, ok := propagationFlags[p]; !ok {
			return fmt.Errorf("linux.rootfsPropagation: unknown propagation %q", p)
		}
	}
	if err := validatePersonality(s.Linux.Personality); err != nil {
		return err
	}
	if err := validateMemoryPolicy(s.Linux.MemoryPolicy); err != nil {
		return err
	}
	if err := validateNetDevices(s); err != nil {
		return err
	}
	if err := refuseUnsupported(s); err != nil {
		return err
	}
	return validateHooksAndSecurity(s)
}

// refuseUnsupported names the spec fields rt does not apply yet: a config
// asking for them fails instead of running without them.
func refuseUnsupported(s *specs.Spec) error {
	switch {
	case s.Linux.IntelRdt != nil:
		return errors.New("linux.intelRdt: Intel RDT is not supported by rt yet")
	}
	return nil
}

func validateProcess(p *specs.Process, field string) error {
	if len(p.Args) == 0 {
		return fmt.Errorf("%s.args: must not be empty", field)
	}
	if p.Cwd == "" || !filepath.IsAbs(p.Cwd) {
		return fmt.Errorf("%s.cwd: %q is not an absolute path", field, p.Cwd)
	}
	for i, r := range p.Rlimits {
		if _, ok := rlimitTypes[r.Type]; !ok {
			return fmt.Errorf("%s.rlimits[%d].type: unknown rlimit %q", field, i, r.Type)
		}
		if r.Soft > r.Hard {
			return fmt.Errorf("%s.rlimits[%d]: soft limit %d is above hard limit %d", field, i, r.Soft, r.Hard)
		}
	}
	if err := validateEnv(p.Env, field); err != nil {
		return err
	}
	return validateProcessAttrs(p, field)
}

// sysctlNamespace says which namespace a sysctl belongs to ("" = none,
// which cannot be set from a container).
func sysctlNamespace(key string) (specs.LinuxNamespaceType, bool) {
	switch {
	case strings.HasPrefix(key, "net."):
		return specs.NetworkNamespace, true
	case strings.HasPrefix(key, "fs.mqueue."):
		return specs.IPCNamespace, true
	case key == "kernel.msgmax", key == "kernel.msgmnb", key == "kernel.msgmni", key == "kernel.sem",
		key == "kernel.shmall", key == "kernel.shmmax", key == "kernel.shmmni", key == "kernel.shm_rmid_forced":
		return specs.IPCNamespace, true
	case key == "kernel.hostname", key == "kernel.domainname":
		return specs.UTSNamespace, true
	}
	return "", false
}

var nsNames = map[specs.LinuxNamespaceType]string{
	specs.NetworkNamespace: "network", specs.IPCNamespace: "ipc", specs.UTSNamespace: "uts",
}

func validateSysctl(s *specs.Spec) error {
	for k := range s.Linux.Sysctl {
		key := strings.ReplaceAll(k, "/", ".")
		if strings.Contains(key, "..") || strings.HasPrefix(key, ".") {
			return fmt.Errorf("linux.sysctl: %q is not a sysctl name", k)
		}
		ns, ok := sysctlNamespace(key)
		if !ok {
			return fmt.Errorf("linux.sysctl: %q is not namespaced and cannot be set in a container", k)
		}
		if !hasOwnNamespace(s, ns) {
			return fmt.Errorf("linux.sysctl: %q requires a new %s namespace", k, nsNames[ns])
		}
	}
	return nil
}

// validateHostMounts checks a config that leaves the container in the
// host's mount namespace (the spec allows it). As in runc, rt then mounts
// nothing and does not pivot_root, it only chroots into the rootfs; runc
// still makes the config's mounts, onto the host, where they outlive the
// container: rt refuses a config that asks for any.
func validateHostMounts(s *specs.Spec) error {
	if len(s.Linux.MaskedPaths) > 0 || len(s.Linux.ReadonlyPaths) > 0 {
		return errors.New("unable to restrict sys entries without a private MNT namespace")
	}
	const why = "without a mount namespace of its own, rt would make it on the host"
	switch {
	case len(s.Mounts) > 0:
		return fmt.Errorf("mounts[0] (%s): %s", s.Mounts[0].Destination, why)
	case len(s.Linux.Devices) > 0:
		return fmt.Errorf("linux.devices[0] (%s): %s", s.Linux.Devices[0].Path, why)
	case s.Root.Readonly:
		return fmt.Errorf("root.readonly: %s", why)
	case s.Linux.RootfsPropagation != "":
		return fmt.Errorf("linux.rootfsPropagation: %s", why)
	}
	return nil
}

// checkJoinedUserNS compares, as runc does, the mappings of a user
// namespace to join with those the config gives: a joined namespace keeps
// its own, so different ones in the config are an error, and a namespace
// without mappings (nobody wrote them yet) cannot run a container. Only a
// /proc/<pid>/ns/user path shows its maps without entering it; other paths
// are checked by the join itself.
func checkJoinedUserNS(s *specs.Spec, path string) error {
	rest, ok := strings.CutPrefix(path, "/proc/")
	pid, tail, _ := strings.Cut(rest, "/")
	if !ok || tail != "ns/user" || strings.Trim(pid, "0123456789") != "" || pid == "" {
		return nil
	}
	uids, uerr := readIDMap("/proc/" + pid + "/uid_map")
	gids, gerr := readIDMap("/proc/" + pid + "/gid_map")
	if uerr != nil || gerr != nil {
		return nil // the join reports a vanished process
	}
	if len(s.Linux.UIDMappings) == 0 && len(s.Linux.GIDMappings) == 0 {
		if len(uids) == 0 {
			return errors.New("user namespaces enabled, but no uid mappings found")
		}
		if len(gids) == 0 {
			return errors.New("user namespaces enabled, but no gid mappings found")
		}
		return nil
	}
	if !sameIDMaps(uids, s.Linux.UIDMappings) || !sameIDMaps(gids, s.Linux.GIDMappings) {
		return errors.New("user namespaces enabled, but both namespace path and non-matching mapping specified -- you may only provide one")
	}
	return nil
}

func readIDMap(p string) ([]specs.LinuxIDMapping, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var out []specs.LinuxIDMapping
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m specs.LinuxIDMapping
		if n, _ := fmt.Sscan(l, &m.ContainerID, &m.HostID, &m.Size); n == 3 {
			out = append(out, m)
		}
	}
	return out, nil
}

func sameIDMaps(a, b []specs.LinuxIDMapping) bool {
	if len(a) != len(b) {
		return false
	}
	for _, m := range b {
		found := false
		for _, n := range a {
			found = found || m == n
		}
		if !found {
			return false
		}
	}
	return true
}
