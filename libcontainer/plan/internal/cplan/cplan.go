// Package cplan runs the C plan decoder of libcontainer/nsenter from Go,
// for the tests only (fuzzing it against plan.Decode, holding the C tables
// equal to plan's; the executor is compiled here, never run): cgo may not appear
// in a _test.go file, and nsenter itself cannot be imported by a test
// without its constructor.
package cplan

/*
#cgo CFLAGS: -Wall -O2 -I${SRCDIR}/../../../nsenter
#define _GNU_SOURCE
#include <stdlib.h>
#include "plan_decode.c"
#include "plan_exec.c"
#include "plan_rootfs.c"

static const struct rt_plan_field *field(const struct rt_plan *p, uint32_t i, uint32_t j)
{
	return &p->e[i].f[j];
}
static const char *strv_at(const struct rt_plan_field *f, uint32_t i) { return f->strv[i]; }
*/
import "C"

import (
	"errors"
	"unsafe"

	"github.com/rt-runtime/rt/libcontainer/plan"
)

var kinds = map[byte]plan.Kind{'U': plan.U64, 'S': plan.Str, 'P': plan.Path, 'B': plan.Bytes, 'V': plan.Strv, 'W': plan.U32v}

// Decode decodes b with the C decoder and turns what it found into a
// plan.Plan, or returns the C decoder's message.
func Decode(b []byte) (*plan.Plan, error) {
	buf := C.CBytes(b)
	if len(b) == 0 {
		buf = C.malloc(1)
	}
	defer C.free(buf)
	var p C.struct_rt_plan
	var msg [256]C.char
	if C.rt_plan_decode((*C.uchar)(buf), C.size_t(len(b)), &p, &msg[0], C.size_t(len(msg))) != 0 {
		return nil, errors.New(C.GoString(&msg[0]))
	}
	defer C.rt_plan_free(&p)
	out := &plan.Plan{Entries: make([]plan.Entry, 0, int(p.n))}
	entries := unsafe.Slice(p.e, int(p.n))
	for i := range entries {
		e := &entries[i]
		pe := plan.Entry{Op: plan.Op(e.op), Name: C.GoString(e.name)}
		for j := 0; j < int(e.nfields); j++ {
			f := C.field(&p, C.uint32_t(i), C.uint32_t(j))
			k, ok := kinds[byte(f.kind)]
			if !ok {
				return nil, errors.New("cplan: the decoder gave an unknown field kind")
			}
			pf := plan.Field{Kind: k}
			switch k {
			case plan.U64:
				pf.U64 = uint64(f.u64)
			case plan.Str, plan.Path:
				pf.Str = C.GoStringN(f.str, C.int(f.len))
			case plan.Bytes:
				pf.Raw = C.GoBytes(unsafe.Pointer(f.raw), C.int(f.len))
			case plan.Strv:
				for n := 0; n < int(f.len); n++ {
					pf.List = append(pf.List, C.GoString(C.strv_at(f, C.uint32_t(n))))
				}
				if C.strv_at(f, f.len) != nil {
					return nil, errors.New("cplan: a string list without its NULL")
				}
			case plan.U32v:
				for n := 0; n < int(f.len); n++ {
					pf.U32s = append(pf.U32s, uint32(C.rt_plan_u32(f, C.uint32_t(n))))
				}
			}
			pe.Fields = append(pe.Fields, pf)
		}
		out.Entries = append(out.Entries, pe)
	}
	return out, nil
}

// Runnable says whether the C executor carries out op.
func Runnable(op plan.Op) bool { return C.rt_plan_runnable(C.uint(op)) != 0 }

// OpSpec is one row of the C decoder's table of ops.
type OpSpec struct {
	Name   string
	Kinds  []plan.Kind
	Fields string // names, space-separated
}

// Schema is the C decoder's table, indexed by op (0 unused).
func Schema() []OpSpec {
	out := make([]OpSpec, C.RT_OP_END)
	for i := 1; i < int(C.RT_OP_END); i++ {
		s := C.rt_plan_ops[i]
		o := OpSpec{Name: C.GoString(s.name), Fields: C.GoString(s.fields)}
		for _, c := range []byte(C.GoString(s.kinds)) {
			o.Kinds = append(o.Kinds, kinds[c])
		}
		out[i] = o
	}
	return out
}

// Limits are the C decoder's bounds, for a test to hold equal to plan's.
func Limits() map[string]int {
	return map[string]int{
		"MaxSize": int(C.RT_PLAN_MAX_SIZE), "MaxEntries": int(C.RT_PLAN_MAX_ENTRIES),
		"MaxFields": int(C.RT_PLAN_MAX_FIELDS), "MaxName": int(C.RT_PLAN_MAX_NAME),
		"MaxPath": int(C.RT_PLAN_MAX_PATH), "MaxStr": int(C.RT_PLAN_MAX_STR),
		"MaxBytes": int(C.RT_PLAN_MAX_BYTES), "MaxList": int(C.RT_PLAN_MAX_LIST),
		"HeaderSize": int(C.RT_PLAN_HEADER), "Version": int(C.RT_PLAN_VERSION),
	}
}

// Bits are the C executor's opts bits (nsenter/plan_run.h), by the names
// of plan's constants.
func Bits() map[string]uint64 {
	return map[string]uint64{
		"MountInheritMode": C.RT_MOUNT_INHERIT_MODE, "MountSysfsFallback": C.RT_MOUNT_SYSFS_FALLBACK,
		"MountOrdinaryDir": C.RT_MOUNT_ORDINARY_DIR, "MountCgroup": C.RT_MOUNT_CGROUP, "MountOrBind": C.RT_MOUNT_OR_BIND,
		"BindFromParent": C.RT_BIND_FROM_PARENT, "BindFromParentIfDenied": C.RT_BIND_FROM_PARENT_IF_DENIED,
		"MknodBindHost": C.RT_MKNOD_BIND_HOST, "MknodBindEPERM": C.RT_MKNOD_BIND_EPERM,
		"SymlinkReplace": C.RT_SYMLINK_REPLACE, "SymlinkExistOK": C.RT_SYMLINK_EXIST_OK,
		"SymlinkIgnoreError": C.RT_SYMLINK_IGNORE_ERROR,
	}
}
