package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// bench runs the modes over the schedule and records the figures in tab.
type bench struct {
	opts     options
	rts      []runtimeBin // the engines of every mode (rt, runc, crun)
	floor    *runtimeBin  // the C floor, run mode only; nil when not measured
	r        *runner
	bundle   string
	rootfs   string   // the bundle's rootfs, absolute
	nsKinds  []string // the config's namespace types, for the floor
	stateDir string
	stop     chan os.Signal
	tab      *table

	sleepBundle string
	orphans     map[string]int
}

var errInterrupted = errors.New("interrupted")

func (b *bench) interrupted() bool {
	select {
	case sig := <-b.stop:
		fmt.Fprintf(os.Stderr, "rtbench: %s, stopping\n", sig)
		return true
	default:
		return false
	}
}

func (b *bench) containerID(rt runtimeBin, tag string) string {
	return fmt.Sprintf("rtbench-%d-%s-%s", os.Getpid(), rt.name, tag)
}

// each walks the alternating schedule over rts, calling one for every slot;
// one records what it measured itself (j.warmup says whether to).
func (b *bench) each(rts []runtimeBin, rounds, warmup int, one func(rt runtimeBin, j job) error) error {
	for _, j := range schedule(len(rts), rounds, warmup) {
		if b.interrupted() {
			return errInterrupted
		}
		if err := one(rts[j.runtime], j); err != nil {
			return err
		}
	}
	return nil
}

func tag(prefix string, j job) string {
	if j.warmup {
		return fmt.Sprintf("%swarm%d", prefix, j.round)
	}
	return fmt.Sprintf("%s%d", prefix, j.round)
}

// runMode times `RUNTIME --root R run --bundle B ID`, a fresh id each time,
// and the floor beside them. The foreground run creates, starts, waits for
// and deletes the container.
func (b *bench) runMode() error {
	wall := b.tab.add(newFigure("run.wall", "`run` wall ms", unitMs))
	wall.vsCrun = 1.0
	cpu := b.tab.add(newFigure("run.cpu", "`run` CPU of the tree ms", unitMs))
	cpu.vsCrun = 1.0
	rss := b.tab.add(newFigure("run.rss", "`run` peak RSS of the tree KiB", unitKiB))
	rss.absKiB = 4096

	rts := b.rts
	if b.floor != nil {
		rts = append(append([]runtimeBin(nil), rts...), *b.floor)
	}
	return b.each(rts, b.opts.n, b.opts.warmup, func(rt runtimeBin, j job) error {
		var argv []string
		id := b.containerID(rt, tag("", j))
		if rt.floor {
			argv = b.floorArgv(rt)
		} else {
			argv = rt.argv("run", "--bundle", b.bundle, id)
		}
		s, err := b.r.run(argv)
		if err != nil {
			if !rt.floor {
				// A failed run may leave state and cgroups behind; remove
				// them before reporting, keeping the error of the run itself.
				b.forceDelete(rt, id)
			}
			return fmt.Errorf("%s run %s: %w", rt.name, id, err)
		}
		if !j.warmup {
			wall.add(rt.name, ms(s.wall))
			cpu.add(rt.name, ms(s.cpu))
			rss.add(rt.name, float64(s.rssKiB))
			b.orphans[rt.name] += s.orphans
		}
		return nil
	})
}

func (b *bench) floorArgv(rt runtimeBin) []string {
	argv := []string{rt.path}
	if len(b.nsKinds) > 0 {
		ns := ""
		for i, k := range b.nsKinds {
			if i > 0 {
				ns += ","
			}
			ns += k
		}
		argv = append(argv, "-n", ns)
	}
	return append(argv, b.rootfs, "/bin/true")
}

