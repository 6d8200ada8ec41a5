package signals

import "testing"

func TestParseSignal(t *testing.T) {
	for in, want := range map[string]int{"KILL": 9, "SIGKILL": 9, "sigterm": 15, "9": 9, "0": 0, "300": 300, "HUP": 1, "SIGRTMIN": 34, "RTMIN+2": 36, "SIGRTMAX-1": 63} {
		got, err := ParseSignal(in)
		if err != nil || int(got) != want {
			t.Errorf("ParseSignal(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "SIGFOO", "RTMIN+40", "RTMAX+1"} {
		if _, err := ParseSignal(in); err == nil {
			t.Errorf("ParseSignal(%q): want error", in)
		}
	}
}
