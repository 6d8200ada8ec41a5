package fs

import (
	"testing"

	"github.com/rt-runtime/rt/cgroups/internal/cgfile"
)

func TestParseBlkioEntries(t *testing.T) {
	e, err := ParseBlkioEntries("8:0 Read 4096\n8:0 Write 512\n8:16 77\nTotal 4608\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(e) != 3 || e[0].Op != "Read" || e[0].Value != 4096 || e[2].Minor != 16 || e[2].Op != "" || e[2].Value != 77 {
		t.Errorf("entries = %+v", e)
	}
	if _, err := ParseBlkioEntries("80 Read x\n"); err == nil {
		t.Error("bad line accepted")
	}
}

func TestPageSizeName(t *testing.T) {
	for in, want := range map[string]string{"hugepages-2048kB": "2MB", "hugepages-1048576kB": "1GB", "hugepages-64kB": "64KB"} {
		if got, err := cgfile.PageSizeName(in); err != nil || got != want {
			t.Errorf("PageSizeName(%q) = %q, %v", in, got, err)
		}
	}
}

func TestPidsMax(t *testing.T) {
	if pidsMax(0) != "1" || pidsMax(-1) != "max" || pidsMax(5) != "5" {
		t.Error("pidsMax")
	}
}
