package cplan

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rt-runtime/rt/libcontainer/plan"
)

// The C table of ops must be plan's, op for op and field for field: a
// field added on one side only would make the executor misread every
// plan after it.
func TestCSchemaMatches(t *testing.T) {
	c := Schema()
	if len(c)-1 != plan.NumOps {
		t.Fatalf("C knows %d ops, Go %d", len(c)-1, plan.NumOps)
	}
	for op := 1; op <= plan.NumOps; op++ {
		g, ok := plan.Schema[plan.Op(op)]
		if !ok {
			t.Errorf("op %d: not in plan.Schema", op)
			continue
		}
		var kinds []plan.Kind
		var names []string
		for _, f := range g.Fields {
			kinds = append(kinds, f.Kind)
			names = append(names, f.Name)
		}
		if c[op].Name != g.Name || !reflect.DeepEqual(c[op].Kinds, kinds) || c[op].Fields != strings.Join(names, " ") {
			t.Errorf("op %d: C %s %v %q, Go %s %v %q", op, c[op].Name, c[op].Kinds, c[op].Fields, g.Name, kinds, strings.Join(names, " "))
		}
		if len(g.Fields) > plan.MaxFields {
			t.Errorf("op %s: %d fields, the C entry holds %d", g.Name, len(g.Fields), plan.MaxFields)
		}
	}
}

// The parent sends a plan only when the executor runs every step of it.
func TestExecutableMatchesC(t *testing.T) {
	for op := plan.Op(0); int(op) <= plan.NumOps+1; op++ {
		if got, want := Runnable(op), plan.Executable[op]; got != want {
			t.Errorf("op %d (%s): C executor runs it %v, plan.Executable says %v", op, plan.Schema[op].Name, got, want)
		}
	}
}

func TestCLimitsMatch(t *testing.T) {
	want := map[string]int{
		"MaxSize": plan.MaxSize, "MaxEntries": plan.MaxEntries, "MaxFields": plan.MaxFields,
		"MaxName": plan.MaxName, "MaxPath": plan.MaxPath, "MaxStr": plan.MaxStr, "MaxBytes": plan.MaxBytes,
		"MaxList": plan.MaxList, "HeaderSize": plan.HeaderSize, "Version": plan.Version,
	}
	if got := Limits(); !reflect.DeepEqual(got, want) {
		t.Errorf("C limits %v, Go %v", got, want)
	}
}

// sample has every kind of field, empty lists and an empty byte field.
func sample() *plan.Plan {
	p := &plan.Plan{}
	p.Add(plan.OpMount, "mounts[0]", plan.FPath("/proc"), plan.FStr("proc"), plan.FStr("proc"), plan.F64(0xe),
		plan.FStr(""), plan.F64(plan.MountOrdinaryDir))
	p.Add(plan.OpMountAttr, "mounts[1]", plan.FPath("/data"), plan.FU32v([]uint32{0x40000, 1 << 31}), plan.F64(1), plan.F64(0))
	p.Add(plan.OpSeccomp, "linux.seccomp", plan.F64(1), plan.FBytes([]byte{6, 0, 0, 0, 0, 0, 0xff, 0x7f}))
	p.Add(plan.OpSeccomp, "linux.seccomp", plan.F64(0), plan.FBytes(nil))
	p.Add(plan.OpSetgroups, "process.user.additionalGids", plan.FU32v(nil))
	p.Add(plan.OpEnv, "process.env", plan.FStrv([]string{"PATH=/bin", ""}), plan.F64(1000), plan.FBool(true))
	p.Add(plan.OpExec, "process.args", plan.FStrv(nil))
	p.Add(plan.OpReady, "process")
	return p
}

// agree decodes b on both sides and fails unless they give the same
// answer: both refuse, or both give the same plan, which encodes back to b
// (the format has one encoding per plan).
func agree(t *testing.T, b []byte) {
	t.Helper()
	cp, cerr := Decode(b)
	gp, gerr := plan.Decode(b)
	if (cerr == nil) != (gerr == nil) {
		t.Fatalf("C says %v, Go says %v, for %q", cerr, gerr, b)
	}
	if cerr != nil {
		return
	}
	if !reflect.DeepEqual(norm(cp), norm(gp)) {
		t.Fatalf("C decoded\n%s\nGo decoded\n%s", cp.Dump(), gp.Dump())
	}
	back, err := gp.Encode()
	if err != nil {
		t.Fatalf("a decoded plan does not encode: %v", err)
	}
	if !bytes.Equal(back, b) {
		t.Fatalf("decode then encode changed the bytes:\n%q\n%q", b, back)
	}
}

