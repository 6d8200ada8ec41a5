//lint:file-ignore SA1019 linux.resources.memory.kernel (runc's --kernel-memory) is deprecated in the spec but still accepted, as runc accepts it

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/rt-runtime/rt/libcontainer"
)

// updateFlag is one of runc's update flags and the resource it sets.
type updateFlag struct {
	name, usage string
}

// updateFlags are runc's, in runc's order. All are strings on the command
// line and parsed here, so an empty value means "not given" as in runc.
var updateFlags = []updateFlag{
	{"blkio-weight", "block IO weight (10..1000), relative to other containers"},
	{"cpu-period", "CPU CFS period for hard capping (µs)"},
	{"cpu-quota", "CPU CFS quota within each period (µs); -1 for no limit"},
	{"cpu-burst", "CPU CFS burst on top of the quota (µs)"},
	{"cpu-share", "CPU shares (relative weight vs. other containers)"},
	{"cpu-rt-period", "CPU realtime period (µs)"},
	{"cpu-rt-runtime", "CPU realtime runtime within each period (µs)"},
	{"cpuset-cpus", "CPUs to run on (0-3, 0,1)"},
	{"cpuset-mems", "memory nodes to allocate from (0-3, 0,1)"},
	{"cpu-idle", "1 to give the cgroup the SCHED_IDLE weight, 0 for normal"},
	{"memory", "memory limit (bytes, or with a k/m/g suffix); -1 for unlimited"},
	{"memory-reservation", "memory soft limit (bytes, or with a k/m/g suffix)"},
	{"memory-swap", "memory+swap limit (bytes, or with a k/m/g suffix); -1 for unlimited"},
	{"kernel-memory", "kernel memory limit (deprecated; ignored by kernels without it)"},
	{"kernel-memory-tcp", "kernel TCP buffer limit (deprecated; ignored by kernels without it)"},
	{"pids-limit", "maximum number of processes; -1 for unlimited"},
	{"l3-cache-schema", "Intel RDT L3 cache schema (not supported)"},
	{"mem-bw-schema", "Intel RDT memory bandwidth schema (not supported)"},
}

var updateCommand = &cli.Command{
	Name:      "update",
	Usage:     "update the resource limits of a created, running or paused container",
	ArgsUsage: "<container-id>",
	Description: `The new values are merged into the container's current resources, written
to its cgroup and kept in its state. A value of 0 (or an absent field in
--resources) leaves the current value as it is, as runc does; -1 lifts a
memory, cpu-quota or pids limit.`,
	Flags: updateCLIFlags(),
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, exactArgs); err != nil {
			return err
		}
		u, err := updateFromCLI(c)
		if err != nil {
			return err
		}
		ct, err := libcontainer.Load(c.String("root"), c.Args().First(), logger)
		if err != nil {
			return err
		}
		return ct.Update(u)
	},
}

func updateCLIFlags() []cli.Flag {
	fl := []cli.Flag{&cli.StringFlag{
		Name:    "resources",
		Aliases: []string{"r"},
		Usage:   `file with the new resources as linux.resources JSON, "-" for stdin (instead of the other flags)`,
	}}
	for _, f := range updateFlags {
		fl = append(fl, &cli.StringFlag{Name: f.name, Usage: f.usage})
	}
	return fl
}

// updateFromCLI reads the requested change from --resources or the flags.
func updateFromCLI(c *cli.Context) (*specs.LinuxResources, error) {
	set := make(map[string]string)
	for _, f := range updateFlags {
		if c.IsSet(f.name) {
			set[f.name] = c.String(f.name)
		}
	}
	in := c.String("resources")
	if in == "" {
		return resourcesFromFlags(set)
	}
	if len(set) > 0 {
		return nil, fmt.Errorf("update: --resources cannot be combined with --%s", firstKey(set))
	}
	var r io.Reader = os.Stdin
	if in != "-" {
		f, err := os.Open(in)
		if err != nil {
			return nil, fmt.Errorf("update: --resources: %w", err)
		}
		defer f.Close()
		r = f
	}
	return decodeResources(r)
}

func firstKey(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys[0]
}

