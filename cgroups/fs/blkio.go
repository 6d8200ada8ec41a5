package fs

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rt-runtime/rt/cgroups/internal/cgfile"
	"github.com/rt-runtime/rt/cgroups/stats"
)

func blkioSet(b *specs.LinuxBlockIO) bool {
	return b.Weight != nil || b.LeafWeight != nil || len(b.WeightDevice) > 0 ||
		len(b.ThrottleReadBpsDevice) > 0 || len(b.ThrottleWriteBpsDevice) > 0 ||
		len(b.ThrottleReadIOPSDevice) > 0 || len(b.ThrottleWriteIOPSDevice) > 0
}

// weightFile picks the CFQ file or, on kernels with only BFQ, its
// blkio.bfq.* twin; with neither, the CFQ name so the error names it.
func weightFile(dir, name string) string {
	if !cgfile.Exists(dir, "blkio."+name) && cgfile.Exists(dir, "blkio.bfq."+name) {
		return "blkio.bfq." + name
	}
	return "blkio." + name
}

func setBlkio(dir string, b *specs.LinuxBlockIO) error {
	if b.Weight != nil {
		if err := cgfile.Write(dir, weightFile(dir, "weight"), strconv.FormatUint(uint64(*b.Weight), 10)); err != nil {
			return err
		}
	}
	if b.LeafWeight != nil {
		if err := cgfile.Write(dir, "blkio.leaf_weight", strconv.FormatUint(uint64(*b.LeafWeight), 10)); err != nil {
			return err
		}
	}
	for _, wd := range b.WeightDevice {
		if wd.Weight != nil {
			v := fmt.Sprintf("%d:%d %d", wd.Major, wd.Minor, *wd.Weight)
			if err := cgfile.Write(dir, weightFile(dir, "weight_device"), v); err != nil {
				return err
			}
		}
		if wd.LeafWeight != nil {
			v := fmt.Sprintf("%d:%d %d", wd.Major, wd.Minor, *wd.LeafWeight)
			if err := cgfile.Write(dir, "blkio.leaf_weight_device", v); err != nil {
				return err
			}
		}
	}
	for _, t := range []struct {
		file string
		devs []specs.LinuxThrottleDevice
	}{
		{"blkio.throttle.read_bps_device", b.ThrottleReadBpsDevice},
		{"blkio.throttle.write_bps_device", b.ThrottleWriteBpsDevice},
		{"blkio.throttle.read_iops_device", b.ThrottleReadIOPSDevice},
		{"blkio.throttle.write_iops_device", b.ThrottleWriteIOPSDevice},
	} {
		for _, d := range t.devs {
			if err := cgfile.Write(dir, t.file, fmt.Sprintf("%d:%d %d", d.Major, d.Minor, d.Rate)); err != nil {
				return err
			}
		}
	}
	return nil
}

// blkioStats reads the CFQ counters, else BFQ's, else the throttle
// layer's (which counts every device whatever its scheduler).
func blkioStats(dir string, b *stats.Blkio) error {
	for _, prefix := range []string{"blkio.", "blkio.bfq."} {
		if !cgfile.Exists(dir, prefix+"io_serviced_recursive") {
			continue
		}
		var s stats.Blkio
		for _, f := range []struct {
			name string
			out  *[]stats.BlkioEntry
		}{
			{"io_service_bytes_recursive", &s.IoServiceBytesRecursive},
			{"io_serviced_recursive", &s.IoServicedRecursive},
			{"io_queued_recursive", &s.IoQueuedRecursive},
			{"io_service_time_recursive", &s.IoServiceTimeRecursive},
			{"io_wait_time_recursive", &s.IoWaitTimeRecursive},
			{"io_merged_recursive", &s.IoMergedRecursive},
			{"time_recursive", &s.IoTimeRecursive},
			{"sectors_recursive", &s.SectorsRecursive},
		} {
			if !cgfile.Exists(dir, prefix+f.name) {
				continue
			}
			e, err := readBlkioEntries(dir, prefix+f.name)
			if err != nil {
				return err
			}
			*f.out = e
		}
		if len(s.IoServicedRecursive) > 0 {
			*b = s
			return nil
		}
	}
	var err error
	if b.IoServiceBytesRecursive, err = readBlkioEntries(dir, "blkio.throttle.io_service_bytes_recursive"); err != nil {
		return err
	}
	b.IoServicedRecursive, err = readBlkioEntries(dir, "blkio.throttle.io_serviced_recursive")
	return err
}

// readBlkioEntries parses "8:0 Read 4096" and "8:0 4096" lines; the
// "Total" summary line is dropped.
func readBlkioEntries(dir, file string) ([]stats.BlkioEntry, error) {
	s, err := cgfile.Read(dir, file)
	if err != nil {
		return nil, err
	}
	return ParseBlkioEntries(s)
}

// ParseBlkioEntries parses the content of a v1 blkio stat file.
func ParseBlkioEntries(s string) ([]stats.BlkioEntry, error) {
	var out []stats.BlkioEntry
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] == "Total" {
			continue
		}
		maj, min, ok := strings.Cut(f[0], ":")
		if !ok {
			return nil, fmt.Errorf("blkio stat line %q: no major:minor", line)
		}
		var e stats.BlkioEntry
		var err error
		if e.Major, err = strconv.ParseUint(maj, 10, 64); err != nil {
			return nil, fmt.Errorf("blkio stat line %q: %w", line, err)
		}
		if e.Minor, err = strconv.ParseUint(min, 10, 64); err != nil {
			return nil, fmt.Errorf("blkio stat line %q: %w", line, err)
		}
		val := f[1]
		if len(f) >= 3 {
			e.Op, val = f[1], f[2]
		}
		if e.Value, err = strconv.ParseUint(val, 10, 64); err != nil {
			return nil, fmt.Errorf("blkio stat line %q: %w", line, err)
		}
		out = append(out, e)
	}
	return out, nil
}
