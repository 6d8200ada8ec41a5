// Command rtbench times the start path of rt side by side with runc, crun and
// a C floor: `run` of a container running /bin/true (wall, CPU and peak RSS
// of the whole process tree), `exec` of /bin/true into a running container,
// parallel `run -d`, and `run`, `list` and `state` as more and more
// containers are present, alternating between the runtimes, and prints the
// medians and 90th percentiles as a markdown table with ratios to crun.
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
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// runtimeBin is one runtime under test, with its own state root, or the
// floor (no root: it keeps no state).
type runtimeBin struct {
	name  string
	path  string
	root  string
	floor bool
}

func (r runtimeBin) argv(args ...string) []string {
	return append([]string{r.path, "--root", r.root}, args...)
}

type options struct {
	n         int
	warmup    int
	modes     []string
	runtimes  []string
	paths     map[string]string
	bundle    string
	stateDir  string
	csvPath   string
	parallel  int
	parRounds int
	counts    []int
	scaleN    int
	workers   int
	launcher  string
}

var allModes = []string{"run", "exec", "parallel", "scale"}

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
	var mode, runtimes, rtPath, runcPath, crunPath, floorPath, counts string
	flag.StringVar(&o.launcher, "launcher", "launch", "the launcher that times each run (bench/c/launch.c; looked up in $PATH)")
	flag.IntVar(&o.n, "n", 100, "recorded runs per runtime in the run and exec modes")
	flag.IntVar(&o.warmup, "warmup", 2, "unrecorded warm-up runs per runtime, alternating like the rest")
	flag.StringVar(&mode, "mode", "run", "what to time: run, exec, parallel, scale, or all of them (all)")
	flag.StringVar(&runtimes, "runtimes", "rt,runc,crun,floor", "comma-separated runtimes to compare, from rt, runc, crun, floor")
	flag.StringVar(&rtPath, "rt", defaultRT, "path of the rt binary ($REPO/rt when REPO is set)")
	flag.StringVar(&runcPath, "runc", "runc", "runc binary (looked up in $PATH)")
	flag.StringVar(&crunPath, "crun", "crun", "crun binary (looked up in $PATH)")
	flag.StringVar(&floorPath, "floor", "floor", "the floor program (bench/c/floor.c; looked up in $PATH)")
	flag.StringVar(&o.bundle, "bundle", "", "OCI bundle whose process is /bin/true (required; bench/run.sh makes one)")
	flag.StringVar(&o.stateDir, "state-dir", "/run", "parent directory of the temporary --root of each runtime")
	flag.StringVar(&o.csvPath, "csv", "", "also write every recorded value to this CSV file")
	flag.IntVar(&o.parallel, "parallel", 50, "parallel mode: `run -d` started at once")
	flag.IntVar(&o.parRounds, "parallel-rounds", 10, "parallel mode: recorded rounds per runtime")
	flag.StringVar(&counts, "counts", "1,10,100,500", "scale mode: containers present, ascending")
	flag.IntVar(&o.scaleN, "scale-n", 30, "scale mode: recorded rounds (run, list, state) per runtime and count")
	flag.IntVar(&o.workers, "workers", 4, "processes at once when starting and deleting the scale and parallel containers (untimed)")
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
	if o.parallel < 1 || o.parRounds < 1 || o.scaleN < 1 || o.workers < 1 {
		return o, errors.New("-parallel, -parallel-rounds, -scale-n and -workers must be at least 1")
	}
	var err error
	if o.modes, err = parseModes(mode); err != nil {
		return o, err
	}
	if o.counts, err = parseCounts(counts); err != nil {
		return o, err
	}
	if o.bundle == "" {
		return o, errors.New("-bundle is required")
	}
	o.paths = map[string]string{"rt": rtPath, "runc": runcPath, "crun": crunPath, "floor": floorPath}
	seen := map[string]bool{}
	for _, name := range strings.Split(runtimes, ",") {
		name = strings.TrimSpace(name)
		if _, ok := o.paths[name]; !ok {
			return o, fmt.Errorf("-runtimes: unknown runtime %q (want rt, runc, crun, floor)", name)
		}
		if seen[name] {
			return o, fmt.Errorf("-runtimes: %q given twice", name)
		}
		seen[name] = true
		o.runtimes = append(o.runtimes, name)
	}
	return o, nil
}

// parseModes reads -mode: one of allModes, "all", or a comma-separated list.
func parseModes(s string) ([]string, error) {
	if s == "all" {
		return allModes, nil
	}
	var modes []string
	for _, m := range strings.Split(s, ",") {
		m = strings.TrimSpace(m)
		if !slices.Contains(allModes, m) {
			return nil, fmt.Errorf("-mode %q: want %s or all", m, strings.Join(allModes, ", "))
		}
		if slices.Contains(modes, m) {
			return nil, fmt.Errorf("-mode: %q given twice", m)
		}
		modes = append(modes, m)
	}
	return modes, nil
}

