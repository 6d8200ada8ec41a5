package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"github.com/urfave/cli/v2"

	"github.com/rt-runtime/rt/cgroups/systemd"
	"github.com/rt-runtime/rt/libcontainer"
	"github.com/rt-runtime/rt/libcontainer/capabilities"
	"github.com/rt-runtime/rt/seccomp"
)

var featuresCommand = &cli.Command{
	Name:  "features",
	Usage: "print the OCI features document of this build on this host (JSON)",
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 0, exactArgs); err != nil {
			return err
		}
		b, err := json.MarshalIndent(buildFeatures(hostProbe{}), "", "    ")
		if err != nil {
			return fmt.Errorf("features: encode: %w", err)
		}
		if _, err := os.Stdout.Write(append(b, '\n')); err != nil {
			return fmt.Errorf("features: write: %w", err)
		}
		return nil
	},
}

// ociVersionMin is the oldest runtime-spec version whose configs rt
// reads: every 1.0.x config decodes into today's specs.Spec.
const ociVersionMin = "1.0.0"

// What this build has compiled in (the spec asks for that, not for what
// the host offers). Each names the code that does it; a feature added
// later changes its line here.
var (
	hasCgroupV1    = true  // cgroups/fs
	hasCgroupV2    = true  // cgroups/fs2 (+ cgroups/devices eBPF)
	hasRdmaCgroup  = true  // rdma.max in cgroups/fs and cgroups/fs2
	hasSystemd     = true  // --systemd-cgroup: cgroups/systemd
	hasSystemdUser = true  // the user's systemd (rootless --systemd-cgroup): cgroups/systemd
	hasSeccomp     = true  // seccomp/, libseccomp linked in
	hasAppArmor    = true  // process.apparmorProfile (libcontainer/lsm)
	hasSELinux     = true  // process.selinuxLabel and linux.mountLabel (libcontainer/lsm)
	hasIDMapMounts = true  // libcontainer/mount_idmap*.go, where the kernel has MOUNT_ATTR_IDMAP
	hasNetDevices  = true  // linux.netDevices (libcontainer/parent_netdev.go)
	hasIntelRdt    = false // linux.intelRdt is not implemented
	hasCheckpoint  = true  // checkpoint/restore through CRIU: libcontainer/checkpoint.go, restore.go
)

// hookNames are the six hook kinds libcontainer/hooks.go runs.
var hookNames = []string{
	"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
}

// mountOptionNames mirrors the option tables of libcontainer/mountopts.go
// (flagOptions, propagationFlags, recAttrOptions, tmpcopyup): the words
// rt itself understands, not filesystem data passed through to mount(2).
var mountOptionNames = []string{
	"async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec",
	"lazytime", "loud", "mand", "noatime", "nodev", "nodiratime", "noexec",
	"nolazytime", "nomand", "norelatime", "nostrictatime", "nosuid", "nosymfollow",
	"private", "rbind", "rdev", "rdiratime", "relatime", "remount", "rexec",
	"rnoatime", "rnodev", "rnodiratime", "rnoexec", "rnosuid", "ro", "rprivate",
	"rrelatime", "rro", "rrw", "rshared", "rslave", "rstrictatime", "rsuid",
	"runbindable", "rw", "shared", "silent", "slave", "strictatime", "suid",
	"symfollow", "sync", "tmpcopyup", "unbindable",
}

// idmapOptionNames are listed only where idmapped mounts work (build and
// kernel): a runtime that lists an option must honour it.
var idmapOptionNames = []string{"idmap", "ridmap"}

// namespaceProcNames maps every namespace type of the spec to its entry
// under /proc/self/ns; libcontainer creates and joins all of them.
var namespaceProcNames = []struct {
	typ  specs.LinuxNamespaceType
	proc string
}{
	{specs.CgroupNamespace, "cgroup"},
	{specs.IPCNamespace, "ipc"},
	{specs.MountNamespace, "mnt"},
	{specs.NetworkNamespace, "net"},
	{specs.PIDNamespace, "pid"},
	{specs.TimeNamespace, "time"},
	{specs.UserNamespace, "user"},
	{specs.UTSNamespace, "uts"},
}

// probe is what the features document asks of the running system; the
// unit test swaps in a fake.
type probe interface {
	hasNamespace(procName string) bool
	kernelCaps() []string
	seccompArchs() []string
	seccompFlags() []string
	libseccompVersion() string
	// memoryPolicy: the set_mempolicy modes and flags the kernel accepts.
	memoryPolicy() (modes, flags []string)
	idmapMounts() bool // the kernel has MOUNT_ATTR_IDMAP
}

