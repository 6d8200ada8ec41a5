package main

import (
	"encoding/json"
	"os"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// libcontainer's plan tests compile `rt spec`'s config from a copy
// (libcontainer/testdata/plan/rt-spec.json, a hybrid host's: no cgroup
// namespace); the copy must stay what rt spec writes, or the test that the
// default config runs on the plan path would test an old config.
func TestPlanTestdataIsRtSpec(t *testing.T) {
	b, err := os.ReadFile("libcontainer/testdata/plan/rt-spec.json")
	if err != nil {
		t.Fatal(err)
	}
	var copied specs.Spec
	if err := json.Unmarshal(b, &copied); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(defaultSpec(false))
	got, _ := json.Marshal(&copied)
	if string(got) != string(want) {
		t.Errorf("libcontainer/testdata/plan/rt-spec.json is not rt spec's config:\n%s\nwant\n%s", got, want)
	}
}
