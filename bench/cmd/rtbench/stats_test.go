package main

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"one", []float64{7}, 7},
		{"odd unsorted", []float64{9, 1, 5}, 5},
		{"even is mean of middle two", []float64{4, 1, 3, 2}, 2.5},
		{"duplicates", []float64{2, 2, 2, 9}, 2},
		{"outlier does not move it", []float64{1, 2, 3, 4, 1000}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]float64(nil), tt.in...)
			if got := median(in); got != tt.want {
				t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
			}
			if !reflect.DeepEqual(in, tt.in) {
				t.Errorf("median reordered its input: %v, was %v", in, tt.in)
			}
		})
	}
	if got := median(nil); !math.IsNaN(got) {
		t.Errorf("median(nil) = %v, want NaN", got)
	}
}

func TestNewSpread(t *testing.T) {
	got := newSpread([]float64{3, 10, 1, 4})
	want := spread{med: 3.5, p90: 10, min: 1, max: 10}
	if got != want {
		t.Errorf("newSpread = %+v, want %+v", got, want)
	}
}

func TestRatioAndFormat(t *testing.T) {
	tests := []struct {
		num, den float64
		want     string
	}{
		{3, 4, "0.75x"},
		{10, 5, "2.00x"},
		{1, 3, "0.33x"},
		{2, 3, "0.67x"},
		{0, 5, "0.00x"},
		{5, 0, "n/a"},
		{5, -1, "n/a"},
		{math.NaN(), 5, "n/a"},
		{5, math.NaN(), "n/a"},
	}
	for _, tt := range tests {
		if got := formatRatio(ratio(tt.num, tt.den)); got != tt.want {
			t.Errorf("formatRatio(ratio(%v, %v)) = %q, want %q", tt.num, tt.den, got, tt.want)
		}
	}
	if got := formatRatio(math.Inf(1)); got != "n/a" {
		t.Errorf("formatRatio(+Inf) = %q, want n/a", got)
	}
}

func TestVerdict(t *testing.T) {
	tests := []struct {
		value, limit float64
		want         string
	}{
		{0.5, 0.5, "met"},
		{0.49, 0.5, "met"},
		{0.51, 0.5, "missed"},
		{math.NaN(), 1, "n/a"},
	}
	for _, tt := range tests {
		if got := verdict(tt.value, tt.limit); got != tt.want {
			t.Errorf("verdict(%v, %v) = %q, want %q", tt.value, tt.limit, got, tt.want)
		}
	}
}

func TestSchedule(t *testing.T) {
	got := schedule(3, 2, 1)
	want := []job{
		{0, 0, true}, {1, 0, true}, {2, 0, true},
		{0, 0, false}, {1, 0, false}, {2, 0, false},
		{0, 1, false}, {1, 1, false}, {2, 1, false},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("schedule(3, 2, 1) =\n%v\nwant\n%v", got, want)
	}

	// Every runtime gets exactly n recorded runs, and no runtime ever runs
	// twice in a row when there is more than one.
	for _, rts := range []int{1, 2, 3} {
		jobs := schedule(rts, 100, 2)
		counts := make([]int, rts)
		for i, j := range jobs {
			if !j.warmup {
				counts[j.runtime]++
			}
			if rts > 1 && i > 0 && jobs[i-1].runtime == j.runtime {
				t.Errorf("runtimes=%d: runtime %d runs twice in a row at slot %d", rts, j.runtime, i)
			}
			if j.runtime != i%rts {
				t.Errorf("runtimes=%d: slot %d runs %d, want %d", rts, i, j.runtime, i%rts)
			}
		}
		for i, c := range counts {
			if c != 100 {
				t.Errorf("runtimes=%d: runtime %d has %d recorded runs, want 100", rts, i, c)
			}
		}
	}
	if got := schedule(0, 10, 1); got != nil {
		t.Errorf("schedule with no runtimes = %v, want nil", got)
	}
}

func TestPercentile(t *testing.T) {
	xs := []float64{10, 1, 9, 2, 8, 3, 7, 4, 6, 5} // 1..10 unsorted
	for _, tt := range []struct{ p, want float64 }{
		{90, 9}, {50, 5}, {100, 10}, {10, 1}, {1, 1}, {91, 10},
	} {
		if got := percentile(xs, tt.p); got != tt.want {
			t.Errorf("percentile(1..10, %v) = %v, want %v", tt.p, got, tt.want)
		}
	}
	if got := percentile([]float64{4}, 90); got != 4 {
		t.Errorf("percentile of one value = %v, want 4", got)
	}
	for _, p := range []float64{0, -1, 101} {
		if got := percentile(xs, p); !math.IsNaN(got) {
			t.Errorf("percentile(xs, %v) = %v, want NaN", p, got)
		}
	}
	if got := percentile(nil, 90); !math.IsNaN(got) {
		t.Errorf("percentile(nil) = %v, want NaN", got)
	}
	if xs[0] != 10 {
		t.Errorf("percentile reordered its input: %v", xs)
	}
}

func TestFormatValue(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		u    unit
		want string
	}{
		{31.25, unitMs, "31.2"}, {0.04, unitMs, "0.0"}, {1234.56, unitMs, "1234.6"},
		{8472, unitKiB, "8,472"}, {1348.4, unitKiB, "1,348"}, {999, unitKiB, "999"},
		{1234567, unitKiB, "1,234,567"}, {-1000, unitKiB, "-1,000"},
		{math.NaN(), unitMs, "n/a"},
	} {
		if got := formatValue(tt.v, tt.u); got != tt.want {
			t.Errorf("formatValue(%v, %v) = %q, want %q", tt.v, tt.u, got, tt.want)
		}
	}
}