// execMode starts one detached `sleep 1000` container per runtime and times
// `RUNTIME --root R exec ID /bin/true` against it; the containers are deleted
// at the end whatever happened.
func (b *bench) execMode() (err error) {
	f := b.tab.add(newFigure("exec.wall", "`exec /bin/true` ms", unitMs))
	f.vsCrun = 1.0
	ids := make([]string, len(b.rts))
	defer func() {
		for i, rt := range b.rts {
			if ids[i] != "" {
				if derr := b.delete(rt, ids[i]); derr != nil && err == nil {
					err = derr
				}
			}
		}
		// The detached inits were reparented to us; collect them.
		drainChildren()
	}()

	for i, rt := range b.rts {
		id := b.containerID(rt, "exec")
		if _, err := b.r.run(rt.argv("run", "--detach", "--bundle", b.sleepBundle, id)); err != nil {
			b.forceDelete(rt, id)
			return fmt.Errorf("%s run --detach %s: %w", rt.name, id, err)
		}
		ids[i] = id
	}

	return b.each(b.rts, b.opts.n, b.opts.warmup, func(rt runtimeBin, j job) error {
		id := ids[j.runtime]
		s, err := b.r.run(rt.argv("exec", id, "/bin/true"))
		if err != nil {
			return fmt.Errorf("%s exec %s: %w", rt.name, id, err)
		}
		if !j.warmup {
			f.add(rt.name, ms(s.wall))
		}
		return nil
	})
}

// parallelMode times -parallel concurrent `run --detach` of the sleep
// bundle, from before the first fork to the reap of the last runtime
// process (the containers keep running); then deletes them, untimed.
func (b *bench) parallelMode() error {
	p := b.opts.parallel
	f := b.tab.add(newFigure("parallel.wall", fmt.Sprintf("%d parallel `run -d`, all returned, ms", p), unitMs))
	f.vsCrun = 1.0
	return b.each(b.rts, b.opts.parRounds, 1, func(rt runtimeBin, j job) error {
		ids := make([]string, p)
		for i := range ids {
			ids[i] = b.containerID(rt, fmt.Sprintf("%s-%d", tag("par", j), i))
		}
		errs := make([]error, p)
		var wg sync.WaitGroup
		var ready sync.WaitGroup
		ready.Add(1)
		for i, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ready.Wait()
				_, errs[i] = b.r.runConcurrent(rt.argv("run", "--detach", "--bundle", b.sleepBundle, id))
			}()
		}
		start := time.Now()
		ready.Done()
		wg.Wait()
		wall := time.Since(start)
		derr := b.deleteAll(rt, ids)
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("%s: parallel run --detach: %w", rt.name, err)
		}
		if derr != nil {
			return derr
		}
		if !j.warmup {
			f.add(rt.name, ms(wall))
		}
		return nil
	})
}

