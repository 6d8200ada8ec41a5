package fs

import (
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rt-runtime/rt/cgroups/internal/cgfile"
	"github.com/rt-runtime/rt/cgroups/stats"
)

func setHugetlb(dir string, h specs.LinuxHugepageLimit) error {
	v := strconv.FormatUint(h.Limit, 10)
	if err := cgfile.Write(dir, "hugetlb."+h.Pagesize+".limit_in_bytes", v); err != nil {
		return err
	}
	// Reservations (kernel 5.7+) are limited alike, as runc does.
	if f := "hugetlb." + h.Pagesize + ".rsvd.limit_in_bytes"; cgfile.Exists(dir, f) {
		return cgfile.Write(dir, f, v)
	}
	return nil
}

func hugetlbStats(dir string, out map[string]stats.Hugetlb) error {
	sizes, err := cgfile.HugePageSizes()
	if err != nil {
		return err
	}
	for _, size := range sizes {
		var h stats.Hugetlb
		for _, f := range []struct {
			name string
			v    *uint64
		}{
			{".usage_in_bytes", &h.Usage},
			{".max_usage_in_bytes", &h.Max},
			{".failcnt", &h.Failcnt},
		} {
			if *f.v, err = cgfile.ReadUint(dir, "hugetlb."+size+f.name); err != nil {
				return err
			}
		}
		out[size] = h
	}
	return nil
}
