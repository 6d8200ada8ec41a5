package main

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rt-runtime/rt/libcontainer"
)

func TestPauseResumeAllowed(t *testing.T) {
	for _, tc := range []struct {
		status       specs.ContainerState
		pause, resum string // "" allowed, else a word of the error
	}{
		{specs.StateRunning, "", "not paused"},
		{libcontainer.StatusPaused, "already paused", ""},
		{specs.StateCreated, "not running", "not paused"},
		{specs.StateStopped, "not running", "not paused"},
	} {
		check := func(op string, err error, want string) {
			if want == "" && err != nil {
				t.Errorf("%s of a %s container: %v", op, tc.status, err)
			}
			if want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
				t.Errorf("%s of a %s container: error %v, want %q", op, tc.status, err, want)
			}
		}
		check("pause", pauseAllowed("c", tc.status), tc.pause)
		check("resume", resumeAllowed("c", tc.status), tc.resum)
	}
}