func TestMarkdownTable(t *testing.T) {
	tab := newTable([]string{"rt", "runc", "crun", "floor"})
	wall := tab.add(newFigure("run.wall", "`run` wall ms", unitMs))
	wall.vsCrun = 1.0
	rss := tab.add(newFigure("run.rss", "peak RSS KiB", unitKiB))
	rss.absKiB = 4096
	l1 := tab.add(newFigure("list.1", "`list`, 1", unitMs))
	l500 := tab.add(newFigure("list.500", "`list`, 500", unitMs))
	l500.flatOf = "list.1"
	l1.count, l500.count = 1, 500
	l1.perContainer, l500.perContainer = true, true
	r1 := tab.add(newFigure("run.1", "`run`, 1", unitMs))
	r10 := tab.add(newFigure("run.10", "`run`, 10", unitMs))
	r10.flatOf = "run.1"
	r1.count, r10.count = 1, 10
	for i := 1; i <= 10; i++ {
		x := float64(i)
		wall.add("rt", 10+x)   // median 15.5, p90 19
		wall.add("runc", 20+x) // 25.5
		wall.add("crun", 5+x)  // 10.5
		wall.add("floor", x)   // 5.5
		rss.add("rt", 4000+x)
		rss.add("crun", 3000)
		l1.add("rt", 2)
		l500.add("rt", 3)
		l1.add("crun", 1)
		l500.add("crun", 1)
		r1.add("rt", 20)
		r10.add("rt", 25)
	}
	var buf bytes.Buffer
	tab.writeMarkdown(&buf)
	got := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{
		"| median / p90 | rt | runc | crun | floor | rt/crun | runc/crun | floor/crun | target for rt |",
		"|---|---|---|---|---|---|---|---|---|",
		"| `run` wall ms | 15.5 / 19.0 | 25.5 / 29.0 | 10.5 / 14.0 | 5.5 / 9.0 | 1.48x | 2.43x | 0.52x | ≤ 1.0x crun: missed |",
		"| peak RSS KiB | 4,006 / 4,009 | — | 3,000 / 3,000 | — | 1.34x | — | — | p90 ≤ 4,096 KiB: met |",
		"| `list`, 1 | 2.0 / 2.0 | — | 1.0 / 1.0 | — | 2.00x | — | — | — |",
		"| `list`, 500 | 3.0 / 3.0 | — | 1.0 / 1.0 | — | 3.00x | — | — | +0.002 ms per container beyond 1 |",
		"| `run`, 1 | 20.0 / 20.0 | — | — | — | n/a | — | — | — |",
		"| `run`, 10 | 25.0 / 25.0 | — | — | — | n/a | — | — | 1.25x of 1 present |",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("markdown =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Without crun there are no ratio columns and no crun target can be met.
	tab2 := newTable([]string{"rt"})
	f := tab2.add(newFigure("exec.wall", "`exec` ms", unitMs))
	f.vsCrun = 1.0
	f.add("rt", 7)
	buf.Reset()
	tab2.writeMarkdown(&buf)
	if out := buf.String(); !strings.Contains(out, "| `exec` ms | 7.0 / 7.0 | ≤ 1.0x crun: n/a |") || strings.Contains(out, "/crun") {
		t.Errorf("without crun:\n%s", out)
	}

	buf.Reset()
	tab.writeDetail(&buf)
	if out := buf.String(); !strings.Contains(out, "run.wall") || !strings.Contains(out, "   10       15.5       19.0       11.0       20.0") {
		t.Errorf("detail lacks rt's run.wall spread:\n%s", out)
	}
}

func TestParseModesAndCounts(t *testing.T) {
	if m, err := parseModes("all"); err != nil || !reflect.DeepEqual(m, allModes) {
		t.Errorf("parseModes(all) = %v, %v", m, err)
	}
	if m, err := parseModes("exec,run"); err != nil || !reflect.DeepEqual(m, []string{"exec", "run"}) {
		t.Errorf("parseModes(exec,run) = %v, %v", m, err)
	}
	for _, bad := range []string{"", "runs", "run,run", "all,run"} {
		if _, err := parseModes(bad); err == nil {
			t.Errorf("parseModes(%q): no error", bad)
		}
	}
	if c, err := parseCounts("1, 10,100,500"); err != nil || !reflect.DeepEqual(c, []int{1, 10, 100, 500}) {
		t.Errorf("parseCounts = %v, %v", c, err)
	}
	for _, bad := range []string{"", "0", "10,1", "1,1", "x", "-5"} {
		if _, err := parseCounts(bad); err == nil {
			t.Errorf("parseCounts(%q): no error", bad)
		}
	}
}

func TestParseLaunch(t *testing.T) {
	s, err := parseLaunch("3414104 2687000 1348 2\n")
	want := sample{wall: 3414104, cpu: 2687000, rssKiB: 1348, orphans: 2}
	if err != nil || s != want {
		t.Errorf("parseLaunch = %+v, %v; want %+v", s, err, want)
	}
	for _, bad := range []string{"", "1 2 3", "1 2 3 x", "-1 2 3 0", "1 2 -3 0"} {
		if _, err := parseLaunch(bad); err == nil {
			t.Errorf("parseLaunch(%q): no error", bad)
		}
	}
}
