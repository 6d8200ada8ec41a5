#!/usr/bin/env bats
# rt update: flags and --resources change the cgroup files and the state.

load cgroups_helpers

# mem_limit, pids_max: the container's current values as the host shows them.
mem_limit() { cg_read memory memory.limit_in_bytes memory.max; }
pids_max() { cg_read pids pids.max pids.max; }

@test "update flags change memory, cpu, cpuset and pids" {
	make_bundle
	set_args sh -c "$STOPPABLE"
	update_config '.linux.resources.memory = {limit: 67108864} | .linux.resources.pids = {limit: 20} | .linux.resources.cpu = {shares: 1024}'
	run_detached up-flags
	[ "$(mem_limit)" -eq 67108864 ]

	rt update --memory 128m --memory-reservation 32M --pids-limit 42 --cpu-share 512 \
		--cpu-quota 20000 --cpu-period 100000 --cpuset-cpus 0 --cpuset-mems 0 up-flags
	[ "$(mem_limit)" -eq 134217728 ]
	[ "$(cg_read memory memory.soft_limit_in_bytes memory.low)" -eq 33554432 ]
	[ "$(pids_max)" -eq 42 ]
	if cg_v2; then
		[ "$(cat "$(cg_dir cpu)/cpu.weight")" -eq "$(cpu_weight 512)" ]
		[ "$(cat "$(cg_dir cpu)/cpu.max")" == "20000 100000" ]
	else
		[ "$(cat "$(cg_dir cpu)/cpu.shares")" -eq 512 ]
		[ "$(cat "$(cg_dir cpu)/cpu.cfs_quota_us")" -eq 20000 ]
		[ "$(cat "$(cg_dir cpu)/cpu.cfs_period_us")" -eq 100000 ]
	fi
	[ "$(cat "$(cg_dir cpuset)/cpuset.cpus")" == 0 ]

	# -1 lifts limits.
	rt update --memory -1 --pids-limit -1 --cpu-quota -1 up-flags
	[ "$(pids_max)" == max ]
	if cg_v2; then
		[ "$(mem_limit)" == max ]
		[ "$(cut -d' ' -f1 "$(cg_dir cpu)/cpu.max")" == max ]
	else
		[ "$(mem_limit)" -gt $((1 << 40)) ]
		[ "$(cat "$(cg_dir cpu)/cpu.cfs_quota_us")" -eq -1 ]
	fi
	rt state up-flags | jq -e '.status == "running"'
	rt delete --force up-flags
	assert_nothing_left up-flags
}

@test "update keeps the new resources in the state; a later update merges into them" {
	requires_rt
	make_bundle
	set_args sh -c "$STOPPABLE"
	update_config '.linux.resources.memory = {limit: 67108864}'
	run_detached up-state
	rt update --pids-limit 30 up-state
	# The memory limit from create is still there, in the file and the state.
	[ "$(mem_limit)" -eq 67108864 ]
	jq -e '.linux.resources | .memory.limit == 67108864 and .pids.limit == 30' "$RT_ROOT/up-state/spec.json"
	rt update --memory 96m up-state
	[ "$(pids_max)" -eq 30 ]
	jq -e '.linux.resources | .memory.limit == 100663296 and .pids.limit == 30' "$RT_ROOT/up-state/spec.json"
	# A pids limit of 0 means 1, as in runc 1.5 (not "unchanged").
	rt update --pids-limit 0 up-state
	[ "$(pids_max)" -eq 1 ]
	rt delete --force up-state
}

@test "update --resources from a file and from stdin" {
	make_bundle
	set_args sh -c "$STOPPABLE"
	run_detached up-json
	echo '{"memory": {"limit": 50331648}, "pids": {"limit": 17}}' >"$BATS_TEST_TMPDIR/res.json"
	rt update --resources "$BATS_TEST_TMPDIR/res.json" up-json
	[ "$(mem_limit)" -eq 50331648 ]
	[ "$(pids_max)" -eq 17 ]
	echo '{"pids": {"limit": 23}}' | rt update -r - up-json
	[ "$(pids_max)" -eq 23 ]
	[ "$(mem_limit)" -eq 50331648 ]
	rt delete --force up-json
}

