package main

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
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
	want := spread{med: 3.5, min: 1, max: 10}
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

func TestSummarize(t *testing.T) {
	s := summarize("crun", []sample{
		{wall: 10 * time.Millisecond, cpu: 4 * time.Millisecond, rssKiB: 2048},
		{wall: 30 * time.Millisecond, cpu: 2 * time.Millisecond, rssKiB: 3072, orphans: 1},
		{wall: 20 * time.Millisecond, cpu: 6 * time.Millisecond, rssKiB: 1024},
	})
	if s.runs != 3 || s.orphans != 1 {
		t.Errorf("runs, orphans = %d, %d; want 3, 1", s.runs, s.orphans)
	}
	if want := (spread{20, 10, 30}); s.wallMs != want {
		t.Errorf("wall = %+v, want %+v", s.wallMs, want)
	}
	if want := (spread{4, 2, 6}); s.cpuMs != want {
		t.Errorf("cpu = %+v, want %+v", s.cpuMs, want)
	}
	if want := (spread{2, 1, 3}); s.rssMiB != want {
		t.Errorf("rss = %+v, want %+v", s.rssMiB, want)
	}
}

func TestPrintReportTargets(t *testing.T) {
	mk := func(name string, wall, cpu, rss float64) summary {
		return summary{name: name, runs: 1, wallMs: spread{wall, wall, wall},
			cpuMs: spread{cpu, cpu, cpu}, rssMiB: spread{rss, rss, rss}}
	}
	var buf bytes.Buffer
	printReport(&buf, "hdr", []summary{mk("rt", 9, 4, 9), mk("runc", 20, 10, 12), mk("crun", 10, 3, 2)})
	out := buf.String()
	for _, want := range []string{
		"rt/crun    wall 0.90x   CPU 1.33x",
		"rt/runc    wall 0.45x   CPU 0.40x",
		"runc/crun  wall 2.00x   CPU 3.33x",
		"wall rt <= 1.0x crun  0.90x   met",
		"CPU  rt <= 1.0x crun  1.33x   missed",
		"wall rt <= 0.5x runc  0.45x   met",
		"CPU  rt <= 0.5x runc  0.40x   met",
		"peak RSS <= 8 MiB     9.00    missed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}

	buf.Reset()
	printReport(&buf, "hdr", []summary{mk("runc", 20, 10, 12), mk("crun", 10, 3, 2)})
	if out := buf.String(); strings.Contains(out, "targets") || !strings.Contains(out, "runc/crun") {
		t.Errorf("without rt: want runc/crun ratio and no targets:\n%s", out)
	}
}
