package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"
)

// sample is what one timed invocation of a runtime cost.
type sample struct {
	wall    time.Duration // monotonic, from before fork to after the reap
	cpu     time.Duration // user+sys of the child and every descendant it (or we) reaped
	rssKiB  int64         // ru_maxrss: largest resident set of any process in that tree
	orphans int           // descendants that escaped the runtime and were reaped by rtbench
}

// job is one slot of the schedule: which runtime runs, and in which round.
// Warm-up rounds are run in the same alternating order but not recorded.
type job struct {
	runtime int
	round   int
	warmup  bool
}

// schedule interleaves the runtimes round by round (a, b, c, a, b, c, ...), so
// that slow drifts of the machine (page cache, thermal, a noisy neighbour) hit
// every runtime alike instead of whichever ran last.
func schedule(runtimes, rounds, warmup int) []job {
	if runtimes <= 0 || rounds+warmup <= 0 {
		return nil
	}
	jobs := make([]job, 0, runtimes*(rounds+warmup))
	for r := 0; r < warmup; r++ {
		for i := 0; i < runtimes; i++ {
			jobs = append(jobs, job{runtime: i, round: r, warmup: true})
		}
	}
	for r := 0; r < rounds; r++ {
		for i := 0; i < runtimes; i++ {
			jobs = append(jobs, job{runtime: i, round: r})
		}
	}
	return jobs
}

// median of xs (mean of the two middle values for an even count); NaN when empty.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// spread is median, min and max of one figure over all recorded runs.
type spread struct {
	med, min, max float64
}

func newSpread(xs []float64) spread {
	if len(xs) == 0 {
		return spread{math.NaN(), math.NaN(), math.NaN()}
	}
	sp := spread{med: median(xs), min: xs[0], max: xs[0]}
	for _, x := range xs[1:] {
		sp.min = math.Min(sp.min, x)
		sp.max = math.Max(sp.max, x)
	}
	return sp
}

// summary holds the three figures of one runtime, in the units the table prints.
type summary struct {
	name    string
	runs    int
	wallMs  spread
	cpuMs   spread
	rssMiB  spread
	orphans int
}

func summarize(name string, samples []sample) summary {
	wall := make([]float64, len(samples))
	cpu := make([]float64, len(samples))
	rss := make([]float64, len(samples))
	orphans := 0
	for i, s := range samples {
		wall[i] = float64(s.wall) / float64(time.Millisecond)
		cpu[i] = float64(s.cpu) / float64(time.Millisecond)
		rss[i] = float64(s.rssKiB) / 1024
		orphans += s.orphans
	}
	return summary{
		name:    name,
		runs:    len(samples),
		wallMs:  newSpread(wall),
		cpuMs:   newSpread(cpu),
		rssMiB:  newSpread(rss),
		orphans: orphans,
	}
}

// ratio is num/den, NaN when it has no meaning (zero, negative or NaN input).
func ratio(num, den float64) float64 {
	if !(den > 0) || !(num >= 0) {
		return math.NaN()
	}
	return num / den
}

// formatRatio prints a ratio as "0.87x", or "n/a" when it is not a number.
func formatRatio(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", r)
}

// verdict says whether value is within limit; a value that could not be
// measured is neither.
func verdict(value, limit float64) string {
	if math.IsNaN(value) {
		return "n/a"
	}
	if value <= limit {
		return "met"
	}
	return "missed"
}

// ratioPairs are the comparisons printed, numerator first, when both runtimes ran.
var ratioPairs = [][2]string{{"rt", "crun"}, {"rt", "runc"}, {"runc", "crun"}}

// Targets rt is held to. Timing targets compare medians; the memory target
// is the largest peak RSS seen in any run.
const (
	targetVsCrun = 1.0
	targetVsRunc = 0.5
	targetRSSMiB = 8.0
)

func fmtSpread(sp spread, prec int) string {
	return fmt.Sprintf("%*.*f %*.*f %*.*f", 8, prec, sp.med, 8, prec, sp.min, 8, prec, sp.max)
}

// printReport writes the table, the ratios of the medians and the targets.
func printReport(w io.Writer, header string, sums []summary) {
	byName := make(map[string]summary, len(sums))
	for _, s := range sums {
		byName[s.name] = s
	}
	fmt.Fprintln(w, header)
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-8s %5s | %-26s | %-26s | %-26s |\n", "", "", "wall ms", "CPU ms (user+sys)", "peak RSS MiB")
	fmt.Fprintf(w, "%-8s %5s | %8s %8s %8s | %8s %8s %8s | %8s %8s %8s | %s\n",
		"runtime", "runs", "median", "min", "max", "median", "min", "max", "median", "min", "max", "orphans")
	fmt.Fprintln(w, strings.Repeat("-", 106))
	for _, s := range sums {
		fmt.Fprintf(w, "%-8s %5d | %s | %s | %s | %d\n", s.name, s.runs,
			fmtSpread(s.wallMs, 2), fmtSpread(s.cpuMs, 2), fmtSpread(s.rssMiB, 2), s.orphans)
	}

	printed := false
	for _, p := range ratioPairs {
		a, okA := byName[p[0]]
		b, okB := byName[p[1]]
		if !okA || !okB {
			continue
		}
		if !printed {
			fmt.Fprintln(w)
			fmt.Fprintln(w, "ratios of the medians:")
			printed = true
		}
		fmt.Fprintf(w, "  %-10s wall %-7s CPU %s\n", p[0]+"/"+p[1],
			formatRatio(ratio(a.wallMs.med, b.wallMs.med)), formatRatio(ratio(a.cpuMs.med, b.cpuMs.med)))
	}

	rt, ok := byName["rt"]
	if !ok {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "targets for rt:")
	for _, t := range []struct {
		other string
		limit float64
	}{{"crun", targetVsCrun}, {"runc", targetVsRunc}} {
		o, ok := byName[t.other]
		if !ok {
			fmt.Fprintf(w, "  rt <= %.1fx %s: not measured (%s not in -runtimes)\n", t.limit, t.other, t.other)
			continue
		}
		rw := ratio(rt.wallMs.med, o.wallMs.med)
		rc := ratio(rt.cpuMs.med, o.cpuMs.med)
		fmt.Fprintf(w, "  wall rt <= %.1fx %-4s  %-7s %s\n", t.limit, t.other, formatRatio(rw), verdict(rw, t.limit))
		fmt.Fprintf(w, "  CPU  rt <= %.1fx %-4s  %-7s %s\n", t.limit, t.other, formatRatio(rc), verdict(rc, t.limit))
	}
	fmt.Fprintf(w, "  peak RSS <= %.0f MiB     %-7s %s (largest of %d runs)\n", targetRSSMiB,
		fmt.Sprintf("%.2f", rt.rssMiB.max), verdict(rt.rssMiB.max, targetRSSMiB), rt.runs)
}