@test "update memory with memory+swap, raising and lowering" {
	make_bundle
	set_args sh -c "$STOPPABLE"
	update_config '.linux.resources.memory = {limit: 33554432, swap: 67108864}'
	run_detached up-swap
	d=$(cg_dir memory)
	# Raising both above the current memory+swap needs the right write order on v1.
	rt update --memory 128m --memory-swap 256m up-swap
	[ "$(mem_limit)" -eq 134217728 ]
	if cg_v2; then
		[ ! -e "$d/memory.swap.max" ] || [ "$(cat "$d/memory.swap.max")" -eq 134217728 ]
	elif [ -e "$d/memory.memsw.limit_in_bytes" ]; then
		[ "$(cat "$d/memory.memsw.limit_in_bytes")" -eq 268435456 ]
	fi
	rt update --memory 16m --memory-swap 32m up-swap
	[ "$(mem_limit)" -eq 16777216 ]
	if ! cg_v2 && [ -e "$d/memory.memsw.limit_in_bytes" ]; then
		[ "$(cat "$d/memory.memsw.limit_in_bytes")" -eq 33554432 ]
	fi
	rt delete --force up-swap
}

@test "a lowered pids limit is enforced on the running container" {
	make_bundle
	# Each /tmp/goN starts N more background sleeps (a builtin counts them).
	set_args sh -c 'for n in 1 2; do while [ ! -e /tmp/go$n ]; do sleep 0.05; done; sh -c "for i in 1 2 3 4 5 6 7 8; do sleep 1000 & echo \$i >>/tmp/n$n; done" 2>/dev/null; : >/tmp/done$n; done; exec sleep 1000'
	update_config '.linux.resources.pids = {limit: 100}'
	run_detached up-enforce
	touch "$BUNDLE/rootfs/tmp/go1"
	wait_for_file "$BUNDLE/rootfs/tmp/done1"
	[ "$(wc -l <"$BUNDLE/rootfs/tmp/n1")" -eq 8 ]
	# 1 init + 8 sleeps now; allow 3 more.
	rt update --pids-limit 12 up-enforce
	touch "$BUNDLE/rootfs/tmp/go2"
	wait_for_file "$BUNDLE/rootfs/tmp/done2"
	n=$(wc -l <"$BUNDLE/rootfs/tmp/n2")
	echo "forked $n more" >&2
	[ "$n" -lt 8 ]
	[ "$(cg_read pids pids.current pids.current)" -le 12 ]
	rt delete --force up-enforce
}

@test "update refuses a stopped container, bad sizes and Intel RDT" {
	requires_rt
	make_bundle
	set_args true
	run_detached up-stopped
	wait_for_status up-stopped stopped
	run --separate-stderr rt update --memory 64m up-stopped
	assert_one_error_line
	[[ "$stderr" == *"container not running"* ]]
	rt delete up-stopped

	make_bundle "$BATS_TEST_TMPDIR/b2"
	set_args -b "$BATS_TEST_TMPDIR/b2" sh -c "$STOPPABLE"
	run_detached up-bad "$BATS_TEST_TMPDIR/b2"
	run --separate-stderr rt update --memory lots up-bad
	assert_one_error_line
	[[ "$stderr" == *--memory* ]]
	run --separate-stderr rt update --l3-cache-schema 'L3:0=f' up-bad
	assert_one_error_line
	[[ "$stderr" == *"not supported"* ]]
	run --separate-stderr rt update --mem-bw-schema 'MB:0=70' up-bad
	assert_one_error_line
	[[ "$stderr" == *"not supported"* ]]
	run --separate-stderr rt update --memory 64m nonexistent
	assert_one_error_line
	[[ "$stderr" == *"does not exist"* ]]
	rt delete --force up-bad
}

@test "a failed cgroup write sets back what the update had written; the state keeps the old values" {
	# runc 1.5.3 means to roll back but writes the new values again: the
	# memory limit stays at the new value there (docs/ARCHITECTURE.md).
	requires_rt
	make_bundle
	set_args sh -c "$STOPPABLE"
	update_config '.linux.resources.memory = {limit: 209715200} | .linux.resources.pids = {limit: 40}'
	run_detached up-undo
	# memory and pids are written before cpu, whose period (at most 1 s) fails.
	run --separate-stderr rt update --memory 100M --pids-limit 50 --cpu-period 99999999 --cpu-quota 1000 up-undo
	assert_one_error_line
	[[ "$stderr" == *cpu* ]]
	[ "$(mem_limit)" -eq 209715200 ]
	[ "$(pids_max)" -eq 40 ]
	jq -e '.linux.resources | .memory.limit == 209715200 and .pids.limit == 40 and .cpu == null' "$RT_ROOT/up-undo/spec.json"
	rt delete --force up-undo
	assert_nothing_left up-undo
}
