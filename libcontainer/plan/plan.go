// Package plan is the binary form of what a container's init (or an rt exec
// process) does to itself: a flat, versioned list of steps that the parent
// compiles from a validated spec (libcontainer/parent_plan.go) and that a
// small C executor before the Go runtime (libcontainer/nsenter/plan*.c)
// carries out. The policy (order, flags, what to skip) is decided in Go;
// the plan holds only resolved values, so the C side is mechanism only.
//
// The wire format, little-endian throughout, no padding:
//
//	header   magic "RTPL" · u16 version · u16 0 · u32 total size · u32 entry count
//	entry    u32 size of the rest of the entry · u16 op · str name · fields of op
//	fields   in the order schema[op] gives, each one of
//	  u64    8 bytes
//	  str    u32 n (1..MaxStr, NUL counted) · n bytes, the last one NUL, no other
//	  path   a str of at most MaxPath bytes
//	  bytes  u32 n (0..MaxBytes) · n bytes
//	  strv   u32 count (0..MaxList) · count strs
//	  u32v   u32 count (0..MaxList) · count u32s
//
// The name says which spec item the step comes from ("mounts[3]",
// "process.rlimits[1]"): a failing step is reported as
// "error <errno> <name>: <what>". Decode is as strict as the C decoder
// (which a fuzz test holds to the same answers): a plan either decodes
// completely or is refused with one error.
package plan

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Magic and Version open every plan; a version the executor does not know
// is refused, never guessed at.
const (
	Magic   = "RTPL"
	Version = 1
)

// Bounds, the same in the C decoder (nsenter/plan.h): nothing in a plan
// makes either side allocate or loop past them.
const (
	HeaderSize = 16
	MaxSize    = 4 << 20 // whole plan
	MaxEntries = 4096
	MaxFields  = 8
	MaxName    = 256 // entry name, NUL counted
	MaxPath    = 4096
	MaxStr     = 1 << 20
	MaxBytes   = 1 << 20
	MaxList    = 65536
)

// Kind is the type of one field on the wire.
type Kind uint8

const (
	U64 Kind = iota + 1
	Str
	Path
	Bytes
	Strv
	U32v
)

func (k Kind) String() string {
	switch k {
	case U64:
		return "u64"
	case Str:
		return "str"
	case Path:
		return "path"
	case Bytes:
		return "bytes"
	case Strv:
		return "strv"
	case U32v:
		return "u32v"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Field is one typed value; which member holds it follows its Kind.
type Field struct {
	Kind Kind
	U64  uint64
	Str  string // Str, Path
	Raw  []byte // Bytes
	List []string
	U32s []uint32
}

// Entry is one step: its op, the spec item it comes from, its fields in
// the op's schema order.
type Entry struct {
	Op     Op
	Name   string
	Fields []Field
}

// Plan is the ordered list of steps.
type Plan struct {
	Entries []Entry
}

// Add appends a step; the fields must follow the op's schema (Encode checks).
func (p *Plan) Add(op Op, name string, fields ...Field) {
	p.Entries = append(p.Entries, Entry{Op: op, Name: name, Fields: fields})
}

// Field constructors.
func F64(v uint64) Field     { return Field{Kind: U64, U64: v} }
func FStr(s string) Field    { return Field{Kind: Str, Str: s} }
func FPath(s string) Field   { return Field{Kind: Path, Str: s} }
func FBytes(b []byte) Field  { return Field{Kind: Bytes, Raw: b} }
func FStrv(l []string) Field { return Field{Kind: Strv, List: l} }
func FU32v(l []uint32) Field { return Field{Kind: U32v, U32s: l} }
func FBool(b bool) Field {
	if b {
		return F64(1)
	}
	return F64(0)
}

func checkStr(s string, max int) error {
	if len(s)+1 > max {
		return fmt.Errorf("%d bytes, at most %d", len(s), max-1)
	}
	if bytes.IndexByte([]byte(s), 0) >= 0 {
		return errors.New("holds a NUL byte")
	}
	return nil
}

// Encode writes the plan in the wire format, refusing what the executor
// would refuse (so a bad plan fails in the parent, with the entry named).
func (p *Plan) Encode() ([]byte, error) {
	if len(p.Entries) > MaxEntries {
		return nil, fmt.Errorf("plan: %d entries, at most %d", len(p.Entries), MaxEntries)
	}
	b := make([]byte, HeaderSize, 4096)
	copy(b, Magic)
	binary.LittleEndian.PutUint16(b[4:], Version)
	binary.LittleEndian.PutUint32(b[12:], uint32(len(p.Entries)))
	for _, e := range p.Entries {
		start := len(b)
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint16(b, uint16(e.Op))
		var err error
		if b, err = appendStr(b, e.Name, MaxName); err != nil {
			return nil, fmt.Errorf("plan: %s: name: %w", e.Name, err)
		}
		if b, err = appendFields(b, e); err != nil {
			return nil, fmt.Errorf("plan: %s: %w", e.Name, err)
		}
		binary.LittleEndian.PutUint32(b[start:], uint32(len(b)-start-4))
		if len(b) > MaxSize {
			return nil, fmt.Errorf("plan: more than %d bytes", MaxSize)
		}
	}
	binary.LittleEndian.PutUint32(b[8:], uint32(len(b)))
	return b, nil
}

func appendStr(b []byte, s string, max int) ([]byte, error) {
	if err := checkStr(s, max); err != nil {
		return nil, err
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)+1))
	b = append(b, s...)
	return append(b, 0), nil
}

