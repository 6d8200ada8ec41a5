package seccomp

import (
	"encoding/json"
	"os"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// dockerDefault is testdata/docker-default.json: Docker's default profile
// (moby profiles/seccomp/default.json) as dockerd hands it to the runtime
// for a root container with Docker's default capabilities on amd64.
func dockerDefault(tb testing.TB) *specs.LinuxSeccomp {
	tb.Helper()
	b, err := os.ReadFile("testdata/docker-default.json")
	if err != nil {
		tb.Fatal(err)
	}
	var p specs.LinuxSeccomp
	if err := json.Unmarshal(b, &p); err != nil {
		tb.Fatal(err)
	}
	return &p
}

// BenchmarkProgramDockerDefault is what the parent pays per create and
// per exec to compile Docker's default profile for the plan.
func BenchmarkProgramDockerDefault(b *testing.B) {
	p := dockerDefault(b)
	for b.Loop() {
		if _, _, _, err := Program(p); err != nil {
			b.Fatal(err)
		}
	}
}
