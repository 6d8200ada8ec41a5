package main

import (
	"strings"
	"testing"
)

func TestFilterPsTable(t *testing.T) {
	const ef = `UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 10:00 ?        00:00:01 /sbin/init
root         100       1  0 10:01 ?        00:00:00 sleep 100
root        1000     100  0 10:01 ?        00:00:00 sh -c sleep 1; echo 100
root       10000       1  0 10:02 pts/0    00:00:00 ps -ef
`
	tests := []struct {
		name    string
		out     string
		pids    []int
		want    []string // data rows' PID fields, in order
		wantErr string
	}{
		{name: "ef keeps only the pids", out: ef, pids: []int{100, 1000}, want: []string{"100", "1000"}},
		{name: "pid not a prefix match", out: ef, pids: []int{10}, want: nil},
		{name: "no pids: header only", out: ef, pids: nil, want: nil},
		{name: "pid column first", out: "  PID CMD\n  7 sh\n  8 top\n", pids: []int{8}, want: []string{"8"}},
		{name: "pid column last", out: "CMD PID\nsh 7\n", pids: []int{7}, want: []string{"7"}},
		{name: "PPID is not PID", out: "PPID CMD\n1 sh\n", pids: []int{1}, wantErr: "no PID column"},
		{name: "bad pid", out: "PID CMD\nx sh\n", pids: []int{1}, wantErr: "PID column"},
		{name: "empty", out: "", pids: []int{1}, wantErr: "empty output"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := filterPsTable([]byte(tt.out), tt.pids)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("filterPsTable: %v", err)
			}
			lines := strings.Split(strings.TrimRight(string(got), "\n"), "\n")
			header := strings.SplitN(tt.out, "\n", 2)[0]
			if lines[0] != header {
				t.Errorf("header %q, want %q", lines[0], header)
			}
			col := 0
			for i, f := range strings.Fields(header) {
				if f == "PID" {
					col = i
				}
			}
			var rows []string
			for _, l := range lines[1:] {
				rows = append(rows, strings.Fields(l)[col])
			}
			if strings.Join(rows, ",") != strings.Join(tt.want, ",") {
				t.Errorf("rows with pids %v, want %v", rows, tt.want)
			}
		})
	}
}
