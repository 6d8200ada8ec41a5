package libcontainer

import (
	"encoding/json"
	"errors"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rt-runtime/rt/cgroups"
)

func res(js string) *specs.LinuxResources {
	var r specs.LinuxResources
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		panic(err)
	}
	return &r
}

func TestMergeResources(t *testing.T) {
	for _, tc := range []struct {
		name, cur, upd, merged, delta string
		err                           error
	}{
		{
			name:   "only the changed field is written; devices stay out of the delta",
			cur:    `{"devices":[{"allow":false,"access":"rwm"}],"memory":{"limit":1000},"pids":{"limit":5}}`,
			upd:    `{"pids":{"limit":9}}`,
			merged: `{"devices":[{"allow":false,"access":"rwm"}],"memory":{"limit":1000},"pids":{"limit":9}}`,
			delta:  `{"pids":{"limit":9}}`,
		},
		{
			name:   "zero leaves the value; absent groups are untouched",
			cur:    `{"memory":{"limit":1000},"cpu":{"shares":100}}`,
			upd:    `{"memory":{"limit":0,"reservation":0},"cpu":{"shares":0,"quota":0},"blockIO":{"weight":0}}`,
			merged: `{"memory":{"limit":1000},"cpu":{"shares":100}}`,
			delta:  `{}`,
		},
		{
			name:   "a pids limit of 0 is set (it means 1, as in runc)",
			cur:    `{"pids":{"limit":5}}`,
			upd:    `{"pids":{"limit":0}}`,
			merged: `{"pids":{"limit":0}}`,
			delta:  `{"pids":{"limit":0}}`,
		},
		{
			name:   "memory limit goes with the stored swap",
			cur:    `{"memory":{"limit":1000,"swap":4000}}`,
			upd:    `{"memory":{"limit":2000}}`,
			merged: `{"memory":{"limit":2000,"swap":4000}}`,
			delta:  `{"memory":{"limit":2000,"swap":4000}}`,
		},
		{
			name: "limit above the stored memory+swap is refused",
			cur:  `{"memory":{"limit":1000,"swap":4000}}`,
			upd:  `{"memory":{"limit":5000}}`,
			err:  errSwapBelowLimit,
		},
		{
			name:   "unlimited memory lifts the swap limit as runc does",
			cur:    `{"memory":{"limit":1000,"swap":4000}}`,
			upd:    `{"memory":{"limit":-1}}`,
			merged: `{"memory":{"limit":-1,"swap":-1}}`,
			delta:  `{"memory":{"limit":-1,"swap":-1}}`,
		},
		{
			name:   "checkBeforeUpdate travels with the limit but is not kept",
			cur:    `{}`,
			upd:    `{"memory":{"limit":1000,"checkBeforeUpdate":true}}`,
			merged: `{"memory":{"limit":1000}}`,
			delta:  `{"memory":{"limit":1000,"checkBeforeUpdate":true}}`,
		},
		{
			name:   "quota and period are written together; burst 0 and idle 0 apply",
			cur:    `{"cpu":{"quota":20000,"period":100000,"cpus":"0"}}`,
			upd:    `{"cpu":{"quota":50000,"burst":0,"idle":0}}`,
			merged: `{"cpu":{"quota":50000,"burst":0,"period":100000,"cpus":"0","idle":0}}`,
			delta:  `{"cpu":{"quota":50000,"burst":0,"period":100000,"idle":0}}`,
		},
		{
			name:   "realtime runtime and period travel together",
			cur:    `{"cpu":{"realtimePeriod":1000000}}`,
			upd:    `{"cpu":{"realtimeRuntime":950000,"mems":"0"}}`,
			merged: `{"cpu":{"realtimeRuntime":950000,"realtimePeriod":1000000,"mems":"0"}}`,
			delta:  `{"cpu":{"realtimeRuntime":950000,"realtimePeriod":1000000,"mems":"0"}}`,
		},
		{
			name:   "hugepage limits replace by page size, unified keys merge",
			cur:    `{"hugepageLimits":[{"pageSize":"2MB","limit":1},{"pageSize":"1GB","limit":2}],"unified":{"memory.high":"1000"}}`,
			upd:    `{"hugepageLimits":[{"pageSize":"2MB","limit":7}],"unified":{"pids.max":"4"}}`,
			merged: `{"hugepageLimits":[{"pageSize":"2MB","limit":7},{"pageSize":"1GB","limit":2}],"unified":{"memory.high":"1000","pids.max":"4"}}`,
			delta:  `{"hugepageLimits":[{"pageSize":"2MB","limit":7}],"unified":{"pids.max":"4"}}`,
		},
		{
			name:   "from nothing; devices in the update are ignored",
			cur:    `null`,
			upd:    `{"devices":[{"allow":true,"access":"rwm"}],"blockIO":{"weight":500},"memory":{"swappiness":0}}`,
			merged: `{"memory":{"swappiness":0},"blockIO":{"weight":500}}`,
			delta:  `{"memory":{"swappiness":0},"blockIO":{"weight":500}}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cur *specs.LinuxResources
			if tc.cur != "null" {
				cur = res(tc.cur)
			}
			before, _ := json.Marshal(cur)
			merged, delta, err := mergeResources(cur, res(tc.upd))
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("error %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m, _ := json.Marshal(merged); string(m) != tc.merged {
				t.Errorf("merged %s\n  want %s", m, tc.merged)
			}
			if d, _ := json.Marshal(delta); string(d) != tc.delta {
				t.Errorf("delta %s\n want %s", d, tc.delta)
			}
			if after, _ := json.Marshal(cur); string(after) != string(before) {
				t.Errorf("the current resources were modified: %s", after)
			}
		})
	}
}

func TestIgnoredUpdateFields(t *testing.T) {
	got := ignoredUpdateFields(res(`{"devices":[{"allow":true}],"network":{"classID":1},"blockIO":{"weight":10,"leafWeight":10},"memory":{"disableOOMKiller":true}}`))
	if len(got) != 4 {
		t.Errorf("ignored fields %q, want devices, network, blockIO, memory", got)
	}
	if got := ignoredUpdateFields(res(`{"blockIO":{"weight":10},"memory":{"limit":1}}`)); len(got) != 0 {
		t.Errorf("nothing is ignored, got %q", got)
	}
}

// fakeCgroup records every Set and fails the ones failSet says.
type fakeCgroup struct {
	cgroups.Manager
	sets    []string
	failSet func(n int) error
}

func (f *fakeCgroup) Set(r *specs.LinuxResources) error {
	b, _ := json.Marshal(r)
	f.sets = append(f.sets, string(b))
	return f.failSet(len(f.sets))
}

func TestSetResourcesRollsBack(t *testing.T) {
	errWrite := errors.New("write cpu.cfs_period_us: invalid argument")
	for _, tc := range []struct {
		name, cur, upd string
		sets           []string
	}{
		{
			name: "the old values of what was written",
			cur:  `{"memory":{"limit":2000},"cpu":{"shares":100,"quota":1000,"period":100000},"pids":{"limit":40}}`,
			upd:  `{"memory":{"limit":1000},"cpu":{"period":99999999},"pids":{"limit":50}}`,
			sets: []string{
				`{"memory":{"limit":1000},"cpu":{"quota":1000,"period":99999999},"pids":{"limit":50}}`,
				`{"memory":{"limit":2000},"cpu":{"quota":1000,"period":100000},"pids":{"limit":40}}`,
			},
		},
		{
			name: "limits the state never held go back to no limit",
			cur:  `{"cpu":{"cpus":"0"}}`,
			upd:  `{"memory":{"limit":1000,"swap":2000,"reservation":500},"cpu":{"quota":5000,"cpus":"1"},"pids":{"limit":5},"blockIO":{"weight":300}}`,
			sets: []string{
				`{"memory":{"limit":1000,"reservation":500,"swap":2000},"cpu":{"quota":5000,"cpus":"1"},"pids":{"limit":5},"blockIO":{"weight":300}}`,
				`{"memory":{"limit":-1,"swap":-1},"cpu":{"quota":-1,"cpus":"0"},"pids":{"limit":-1}}`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cg := &fakeCgroup{failSet: func(n int) error {
				if n == 1 {
					return errWrite
				}
				return nil
			}}
			c := &Container{State: &State{State: specs.State{ID: "c1"}}}
			merged, err := c.setResources(cg, res(tc.cur), res(tc.upd))
			if !errors.Is(err, errWrite) || merged != nil {
				t.Fatalf("setResources: %v, %v; want the write's error", merged, err)
			}
			if len(cg.sets) != len(tc.sets) {
				t.Fatalf("Set calls %q, want %q", cg.sets, tc.sets)
			}
			for i := range tc.sets {
				if cg.sets[i] != tc.sets[i] {
					t.Errorf("Set #%d %s\n       want %s", i, cg.sets[i], tc.sets[i])
				}
			}
		})
	}
	// A write that succeeds is not undone.
	cg := &fakeCgroup{failSet: func(int) error { return nil }}
	c := &Container{State: &State{State: specs.State{ID: "c1"}}}
	merged, err := c.setResources(cg, res(`{"pids":{"limit":4}}`), res(`{"pids":{"limit":5}}`))
	if err != nil || len(cg.sets) != 1 || *merged.Pids.Limit != 5 {
		t.Errorf("setResources: %v, %v, sets %q", merged, err, cg.sets)
	}
}