// scaleMode grows, per runtime, a population of detached `sleep` containers
// through -counts (1, 10, 100, 500) and at each count times a foreground
// `run` of /bin/true, `list` and `state` of one of them, alternating the
// runtimes; all of them are deleted at the end whatever happened.
func (b *bench) scaleMode() (err error) {
	counts := b.opts.counts
	if len(counts) == 0 {
		return nil
	}
	list := make([]*figure, len(counts))
	state := make([]*figure, len(counts))
	run := make([]*figure, len(counts))
	for i, c := range counts {
		list[i] = b.tab.add(newFigure(fmt.Sprintf("list.%d", c), fmt.Sprintf("`list`, %d containers present, ms", c), unitMs))
		list[i].vsCrun = 1.0
	}
	for i, c := range counts {
		state[i] = b.tab.add(newFigure(fmt.Sprintf("state.%d", c), fmt.Sprintf("`state`, %d containers present, ms", c), unitMs))
		state[i].vsCrun = 1.0
	}
	for i, c := range counts {
		run[i] = b.tab.add(newFigure(fmt.Sprintf("scale.run.%d", c), fmt.Sprintf("`run` wall, %d containers present, ms", c), unitMs))
	}
	for i, c := range counts {
		list[i].count, state[i].count, run[i].count = c, c, c
		list[i].perContainer = true
		if i > 0 {
			list[i].flatOf = list[0].key
			state[i].flatOf = state[0].key
			run[i].flatOf = run[0].key
		}
	}

	fillers := make([][]string, len(b.rts))
	defer func() {
		for i, rt := range b.rts {
			if derr := b.deleteOnly(rt, fillers[i]); derr != nil && err == nil {
				err = derr
			}
		}
		// Only now are none of the bench's containers left.
		drainChildren()
	}()

	for ci, c := range counts {
		for i, rt := range b.rts {
			have := len(fillers[i])
			var ids []string
			for k := have; k < c; k++ {
				ids = append(ids, b.containerID(rt, fmt.Sprintf("fill%d", k)))
			}
			// Recorded before they exist: a failed start is deleted too.
			fillers[i] = append(fillers[i], ids...)
			err := b.parallelDo(b.opts.workers, ids, func(id string) error {
				if b.interrupted() {
					return errInterrupted
				}
				_, err := b.r.runConcurrent(rt.argv("run", "--detach", "--bundle", b.sleepBundle, id))
				return err
			})
			// The inits of the detached containers are ours now; nothing
			// of ours has exited, but a failed start's debris may have.
			reapOrphans(nil)
			if err != nil {
				return fmt.Errorf("%s: start %d containers: %w", rt.name, c, err)
			}
		}
		fmt.Fprintf(os.Stderr, "rtbench: scale: %d containers present per runtime\n", c)

		err := b.each(b.rts, b.opts.scaleN, 1, func(rt runtimeBin, j job) error {
			i := j.runtime
			id := b.containerID(rt, fmt.Sprintf("%s-%d", tag("scale", j), c))
			s, err := b.r.run(rt.argv("run", "--bundle", b.bundle, id))
			if err != nil {
				b.forceDelete(rt, id)
				return fmt.Errorf("%s run %s with %d present: %w", rt.name, id, c, err)
			}
			ls, err := b.r.run(rt.argv("list"))
			if err != nil {
				return fmt.Errorf("%s list with %d present: %w", rt.name, c, err)
			}
			st, err := b.r.run(rt.argv("state", fillers[i][len(fillers[i])/2]))
			if err != nil {
				return fmt.Errorf("%s state with %d present: %w", rt.name, c, err)
			}
			if !j.warmup {
				run[ci].add(rt.name, ms(s.wall))
				list[ci].add(rt.name, ms(ls.wall))
				state[ci].add(rt.name, ms(st.wall))
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// parallelDo calls fn for every id from up to workers goroutines and joins
// the errors. fn must not reap other processes than its own (see
// runner.runConcurrent).
func (b *bench) parallelDo(workers int, ids []string, fn func(id string) error) error {
	if len(ids) == 0 {
		return nil
	}
	next := make(chan string)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for w := 0; w < min(workers, len(ids)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range next {
				if err := fn(id); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for _, id := range ids {
		next <- id
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

// deleteAll removes the containers the bench made under rt (deleteOnly),
// then collects their inits: the caller has no other container running.
func (b *bench) deleteAll(rt runtimeBin, ids []string) error {
	err := b.deleteOnly(rt, ids)
	drainChildren()
	return err
}

// deleteOnly removes the containers the bench made under rt, by id (those
// whose state dir exists), in parallel.
func (b *bench) deleteOnly(rt runtimeBin, ids []string) error {
	var present []string
	for _, id := range ids {
		if _, err := os.Stat(filepath.Join(rt.root, id)); err == nil {
			present = append(present, id)
		}
	}
	err := b.parallelDo(b.opts.workers, present, func(id string) error {
		if _, err := b.r.runConcurrent(rt.argv("delete", "--force", id)); err != nil {
			return fmt.Errorf("%s delete %s: %w", rt.name, id, err)
		}
		return nil
	})
	// Their inits, reparented to rtbench, exit now; any already gone are
	// collected here, the rest by drainChildren or the next reapOrphans.
	reapOrphans(nil)
	return err
}

func (b *bench) delete(rt runtimeBin, id string) error {
	if _, err := b.r.run(rt.argv("delete", "--force", id)); err != nil {
		return fmt.Errorf("%s delete %s: %w", rt.name, id, err)
	}
	return nil
}

// forceDelete is the best-effort cleanup after a failure: the container may
// not exist at all, so its own error is only shown, not returned.
func (b *bench) forceDelete(rt runtimeBin, id string) {
	if _, err := os.Stat(filepath.Join(rt.root, id)); err != nil {
		return
	}
	if err := b.delete(rt, id); err != nil {
		fmt.Fprintln(os.Stderr, "rtbench: cleanup:", err)
	}
}

// drainChildren reaps every child of rtbench that has exited or exits within
// a while: after the bench deleted all its containers, their inits (which
// were reparented to rtbench) die shortly. It gives up after 30 s with a
// warning, so a stuck process cannot hang the bench.
func drainChildren() {
	deadline := time.Now().Add(30 * time.Second)
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		switch {
		case errors.Is(err, unix.EINTR) || pid > 0:
			continue
		case err != nil: // ECHILD: none left
			return
		}
		if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "rtbench: warning: children still alive 30 s after their containers were deleted")
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// bundleInfo reads the rootfs and the namespace types of the bundle's
// config, for the floor.
func bundleInfo(bundle string) (rootfs string, ns []string, err error) {
	src := filepath.Join(bundle, "config.json")
	data, err := os.ReadFile(src)
	if err != nil {
		return "", nil, fmt.Errorf("read %s: %w", src, err)
	}
	var cfg struct {
		Root struct {
			Path string `json:"path"`
		} `json:"root"`
		Linux struct {
			Namespaces []struct {
				Type string `json:"type"`
				Path string `json:"path"`
			} `json:"namespaces"`
		} `json:"linux"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return "", nil, fmt.Errorf("parse %s: %w", src, err)
	}
	if cfg.Root.Path == "" {
		return "", nil, fmt.Errorf("%s: root.path missing", src)
	}
	rootfs = cfg.Root.Path
	if !filepath.IsAbs(rootfs) {
		rootfs = filepath.Join(bundle, rootfs)
	}
	for _, n := range cfg.Linux.Namespaces {
		if n.Path != "" {
			return "", nil, fmt.Errorf("%s: the floor makes new namespaces only, %s has a path", src, n.Type)
		}
		ns = append(ns, n.Type)
	}
	return rootfs, ns, nil
}

// makeSleepBundle writes a second bundle beside the state roots: the same
// config with `sleep 1000` as the process and the original rootfs by
// absolute path. The config is edited as generic JSON so that every field
// the benchmark does not touch is kept exactly.
func (b *bench) makeSleepBundle() (string, error) {
	src := filepath.Join(b.bundle, "config.json")
	data, err := os.ReadFile(src)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", src, err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil {
		return "", fmt.Errorf("parse %s: %w", src, err)
	}
	proc, ok := cfg["process"].(map[string]any)
	if !ok {
		return "", fmt.Errorf("%s: no process object", src)
	}
	root, ok := cfg["root"].(map[string]any)
	if !ok {
		return "", fmt.Errorf("%s: no root object", src)
	}
	rootPath, ok := root["path"].(string)
	if !ok || rootPath == "" {
		return "", fmt.Errorf("%s: root.path missing", src)
	}
	if !filepath.IsAbs(rootPath) {
		root["path"] = filepath.Join(b.bundle, rootPath)
	}
	proc["args"] = []string{"sleep", "1000"}
	proc["terminal"] = false

	dir := filepath.Join(b.stateDir, "sleep-bundle")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", fmt.Errorf("make %s: %w", dir, err)
	}
	out, err := json.MarshalIndent(cfg, "", "\t")
	if err != nil {
		return "", fmt.Errorf("encode sleep config: %w", err)
	}
	dst := filepath.Join(dir, "config.json")
	if err := os.WriteFile(dst, out, 0o644); err != nil {
		return "", fmt.Errorf("write %s: %w", dst, err)
	}
	return dir, nil
}
