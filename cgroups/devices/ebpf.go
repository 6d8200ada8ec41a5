package devices

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Device types as the kernel passes them in bpf_cgroup_dev_ctx.access_type
// (low 16 bits; the access bits are in the high 16).
const (
	devBlock = 1 // BPF_DEVCG_DEV_BLOCK
	devChar  = 2 // BPF_DEVCG_DEV_CHAR
)

// Instructions builds the BPF_CGROUP_DEVICE program for rules. The program
// tests the rules from last to first and returns the verdict of the first
// that matches, which is "the last matching rule wins"; no match denies.
//
// Registers: R2 device type, R3 requested access, R4 major, R5 minor.
func Instructions(rules []specs.LinuxDeviceCgroup) (asm.Instructions, error) {
	norm, err := Normalize(rules)
	if err != nil {
		return nil, err
	}
	insns := asm.Instructions{
		// struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
		asm.LoadMem(asm.R2, asm.R1, 0, asm.Word),
		asm.And.Imm(asm.R2, 0xffff),
		asm.LoadMem(asm.R3, asm.R1, 0, asm.Word),
		asm.RSh.Imm(asm.R3, 16),
		asm.LoadMem(asm.R4, asm.R1, 4, asm.Word),
		asm.LoadMem(asm.R5, asm.R1, 8, asm.Word),
	}
	block := 0
	next := func() string { return fmt.Sprintf("rule%d", block+1) }
	reachableDefault := true
	for i := len(norm) - 1; i >= 0; i-- {
		r := norm[i]
		var b asm.Instructions
		switch r.Type {
		case 'b':
			b = append(b, asm.JNE.Imm(asm.R2, devBlock, next()))
		case 'c':
			b = append(b, asm.JNE.Imm(asm.R2, devChar, next()))
		}
		if r.Access != accAll {
			// Match when the requested bits are a subset of the rule's.
			b = append(b,
				asm.Mov.Reg(asm.R1, asm.R3),
				asm.And.Imm(asm.R1, int32(r.Access)),
				asm.JNE.Reg(asm.R1, asm.R3, next()),
			)
		}
		if r.Major != -1 {
			b = append(b, asm.JNE.Imm(asm.R4, int32(r.Major), next()))
		}
		if r.Minor != -1 {
			b = append(b, asm.JNE.Imm(asm.R5, int32(r.Minor), next()))
		}
		b = append(b, asm.Mov.Imm(asm.R0, verdict(r.Allow)), asm.Return())
		b[0] = b[0].WithSymbol(fmt.Sprintf("rule%d", block))
		insns = append(insns, b...)
		block++
		if r.matchesAll() {
			// Everything after an unconditional rule is unreachable, and
			// the verifier rejects unreachable instructions.
			reachableDefault = false
			break
		}
	}
	if reachableDefault {
		insns = append(insns,
			asm.Mov.Imm(asm.R0, 0).WithSymbol(fmt.Sprintf("rule%d", block)),
			asm.Return(),
		)
	}
	return insns, nil
}

func verdict(allow bool) int32 {
	if allow {
		return 1
	}
	return 0
}

// ApplyV2 loads the program for rules and attaches it to the cgroup2 dir.
// It is attached with BPF_PROG_ATTACH and BPF_F_ALLOW_MULTI rather than as a
// bpf_link: a link would detach when `rt create` exits, a prog attachment
// stays until the cgroup is removed. A program already attached (an
// earlier Set) is replaced in one BPF_F_REPLACE call, so no device request
// is ever judged with no program or with both.
func ApplyV2(dir string, rules []specs.LinuxDeviceCgroup) error {
	insns, err := Instructions(rules)
	if err != nil {
		return err
	}
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:         ebpf.CGroupDevice,
		Instructions: insns,
		License:      "Apache",
	})
	if err != nil {
		return fmt.Errorf("load device eBPF program for %s: %w", dir, err)
	}
	defer prog.Close()

	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	defer unix.Close(fd)

	q, err := link.QueryPrograms(link.QueryOptions{Target: fd, Attach: ebpf.AttachCGroupDevice})
	if err != nil {
		return fmt.Errorf("query device programs of %s: %w", dir, err)
	}
	var old []*ebpf.Program
	defer func() {
		for _, p := range old {
			p.Close()
		}
	}()
	for _, ap := range q.Programs {
		p, err := ebpf.NewProgramFromID(ap.ID)
		if err != nil {
			return fmt.Errorf("open attached device program %d of %s: %w", ap.ID, dir, err)
		}
		old = append(old, p)
	}

	opts := link.RawAttachProgramOptions{
		Target:  fd,
		Program: prog,
		Attach:  ebpf.AttachCGroupDevice,
		Flags:   unix.BPF_F_ALLOW_MULTI,
	}
	rest := old
	if len(old) > 0 {
		opts.Anchor = link.ReplaceProgram(old[0])
		if err := link.RawAttachProgram(opts); err == nil {
			rest = old[1:]
		} else {
			// The old program was not attached in multi mode (not by
			// rt): fall back to attach-then-detach.
			opts.Anchor = nil
			if err2 := link.RawAttachProgram(opts); err2 != nil {
				return fmt.Errorf("attach device program to %s: %w", dir, errors.Join(err, err2))
			}
		}
	} else if err := link.RawAttachProgram(opts); err != nil {
		return fmt.Errorf("attach device program to %s: %w", dir, err)
	}
	for _, p := range rest {
		err := link.RawDetachProgram(link.RawDetachProgramOptions{
			Target:  fd,
			Program: p,
			Attach:  ebpf.AttachCGroupDevice,
		})
		if err != nil {
			return fmt.Errorf("detach old device program from %s: %w", dir, err)
		}
	}
	return nil
}
