package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
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

// percentile is the nearest-rank p-th percentile of xs (0 < p <= 100): the
// smallest value that at least p% of the values do not exceed. NaN when
// empty.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 || !(p > 0) || p > 100 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[max(rank, 1)-1]
}

// spread is median, 90th percentile, min and max of one figure over all
// recorded runs.
type spread struct {
	med, p90, min, max float64
}

func newSpread(xs []float64) spread {
	if len(xs) == 0 {
		return spread{math.NaN(), math.NaN(), math.NaN(), math.NaN()}
	}
	sp := spread{med: median(xs), p90: percentile(xs, 90), min: xs[0], max: xs[0]}
	for _, x := range xs[1:] {
		sp.min = math.Min(sp.min, x)
		sp.max = math.Max(sp.max, x)
	}
	return sp
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

// The figures, in the order of the table. A figure is one row: the
// same quantity measured for every runtime that takes part in it.
type unit int

const (
	unitMs unit = iota
	unitKiB
)

// figure is one row of the table with every recorded value per runtime.
type figure struct {
	key   string // stable name, used in the CSV
	label string // markdown, as the README shows it
	unit  unit
	// Targets for rt (zero: none): median ≤ vsCrun × crun's median, and
	// p90 ≤ absKiB for memory.
	vsCrun float64
	absKiB float64
	// flatOf names the figure at the smallest count of the same series:
	// the target column shows rt's median relative to it (flat is 1.00x),
	// or, with perContainer, what each container present beyond that
	// count added to rt's median (list reads every container: its time
	// grows with the count, and flat is a constant cost per container).
	flatOf       string
	count        int // containers present, for perContainer
	perContainer bool
	vals         map[string][]float64
}

func newFigure(key, label string, u unit) *figure {
	return &figure{key: key, label: label, unit: u, vals: map[string][]float64{}}
}

func (f *figure) add(runtime string, v float64) { f.vals[runtime] = append(f.vals[runtime], v) }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// formatValue prints a figure's value: ms with one decimal, KiB as a whole
// number with thousands separated by commas.
func formatValue(v float64, u unit) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	if u == unitMs {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// table is every figure measured in one run of rtbench.
type table struct {
	runtimes []string // columns, in the order of -runtimes
	figures  []*figure
	byKey    map[string]*figure
}

func newTable(runtimes []string) *table {
	return &table{runtimes: runtimes, byKey: map[string]*figure{}}
}

func (t *table) add(f *figure) *figure {
	t.figures = append(t.figures, f)
	t.byKey[f.key] = f
	return f
}

// cell is "median / p90" of one runtime's values, "—" when it did not take part.
func cell(xs []float64, u unit) string {
	if len(xs) == 0 {
		return "—"
	}
	sp := newSpread(xs)
	return formatValue(sp.med, u) + " / " + formatValue(sp.p90, u)
}

// target is the target column of one row for rt.
func (t *table) target(f *figure) string {
	rt := f.vals["rt"]
	if len(rt) == 0 {
		return "—"
	}
	var parts []string
	if f.vsCrun > 0 {
		r := ratio(median(rt), median(f.vals["crun"]))
		parts = append(parts, fmt.Sprintf("≤ %.1fx crun: %s", f.vsCrun, verdict(r, f.vsCrun)))
	}
	if f.absKiB > 0 {
		p := percentile(rt, 90)
		parts = append(parts, fmt.Sprintf("p90 ≤ %s KiB: %s", formatValue(f.absKiB, unitKiB), verdict(p, f.absKiB)))
	}
	if base, ok := t.byKey[f.flatOf]; ok && f.flatOf != "" {
		switch {
		case !f.perContainer:
			parts = append(parts, fmt.Sprintf("%s of %d present", formatRatio(ratio(median(rt), median(base.vals["rt"]))), base.count))
		case f.count > base.count:
			per := (median(rt) - median(base.vals["rt"])) / float64(f.count-base.count)
			parts = append(parts, fmt.Sprintf("%+.3f ms per container beyond %d", per, base.count))
		}
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, "; ")
}

// writeMarkdown prints the table: one column per runtime (median / p90), the
// ratio of each runtime's median to crun's, and rt's target.
func (t *table) writeMarkdown(w io.Writer) {
	var ratioCols []string
	hasCrun := false
	for _, r := range t.runtimes {
		if r == "crun" {
			hasCrun = true
		}
	}
	if hasCrun {
		for _, r := range t.runtimes {
			if r != "crun" {
				ratioCols = append(ratioCols, r)
			}
		}
	}
	head := append([]string{"median / p90"}, t.runtimes...)
	for _, r := range ratioCols {
		head = append(head, r+"/crun")
	}
	head = append(head, "target for rt")
	fmt.Fprintln(w, "| "+strings.Join(head, " | ")+" |")
	fmt.Fprintln(w, "|"+strings.Repeat("---|", len(head)))
	for _, f := range t.figures {
		row := []string{f.label}
		for _, r := range t.runtimes {
			row = append(row, cell(f.vals[r], f.unit))
		}
		for _, r := range ratioCols {
			if len(f.vals[r]) == 0 {
				row = append(row, "—")
				continue
			}
			row = append(row, formatRatio(ratio(median(f.vals[r]), median(f.vals["crun"]))))
		}
		row = append(row, t.target(f))
		fmt.Fprintln(w, "| "+strings.Join(row, " | ")+" |")
	}
}

// writeDetail prints, per figure and runtime, the count, median, p90, min and
// max: what the markdown leaves out.
func (t *table) writeDetail(w io.Writer) {
	fmt.Fprintf(w, "%-44s %-6s %5s %10s %10s %10s %10s\n", "figure", "engine", "runs", "median", "p90", "min", "max")
	for _, f := range t.figures {
		for _, r := range t.runtimes {
			xs := f.vals[r]
			if len(xs) == 0 {
				continue
			}
			sp := newSpread(xs)
			fmt.Fprintf(w, "%-44s %-6s %5d %10s %10s %10s %10s\n", f.key, r, len(xs),
				formatValue(sp.med, f.unit), formatValue(sp.p90, f.unit),
				formatValue(sp.min, f.unit), formatValue(sp.max, f.unit))
		}
	}
}
