package libcontainer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rt-runtime/rt/cgroups"
)

// BenchmarkList500 is List over 500 state dirs whose init is this (live)
// process, with a v1 host's cgroup paths (not there: not paused): the
// reads and decoding `rt list` does per container.
func BenchmarkList500(b *testing.B) {
	root := b.TempDir()
	start, _, err := processStartTime(os.Getpid())
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 500; i++ {
		id := fmt.Sprintf("c%d", i)
		paths := cgroups.Paths{V2: "/sys/fs/cgroup/unified/" + id, V1: map[string]string{}}
		for _, c := range []string{"blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids"} {
			paths.V1[c] = filepath.Join(root, "cg", c, id)
		}
		s := State{State: specs.State{Version: specs.Version, ID: id, Pid: os.Getpid(), Bundle: "/b"},
			InitStart: start, Rootfs: "/b/rootfs", Owner: "root", CgroupPaths: paths}
		buf, err := json.Marshal(&s)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.Mkdir(filepath.Join(root, id), 0o711); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, id, stateFile), buf, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		states, err := List(root)
		if err != nil || len(states) != 500 || states[0].Status != specs.StateRunning {
			b.Fatalf("List: %d states, %v", len(states), err)
		}
	}
}
