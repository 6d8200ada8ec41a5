package plan

import (
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
)

// Dump is the plan as text, one step a line ("<name> <op> field=value
// ..."), for golden tests and rt's debug log: masks in hex, modes in
// octal, strings quoted, a byte field as its length and hash.
func (p *Plan) Dump() string {
	var b strings.Builder
	for _, e := range p.Entries {
		spec, ok := Schema[e.Op]
		if !ok {
			fmt.Fprintf(&b, "%s op(%d)\n", e.Name, e.Op)
			continue
		}
		fmt.Fprintf(&b, "%s %s", e.Name, spec.Name)
		for i, f := range e.Fields {
			name := fmt.Sprintf("field%d", i)
			if i < len(spec.Fields) {
				name = spec.Fields[i].Name
			}
			fmt.Fprintf(&b, " %s=%s", name, dumpField(name, f))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func dumpField(name string, f Field) string {
	switch f.Kind {
	case U64:
		switch name {
		case "mode", "mask":
			return fmt.Sprintf("%#o", f.U64)
		case "flags", "clear", "attr_set", "attr_clr", "keep", "effective", "permitted", "inheritable", "ambient", "opts", "policy":
			return fmt.Sprintf("%#x", f.U64)
		}
		return strconv.FormatUint(f.U64, 10)
	case Str, Path:
		return strconv.Quote(f.Str)
	case Bytes:
		sum := sha256.Sum256(f.Raw)
		return fmt.Sprintf("<%d bytes, sha256 %x>", len(f.Raw), sum[:8])
	case Strv:
		q := make([]string, len(f.List))
		for i, s := range f.List {
			q[i] = strconv.Quote(s)
		}
		return "[" + strings.Join(q, " ") + "]"
	case U32v:
		q := make([]string, len(f.U32s))
		for i, v := range f.U32s {
			q[i] = strconv.FormatUint(uint64(v), 10)
		}
		return "[" + strings.Join(q, " ") + "]"
	}
	return "?"
}
