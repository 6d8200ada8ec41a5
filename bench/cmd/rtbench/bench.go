package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// bench runs one mode over the schedule and collects the recorded samples,
// indexed like rts.
type bench struct {
	opts     options
	rts      []runtimeBin
	r        *runner
	bundle   string
	stateDir string
	stop     chan os.Signal
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

// each walks the alternating schedule, calling one for every slot and keeping
// the samples of the recorded ones.
func (b *bench) each(one func(rt runtimeBin, j job) (sample, error)) ([][]sample, error) {
	samples := make([][]sample, len(b.rts))
	for _, j := range schedule(len(b.rts), b.opts.n, b.opts.warmup) {
		if b.interrupted() {
			return nil, errInterrupted
		}
		s, err := one(b.rts[j.runtime], j)
		if err != nil {
			return nil, err
		}
		if !j.warmup {
			samples[j.runtime] = append(samples[j.runtime], s)
		}
	}
	return samples, nil
}

// runMode times `RUNTIME --root R run --bundle B ID`, a fresh id each time.
// The foreground run creates, starts, waits for and deletes the container.
func (b *bench) runMode() ([][]sample, error) {
	return b.each(func(rt runtimeBin, j job) (sample, error) {
		tag := fmt.Sprintf("%d", j.round)
		if j.warmup {
			tag = fmt.Sprintf("warm%d", j.round)
		}
		id := b.containerID(rt, tag)
		s, err := b.r.run(rt.argv("run", "--bundle", b.bundle, id))
		if err != nil {
			// A failed run may leave state and cgroups behind; remove them
			// before reporting, keeping the error of the run itself.
			b.forceDelete(rt, id)
			return s, fmt.Errorf("%s run %s: %w", rt.name, id, err)
		}
		return s, nil
	})
}

// execMode starts one detached `sleep 1000` container per runtime and times
// `RUNTIME --root R exec ID /bin/true` against it; the containers are deleted
// at the end whatever happened.
func (b *bench) execMode() (samples [][]sample, err error) {
	sleepBundle, err := b.makeSleepBundle()
	if err != nil {
		return nil, err
	}
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
		reapOrphans(nil)
	}()

	for i, rt := range b.rts {
		id := b.containerID(rt, "exec")
		if _, err := b.r.run(rt.argv("run", "--detach", "--bundle", sleepBundle, id)); err != nil {
			b.forceDelete(rt, id)
			return nil, fmt.Errorf("%s run --detach %s: %w", rt.name, id, err)
		}
		ids[i] = id
	}

	return b.each(func(rt runtimeBin, j job) (sample, error) {
		id := ids[j.runtime]
		s, err := b.r.run(rt.argv("exec", id, "/bin/true"))
		if err != nil {
			return s, fmt.Errorf("%s exec %s: %w", rt.name, id, err)
		}
		return s, nil
	})
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