// decodeResources reads a linux.resources JSON object.
func decodeResources(r io.Reader) (*specs.LinuxResources, error) {
	var res specs.LinuxResources
	dec := json.NewDecoder(r)
	if err := dec.Decode(&res); err != nil {
		return nil, fmt.Errorf("update: decode --resources: %w", err)
	}
	return &res, nil
}

// resourcesFromFlags turns the given flags (name -> value; an empty value
// counts as not given) into the requested change.
func resourcesFromFlags(set map[string]string) (*specs.LinuxResources, error) {
	for _, n := range []string{"l3-cache-schema", "mem-bw-schema"} {
		if set[n] != "" {
			return nil, fmt.Errorf("update: --%s: Intel RDT is not supported by rt", n)
		}
	}
	r := &specs.LinuxResources{}
	cpu := &specs.LinuxCPU{}
	mem := &specs.LinuxMemory{}
	for _, p := range []struct {
		name string
		dst  **uint64
	}{
		{"cpu-period", &cpu.Period}, {"cpu-burst", &cpu.Burst},
		{"cpu-share", &cpu.Shares}, {"cpu-rt-period", &cpu.RealtimePeriod},
	} {
		if v := set[p.name]; v != "" {
			n, perr := strconv.ParseUint(v, 10, 64)
			if perr != nil {
				return nil, fmt.Errorf("update: --%s: %q is not a non-negative integer", p.name, v)
			}
			*p.dst = &n
		}
	}
	for _, p := range []struct {
		name string
		dst  **int64
	}{
		{"cpu-quota", &cpu.Quota}, {"cpu-rt-runtime", &cpu.RealtimeRuntime}, {"cpu-idle", &cpu.Idle},
	} {
		if v := set[p.name]; v != "" {
			n, perr := strconv.ParseInt(v, 10, 64)
			if perr != nil {
				return nil, fmt.Errorf("update: --%s: %q is not an integer", p.name, v)
			}
			*p.dst = &n
		}
	}
	cpu.Cpus, cpu.Mems = set["cpuset-cpus"], set["cpuset-mems"]
	for _, p := range []struct {
		name string
		dst  **int64
	}{
		{"memory", &mem.Limit}, {"memory-reservation", &mem.Reservation}, {"memory-swap", &mem.Swap},
		{"kernel-memory", &mem.Kernel}, {"kernel-memory-tcp", &mem.KernelTCP},
	} {
		if v := set[p.name]; v != "" {
			n, perr := parseMemSize(v)
			if perr != nil {
				return nil, fmt.Errorf("update: --%s: %w", p.name, perr)
			}
			*p.dst = &n
		}
	}
	if v := set["blkio-weight"]; v != "" {
		w, perr := strconv.ParseUint(v, 10, 16)
		if perr != nil {
			return nil, fmt.Errorf("update: --blkio-weight: %q is not an integer in 0..65535", v)
		}
		w16 := uint16(w)
		r.BlockIO = &specs.LinuxBlockIO{Weight: &w16}
	}
	if v := set["pids-limit"]; v != "" {
		n, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil {
			return nil, fmt.Errorf("update: --pids-limit: %q is not an integer", v)
		}
		r.Pids = &specs.LinuxPids{Limit: &n}
	}
	if *cpu != (specs.LinuxCPU{}) {
		r.CPU = cpu
	}
	if *mem != (specs.LinuxMemory{}) {
		r.Memory = mem
	}
	return r, nil
}

var memSizeRe = regexp.MustCompile(`^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$`)

// parseMemSize reads a size as runc does (docker's RAMInBytes): bytes, or
// a number with a binary k/m/g/t/p suffix ("512m", "1.5g", "64MiB"); "-1"
// is unlimited.
func parseMemSize(s string) (int64, error) {
	if s == "-1" {
		return -1, nil
	}
	m := memSizeRe.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is not a size (bytes, or a number with a k, m, g, t or p suffix; -1 for unlimited)", s)
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, err)
	}
	mult := map[string]float64{"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}[strings.ToLower(m[2])]
	v := n * mult
	if v >= 1<<63 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return int64(v), nil
}