type hostProbe struct{}

func (hostProbe) hasNamespace(n string) bool {
	_, err := os.Lstat(filepath.Join("/proc/self/ns", n))
	return err == nil
}
func (hostProbe) kernelCaps() []string   { return capabilities.KernelCaps() }
func (hostProbe) seccompArchs() []string { return seccomp.KnownArchs() }
func (hostProbe) seccompFlags() []string { return seccomp.KnownFlags() }
func (hostProbe) libseccompVersion() string {
	maj, min, mic := libseccomp.GetLibraryVersion()
	return fmt.Sprintf("%d.%d.%d", maj, min, mic)
}

func (hostProbe) memoryPolicy() ([]string, []string) { return libcontainer.MemoryPolicySupport() }
func (hostProbe) idmapMounts() bool                  { return libcontainer.IDMapMountsSupported() }

func boolp(b bool) *bool { return &b }

// buildFeatures computes the document: the compile-time tables above,
// narrowed by what p finds (namespaces the kernel has, capabilities up to
// cap_last_cap, archs and flags the linked libseccomp and kernel can do,
// the memory policy modes and flags the kernel accepts).
func buildFeatures(p probe) *features.Features {
	var namespaces []string
	for _, n := range namespaceProcNames {
		if p.hasNamespace(n.proc) {
			namespaces = append(namespaces, string(n.typ))
		}
	}
	annotations := map[string]string{
		"org.rt-runtime.rt.version": version,
	}
	if commit != "" {
		annotations["org.rt-runtime.rt.commit"] = commit
	}
	// runc's "org.opencontainers.runc.checkpoint.enabled", in rt's namespace.
	if hasCheckpoint {
		annotations["org.rt-runtime.rt.checkpoint.enabled"] = "true"
	}
	if v := p.libseccompVersion(); v != "" {
		annotations["io.github.seccomp.libseccomp.version"] = v
	}
	supportedFlags := p.seccompFlags()
	mpolModes, mpolFlags := p.memoryPolicy()
	idmap := hasIDMapMounts && p.idmapMounts()
	mountOptions := append([]string(nil), mountOptionNames...)
	if idmap {
		mountOptions = append(mountOptions, idmapOptionNames...)
		sort.Strings(mountOptions)
	}
	return &features.Features{
		OCIVersionMin: ociVersionMin,
		OCIVersionMax: specs.Version,
		Hooks:         append([]string(nil), hookNames...),
		MountOptions:  mountOptions,
		Linux: &features.Linux{
			Namespaces:   namespaces,
			Capabilities: p.kernelCaps(),
			Cgroup: &features.Cgroup{
				V1:          boolp(hasCgroupV1),
				V2:          boolp(hasCgroupV2),
				Systemd:     boolp(hasSystemd),
				SystemdUser: boolp(hasSystemdUser),
				Rdma:        boolp(hasRdmaCgroup),
			},
			Seccomp: &features.Seccomp{
				Enabled:        boolp(hasSeccomp),
				Actions:        seccomp.KnownActions(),
				Operators:      seccomp.KnownOperators(),
				Archs:          p.seccompArchs(),
				SupportedFlags: supportedFlags,
			},
			Apparmor:        &features.Apparmor{Enabled: boolp(hasAppArmor)},
			Selinux:         &features.Selinux{Enabled: boolp(hasSELinux)},
			IntelRdt:        &features.IntelRdt{Enabled: boolp(hasIntelRdt)},
			MemoryPolicy:    &features.MemoryPolicy{Modes: mpolModes, Flags: mpolFlags},
			MountExtensions: &features.MountExtensions{IDMap: &features.IDMap{Enabled: boolp(idmap)}},
			NetDevices:      &features.NetDevices{Enabled: boolp(hasNetDevices)},
		},
		Annotations: annotations,
		// The config annotations rt acts on, which an engine should not
		// pass through from an untrusted source (a pod's annotations):
		// systemd unit properties and CRIU's configuration file. runc
		// 1.5 also lists "bundle", which it reads into its hooks' state;
		// rt never reads it.
		PotentiallyUnsafeConfigAnnotations: []string{systemd.AnnotationPrefix, libcontainer.CRIUConfigAnnotation},
	}
}