func norm(p *plan.Plan) *plan.Plan {
	for i := range p.Entries {
		for j := range p.Entries[i].Fields {
			f := &p.Entries[i].Fields[j]
			if len(f.List) == 0 {
				f.List = nil
			}
			if len(f.U32s) == 0 {
				f.U32s = nil
			}
			if len(f.Raw) == 0 {
				f.Raw = nil
			}
		}
	}
	return p
}

func TestCDecodesWhatGoEncodes(t *testing.T) {
	p := sample()
	b, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	cp, err := Decode(b)
	if err != nil {
		t.Fatalf("C refuses a good plan: %v", err)
	}
	if cp.Dump() != p.Dump() {
		t.Errorf("C decoded\n%s\nwant\n%s", cp.Dump(), p.Dump())
	}
	agree(t, b)
}

// Every cut and every single-byte change of a good plan: the decoders
// agree, and no cut is accepted.
func TestCDecodeRefusesDamage(t *testing.T) {
	b, err := sample().Encode()
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(b); n++ {
		if _, err := Decode(b[:n]); err == nil {
			t.Errorf("C accepts the plan cut to %d of %d bytes", n, len(b))
		}
		agree(t, b[:n])
	}
	for i := range b {
		for _, v := range []byte{0, 1, 0x7f, 0xff, b[i] ^ 0x80} {
			d := append([]byte(nil), b...)
			d[i] = v
			agree(t, d)
		}
	}
}

func TestCDecodeBounds(t *testing.T) {
	for _, c := range []struct {
		name string
		p    func() []byte
		want string
	}{
		{"too many entries", func() []byte {
			b, _ := (&plan.Plan{}).Encode()
			b[12], b[13] = 0x01, 0x10 // 4097
			return b
		}, "entries"},
		{"huge list count", func() []byte {
			p := &plan.Plan{}
			p.Add(plan.OpExec, "process.args", plan.FStrv([]string{"a"}))
			b, _ := p.Encode()
			// the count of args: after the header, the entry size, op, name.
			off := plan.HeaderSize + 4 + 2 + 4 + len("process.args") + 1
			b[off], b[off+1], b[off+2], b[off+3] = 0xff, 0xff, 0xff, 0x7f
			return b
		}, "list of"},
		{"bad version", func() []byte {
			b, _ := (&plan.Plan{}).Encode()
			b[4] = 2
			return b
		}, "version"},
		{"unknown op", func() []byte {
			p := &plan.Plan{}
			p.Add(plan.OpReady, "x")
			b, _ := p.Encode()
			b[plan.HeaderSize+4] = 0xee
			return b
		}, "unknown op"},
	} {
		b := c.p()
		_, err := Decode(b)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: C decoder says %v, want an error about %q", c.name, err, c.want)
		}
		agree(t, b)
	}
}

// FuzzCDecode drives the C decoder with arbitrary bytes, seeded with the
// plans of the golden configs (testdata/fuzz/FuzzCDecode, written by
// libcontainer's TestPlanGolden) and any crasher found so far.
func FuzzCDecode(f *testing.F) {
	b, err := sample().Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("RTPL\x01\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		agree(t, b)
	})
}

// The seed corpus holds the real plans: a missing directory would leave
// the fuzz target with the sample only.
func TestSeedCorpusPresent(t *testing.T) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzCDecode", "plan-*"))
	if len(seeds) == 0 {
		t.Fatal("no plan-* seeds in testdata/fuzz/FuzzCDecode (run libcontainer's TestPlanGolden -update-plans)")
	}
	for _, s := range seeds {
		if _, err := os.ReadFile(s); err != nil {
			t.Error(err)
		}
	}
}

// The opts bits the compiler sets are the ones the executor reads.
func TestCBitsMatch(t *testing.T) {
	want := map[string]uint64{
		"MountInheritMode": plan.MountInheritMode, "MountSysfsFallback": plan.MountSysfsFallback,
		"MountOrdinaryDir": plan.MountOrdinaryDir, "MountCgroup": plan.MountCgroup, "MountOrBind": plan.MountOrBind,
		"BindFromParent": plan.BindFromParent, "BindFromParentIfDenied": plan.BindFromParentIfDenied,
		"MknodBindHost": plan.MknodBindHost, "MknodBindEPERM": plan.MknodBindEPERM,
		"SymlinkReplace": plan.SymlinkReplace, "SymlinkExistOK": plan.SymlinkExistOK,
		"SymlinkIgnoreError": plan.SymlinkIgnoreError,
	}
	if got := Bits(); !reflect.DeepEqual(got, want) {
		t.Errorf("C bits %v, Go %v", got, want)
	}
}
