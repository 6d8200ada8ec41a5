// Command rtbench times the start path of rt side by side with runc and crun:
// `run` of a container running /bin/true, or `exec` of /bin/true into a
// running container, alternating between the runtimes, and prints wall time,
// CPU time and peak RSS of each runtime's whole process tree.
//
// It is a measurement, not a test: the exit status says whether every run
// succeeded, never whether a target was met. bench/run.sh builds rt, makes
// the bundle and calls it; see bench/README.md.
package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// runtimeBin is one runtime under test, with its own state root.
type runtimeBin struct {
	name string
	path string
	root string
}

func (r runtimeBin) argv(args ...string) []string {
	return append([]string{r.path, "--root", r.root}, args...)
}

type options struct {
	n        int
	warmup   int
	mode     string
	runtimes []string
	paths    map[string]string
	bundle   string
	stateDir string
	csvPath  string
}

func main() {
	if err := mainErr(); err != nil {
		fmt.Fprintln(os.Stderr, "rtbench:", err)
		os.Exit(1)
	}
}

func parseFlags() (options, error) {
	defaultRT := "./rt"
	if repo := os.Getenv("REPO"); repo != "" {
		defaultRT = filepath.Join(repo, "rt")
	}
	var o options
	var runtimes, rtPath, runcPath, crunPath string
	flag.IntVar(&o.n, "n", 100, "recorded runs per runtime")
	flag.IntVar(&o.warmup, "warmup", 2, "unrecorded warm-up runs per runtime, alternating like the rest")
	flag.StringVar(&o.mode, "mode", "run", "what to time: run (run /bin/true in a new container) or exec (exec /bin/true in a running one)")
	flag.StringVar(&runtimes, "runtimes", "rt,runc,crun", "comma-separated runtimes to compare, from rt, runc, crun")
	flag.StringVar(&rtPath, "rt", defaultRT, "path of the rt binary ($REPO/rt when REPO is set)")
	flag.StringVar(&runcPath, "runc", "runc", "runc binary (looked up in $PATH)")
	flag.StringVar(&crunPath, "crun", "crun", "crun binary (looked up in $PATH)")
	flag.StringVar(&o.bundle, "bundle", "", "OCI bundle whose process is /bin/true (required; bench/run.sh makes one)")
	flag.StringVar(&o.stateDir, "state-dir", "/run", "parent directory of the temporary --root of each runtime")
	flag.StringVar(&o.csvPath, "csv", "", "also write every recorded run to this CSV file")
	flag.Parse()

	if flag.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", flag.Args())
	}
	if o.n < 1 {
		return o, fmt.Errorf("-n %d: need at least one run", o.n)
	}
	if o.warmup < 0 {
		return o, fmt.Errorf("-warmup %d: cannot be negative", o.warmup)
	}
	if o.mode != "run" && o.mode != "exec" {
		return o, fmt.Errorf("-mode %q: want run or exec", o.mode)
	}
	if o.bundle == "" {
		return o, errors.New("-bundle is required")
	}
	o.paths = map[string]string{"rt": rtPath, "runc": runcPath, "crun": crunPath}
	seen := map[string]bool{}
	for _, name := range strings.Split(runtimes, ",") {
		name = strings.TrimSpace(name)
		if _, ok := o.paths[name]; !ok {
			return o, fmt.Errorf("-runtimes: unknown runtime %q (want rt, runc, crun)", name)
		}
		if seen[name] {
			return o, fmt.Errorf("-runtimes: %q given twice", name)
		}
		seen[name] = true
		o.runtimes = append(o.runtimes, name)
	}
	return o, nil
}

func mainErr() error {
	o, err := parseFlags()
	if err != nil {
		return err
	}
	bundle, err := filepath.Abs(o.bundle)
	if err != nil {
		return fmt.Errorf("bundle %s: %w", o.bundle, err)
	}
	if _, err := os.Stat(filepath.Join(bundle, "config.json")); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}

	stateDir, err := os.MkdirTemp(o.stateDir, "rtbench-")
	if err != nil {
		return fmt.Errorf("make state dir in %s: %w", o.stateDir, err)
	}
	defer os.RemoveAll(stateDir)

	var rts []runtimeBin
	for _, name := range o.runtimes {
		path, err := exec.LookPath(o.paths[name])
		if err != nil {
			return fmt.Errorf("runtime %s: %w", name, err)
		}
		if path, err = filepath.Abs(path); err != nil {
			return fmt.Errorf("runtime %s: %w", name, err)
		}
		root := filepath.Join(stateDir, "root-"+name)
		if err := os.Mkdir(root, 0o700); err != nil {
			return fmt.Errorf("make root for %s: %w", name, err)
		}
		rts = append(rts, runtimeBin{name: name, path: path, root: root})
	}

	if err := becomeSubreaper(); err != nil {
		return err
	}
	r, err := newRunner(stateDir)
	if err != nil {
		return err
	}
	defer r.close()

	// A Ctrl-C stops the loop between two runs, so the containers made so
	// far are still deleted.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(stop)

	b := &bench{opts: o, rts: rts, r: r, bundle: bundle, stateDir: stateDir, stop: stop}
	var samples [][]sample
	if o.mode == "run" {
		samples, err = b.runMode()
	} else {
		samples, err = b.execMode()
	}
	if err != nil {
		return err
	}

	sums := make([]summary, len(rts))
	for i, rt := range rts {
		sums[i] = summarize(rt.name, samples[i])
	}
	header := fmt.Sprintf("mode %s: %d recorded runs per runtime after %d warm-up, order %s alternating",
		o.mode, o.n, o.warmup, strings.Join(o.runtimes, ","))
	printReport(os.Stdout, header, sums)

	if o.csvPath != "" {
		if err := writeCSV(o.csvPath, o.mode, rts, samples); err != nil {
			return err
		}
	}
	return nil
}

func writeCSV(path, mode string, rts []runtimeBin, samples [][]sample) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	w := csv.NewWriter(f)
	w.Write([]string{"mode", "runtime", "round", "wall_ns", "cpu_ns", "maxrss_kib", "orphans"})
	for i, rt := range rts {
		for round, s := range samples[i] {
			w.Write([]string{mode, rt.name, strconv.Itoa(round),
				strconv.FormatInt(int64(s.wall), 10), strconv.FormatInt(int64(s.cpu), 10),
				strconv.FormatInt(s.rssKiB, 10), strconv.Itoa(s.orphans)})
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return nil
}