func appendFields(b []byte, e Entry) ([]byte, error) {
	schema, ok := Schema[e.Op]
	if !ok {
		return nil, fmt.Errorf("unknown op %d", e.Op)
	}
	if len(e.Fields) != len(schema.Fields) {
		return nil, fmt.Errorf("%s takes %d fields, got %d", schema.Name, len(schema.Fields), len(e.Fields))
	}
	var err error
	for i, f := range e.Fields {
		want := schema.Fields[i]
		if f.Kind != want.Kind {
			return nil, fmt.Errorf("%s.%s is %s, got %s", schema.Name, want.Name, want.Kind, f.Kind)
		}
		switch f.Kind {
		case U64:
			b = binary.LittleEndian.AppendUint64(b, f.U64)
		case Str:
			b, err = appendStr(b, f.Str, MaxStr)
		case Path:
			b, err = appendStr(b, f.Str, MaxPath)
		case Bytes:
			if len(f.Raw) > MaxBytes {
				return nil, fmt.Errorf("%s.%s: %d bytes, at most %d", schema.Name, want.Name, len(f.Raw), MaxBytes)
			}
			b = binary.LittleEndian.AppendUint32(b, uint32(len(f.Raw)))
			b = append(b, f.Raw...)
		case Strv:
			if len(f.List) > MaxList {
				return nil, fmt.Errorf("%s.%s: %d strings, at most %d", schema.Name, want.Name, len(f.List), MaxList)
			}
			b = binary.LittleEndian.AppendUint32(b, uint32(len(f.List)))
			for _, s := range f.List {
				if b, err = appendStr(b, s, MaxStr); err != nil {
					break
				}
			}
		case U32v:
			if len(f.U32s) > MaxList {
				return nil, fmt.Errorf("%s.%s: %d values, at most %d", schema.Name, want.Name, len(f.U32s), MaxList)
			}
			b = binary.LittleEndian.AppendUint32(b, uint32(len(f.U32s)))
			for _, v := range f.U32s {
				b = binary.LittleEndian.AppendUint32(b, v)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", schema.Name, want.Name, err)
		}
	}
	return b, nil
}

// decoder reads one plan; every read checks the bytes left first.
type decoder struct {
	b   []byte
	off int
	end int // end of the current entry
}

var errShort = errors.New("truncated")

func (d *decoder) u32() (uint32, error) {
	if d.end-d.off < 4 {
		return 0, errShort
	}
	v := binary.LittleEndian.Uint32(d.b[d.off:])
	d.off += 4
	return v, nil
}

func (d *decoder) u16() (uint16, error) {
	if d.end-d.off < 2 {
		return 0, errShort
	}
	v := binary.LittleEndian.Uint16(d.b[d.off:])
	d.off += 2
	return v, nil
}

func (d *decoder) u64() (uint64, error) {
	if d.end-d.off < 8 {
		return 0, errShort
	}
	v := binary.LittleEndian.Uint64(d.b[d.off:])
	d.off += 8
	return v, nil
}

func (d *decoder) str(max int) (string, error) {
	n, err := d.u32()
	if err != nil {
		return "", err
	}
	if n == 0 || n > uint32(max) {
		return "", fmt.Errorf("string of %d bytes (1..%d)", n, max)
	}
	if uint32(d.end-d.off) < n {
		return "", errShort
	}
	s := d.b[d.off : d.off+int(n)]
	if s[n-1] != 0 || bytes.IndexByte(s[:n-1], 0) >= 0 {
		return "", errors.New("string not NUL-terminated, or with a NUL inside")
	}
	d.off += int(n)
	return string(s[:n-1]), nil
}

func (d *decoder) count() (int, error) {
	n, err := d.u32()
	if err != nil {
		return 0, err
	}
	if n > MaxList {
		return 0, fmt.Errorf("list of %d, at most %d", n, MaxList)
	}
	return int(n), nil
}

// Decode parses a plan as the C executor does: the same checks, the same
// refusals.
func Decode(b []byte) (*Plan, error) {
	if len(b) < HeaderSize || len(b) > MaxSize {
		return nil, fmt.Errorf("plan: size %d (%d..%d)", len(b), HeaderSize, MaxSize)
	}
	if string(b[:4]) != Magic {
		return nil, errors.New("plan: bad magic")
	}
	if v := binary.LittleEndian.Uint16(b[4:]); v != Version {
		return nil, fmt.Errorf("plan: version %d, want %d", v, Version)
	}
	if binary.LittleEndian.Uint16(b[6:]) != 0 {
		return nil, errors.New("plan: reserved header field set")
	}
	if n := binary.LittleEndian.Uint32(b[8:]); n != uint32(len(b)) {
		return nil, fmt.Errorf("plan: header says %d bytes, got %d", n, len(b))
	}
	count := binary.LittleEndian.Uint32(b[12:])
	if count > MaxEntries {
		return nil, fmt.Errorf("plan: %d entries, at most %d", count, MaxEntries)
	}
	d := &decoder{b: b, off: HeaderSize, end: len(b)}
	p := &Plan{Entries: make([]Entry, 0, count)}
	for i := uint32(0); i < count; i++ {
		d.end = len(b)
		size, err := d.u32()
		if err != nil {
			return nil, fmt.Errorf("plan: entry %d: %w", i, err)
		}
		if uint32(len(b)-d.off) < size {
			return nil, fmt.Errorf("plan: entry %d: %w", i, errShort)
		}
		d.end = d.off + int(size)
		e, err := d.entry()
		if err != nil {
			return nil, fmt.Errorf("plan: entry %d: %w", i, err)
		}
		if d.off != d.end {
			return nil, fmt.Errorf("plan: entry %d: %d bytes left over", i, d.end-d.off)
		}
		p.Entries = append(p.Entries, e)
	}
	if d.off != len(b) {
		return nil, fmt.Errorf("plan: %d bytes after the last entry", len(b)-d.off)
	}
	return p, nil
}

func (d *decoder) entry() (Entry, error) {
	var e Entry
	op, err := d.u16()
	if err != nil {
		return e, err
	}
	e.Op = Op(op)
	schema, ok := Schema[e.Op]
	if !ok {
		return e, fmt.Errorf("unknown op %d", op)
	}
	if e.Name, err = d.str(MaxName); err != nil {
		return e, fmt.Errorf("name: %w", err)
	}
	for _, fs := range schema.Fields {
		f := Field{Kind: fs.Kind}
		switch fs.Kind {
		case U64:
			f.U64, err = d.u64()
		case Str:
			f.Str, err = d.str(MaxStr)
		case Path:
			f.Str, err = d.str(MaxPath)
		case Bytes:
			var n uint32
			if n, err = d.u32(); err == nil {
				if n > MaxBytes {
					err = fmt.Errorf("%d bytes, at most %d", n, MaxBytes)
				} else if uint32(d.end-d.off) < n {
					err = errShort
				} else {
					f.Raw = append([]byte{}, d.b[d.off:d.off+int(n)]...)
					d.off += int(n)
				}
			}
		case Strv:
			var n int
			if n, err = d.count(); err == nil {
				f.List = make([]string, 0, min(n, (d.end-d.off)/5))
				for j := 0; j < n && err == nil; j++ {
					var s string
					if s, err = d.str(MaxStr); err == nil {
						f.List = append(f.List, s)
					}
				}
			}
		case U32v:
			var n int
			if n, err = d.count(); err == nil {
				if d.end-d.off < 4*n {
					err = errShort
				} else {
					f.U32s = make([]uint32, n)
					for j := range f.U32s {
						f.U32s[j], _ = d.u32()
					}
				}
			}
		}
		if err != nil {
			return e, fmt.Errorf("%s %s.%s: %w", e.Name, schema.Name, fs.Name, err)
		}
		e.Fields = append(e.Fields, f)
	}
	return e, nil
}