// parseCounts reads -counts: positive, strictly ascending integers.
func parseCounts(s string) ([]int, error) {
	var counts []int
	for _, f := range strings.Split(s, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || c < 1 {
			return nil, fmt.Errorf("-counts: %q is not a positive count", f)
		}
		if len(counts) > 0 && c <= counts[len(counts)-1] {
			return nil, fmt.Errorf("-counts: %d after %d, want ascending", c, counts[len(counts)-1])
		}
		counts = append(counts, c)
	}
	return counts, nil
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
	rootfs, nsKinds, err := bundleInfo(bundle)
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}

	stateDir, err := os.MkdirTemp(o.stateDir, "rtbench-")
	if err != nil {
		return fmt.Errorf("make state dir in %s: %w", o.stateDir, err)
	}
	defer os.RemoveAll(stateDir)

	b := &bench{opts: o, bundle: bundle, rootfs: rootfs, nsKinds: nsKinds, stateDir: stateDir,
		tab: newTable(o.runtimes), orphans: map[string]int{}}
	var versions []string
	for _, name := range o.runtimes {
		path, err := exec.LookPath(o.paths[name])
		if err != nil {
			return fmt.Errorf("runtime %s: %w", name, err)
		}
		if path, err = filepath.Abs(path); err != nil {
			return fmt.Errorf("runtime %s: %w", name, err)
		}
		if name == "floor" {
			b.floor = &runtimeBin{name: name, path: path, floor: true}
			continue
		}
		root := filepath.Join(stateDir, "root-"+name)
		if err := os.Mkdir(root, 0o700); err != nil {
			return fmt.Errorf("make root for %s: %w", name, err)
		}
		b.rts = append(b.rts, runtimeBin{name: name, path: path, root: root})
		versions = append(versions, name+" "+version(path))
	}

	if err := becomeSubreaper(); err != nil {
		return err
	}
	launcher, err := exec.LookPath(o.launcher)
	if err != nil {
		return fmt.Errorf("launcher: %w", err)
	}
	if launcher, err = filepath.Abs(launcher); err != nil {
		return fmt.Errorf("launcher: %w", err)
	}
	if b.r, err = newRunner(stateDir, launcher); err != nil {
		return err
	}
	defer b.r.close()
	if b.sleepBundle, err = b.makeSleepBundle(); err != nil {
		return err
	}

	// A Ctrl-C stops the loop between two runs, so the containers made so
	// far are still deleted.
	b.stop = make(chan os.Signal, 1)
	signal.Notify(b.stop, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(b.stop)

	began, loadBefore := time.Now(), loadAvg()
	for _, m := range o.modes {
		if len(b.rts) == 0 && m != "run" {
			continue
		}
		fmt.Fprintf(os.Stderr, "rtbench: mode %s\n", m)
		switch m {
		case "run":
			err = b.runMode()
		case "exec":
			err = b.execMode()
		case "parallel":
			err = b.parallelMode()
		case "scale":
			err = b.scaleMode()
		}
		if err != nil {
			return fmt.Errorf("mode %s: %w", m, err)
		}
	}

	w := os.Stdout
	fmt.Fprintf(w, "rtbench: modes %s; run/exec %d recorded runs per runtime after %d warm-up; parallel %d x %d rounds; scale %d rounds at %v present; alternating %s; %s; %.0f s; load average %s before, %s after\n\n",
		strings.Join(o.modes, ","), o.n, o.warmup, o.parallel, o.parRounds, o.scaleN, o.counts,
		strings.Join(o.runtimes, ","), strings.Join(versions, ", "), time.Since(began).Seconds(), loadBefore, loadAvg())
	b.tab.writeMarkdown(w)
	fmt.Fprintln(w)
	b.tab.writeDetail(w)
	for _, name := range o.runtimes {
		if n := b.orphans[name]; n > 0 {
			fmt.Fprintf(w, "\n%s: %d processes escaped its tree in run mode and were reaped by rtbench (charged to their run)\n", name, n)
		}
	}
	if o.csvPath != "" {
		if err := writeCSV(o.csvPath, b.tab); err != nil {
			return err
		}
	}
	return nil
}

// loadAvg is the 1-minute load average, to tell a quiet run from a busy one.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "unknown"
	}
	return f[0]
}

// version is the first line of `BIN --version`, for the report's header.
func version(path string) string {
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return "(version unknown)"
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line)
}

func writeCSV(path string, t *table) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	w := csv.NewWriter(f)
	w.Write([]string{"figure", "runtime", "index", "value", "unit"})
	for _, fig := range t.figures {
		u := "ms"
		if fig.unit == unitKiB {
			u = "KiB"
		}
		for _, r := range t.runtimes {
			for i, v := range fig.vals[r] {
				w.Write([]string{fig.key, r, strconv.Itoa(i), strconv.FormatFloat(v, 'f', -1, 64), u})
			}
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
