package plan

import (
	"strings"
	"testing"
)

func TestEncodeRefusesWhatTheExecutorWould(t *testing.T) {
	for _, c := range []struct {
		name string
		e    Entry
		want string
	}{
		{"unknown op", Entry{Op: opEnd, Name: "x"}, "unknown op"},
		{"missing field", Entry{Op: OpSetuid, Name: "process.user.uid"}, "takes 1 fields"},
		{"wrong kind", Entry{Op: OpSetuid, Name: "process.user.uid", Fields: []Field{FStr("0")}}, "setuid.uid is u64"},
		{"NUL in a string", Entry{Op: OpHostname, Name: "hostname", Fields: []Field{FStr("a\x00b")}}, "NUL"},
		{"long path", Entry{Op: OpChdir, Name: "process.cwd", Fields: []Field{FPath("/" + strings.Repeat("a", MaxPath))}}, "at most"},
		{"long name", Entry{Op: OpReady, Name: strings.Repeat("n", MaxName)}, "name"},
		{"NUL in a list", Entry{Op: OpExec, Name: "process.args", Fields: []Field{FStrv([]string{"sh", "a\x00"})}}, "NUL"},
	} {
		p := &Plan{Entries: []Entry{c.e}}
		_, err := p.Encode()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Encode = %v, want an error with %q", c.name, err, c.want)
		}
		if err != nil && !strings.Contains(err.Error(), c.e.Name[:min(len(c.e.Name), 8)]) {
			t.Errorf("%s: %v does not name the entry", c.name, err)
		}
	}
	many := &Plan{}
	for i := 0; i <= MaxEntries; i++ {
		many.Add(OpReady, "process")
	}
	if _, err := many.Encode(); err == nil {
		t.Errorf("Encode of %d entries succeeded", len(many.Entries))
	}
}

func TestRoundTripAndDump(t *testing.T) {
	p := &Plan{}
	p.Add(OpMknod, "devices[/dev/null]", FPath("/dev/null"), F64(0o20666), F64(1), F64(3), F64(0), F64(0), F64(MknodBindEPERM))
	p.Add(OpSeccomp, "linux.seccomp", F64(1), FBytes([]byte{1, 2, 3}))
	p.Add(OpSetgroups, "process.user.additionalGids", FU32v([]uint32{10, 20}))
	p.Add(OpExec, "process.args", FStrv([]string{"sh", "-c", "echo \"hi\""}))
	b, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	want := `devices[/dev/null] mknod path="/dev/null" mode=020666 major=1 minor=3 uid=0 gid=0 opts=0x2
linux.seccomp seccomp flags=0x1 bpf=<3 bytes, sha256 039058c6f2c0cb49>
process.user.additionalGids setgroups gids=[10 20]
process.args exec args=["sh" "-c" "echo \"hi\""]
`
	if got := back.Dump(); got != want {
		t.Errorf("Dump after a round trip:\n%s\nwant\n%s", got, want)
	}
}

// Every op has a schema, within the C entry's field count.
func TestSchemaComplete(t *testing.T) {
	names := map[string]bool{}
	for op := Op(1); op < opEnd; op++ {
		s, ok := Schema[op]
		if !ok {
			t.Errorf("op %d has no schema", op)
			continue
		}
		if names[s.Name] {
			t.Errorf("op name %q twice", s.Name)
		}
		names[s.Name] = true
		if len(s.Fields) > MaxFields {
			t.Errorf("%s: %d fields, at most %d", s.Name, len(s.Fields), MaxFields)
		}
	}
	if len(Schema) != NumOps {
		t.Errorf("Schema has %d ops, NumOps is %d", len(Schema), NumOps)
	}
}
