#!/usr/bin/env bats
# rt events: --stats (one sample), the stream of stats, OOM events.

load cgroups_helpers

@test "events --stats prints one sample in runc's layout" {
	make_bundle
	set_args sh -c 'while [ ! -e /tmp/stop ]; do i=0; while [ $i -lt 200 ]; do i=$((i+1)); done; sleep 0.05; done'
	update_config '.linux.resources.memory = {limit: 67108864} | .linux.resources.pids = {limit: 50}'
	run_detached ev-stats
	sleep 0.3
	run --separate-stderr rt events --stats ev-stats
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	echo "$output" | jq -e '.type == "stats" and .id == "ev-stats"'
	echo "$output" | jq -e '.data.cpu.usage.total > 0 and (.data.cpu.usage | has("kernel") and has("user"))'
	echo "$output" | jq -e '.data.memory.usage.usage > 0 and .data.memory.usage.limit == 67108864 and (.data.memory.raw | length > 0)'
	echo "$output" | jq -e '.data.pids.current >= 1 and .data.pids.limit == 50'
	echo "$output" | jq -e '(.data | has("blkio") and has("hugetlb")) and (.data.memory.usage | has("failcnt"))'
	rt delete --force ev-stats
	assert_nothing_left ev-stats
}

@test "events streams stats every interval, goes on after the container stops, ends when it is deleted" {
	make_bundle
	set_args sh -c "$STOPPABLE"
	run_detached ev-stream
	rt events --interval 200ms ev-stream >"$BATS_TEST_TMPDIR/events.out" 2>"$BATS_TEST_TMPDIR/events.err" &
	evpid=$!
	remember_pid "$evpid"
	# Samples keep coming, one per interval: wait for three (bounded, no timing asserted).
	count() { jq -s '[.[] | select(.type == "stats" and .id == "ev-stream" and .data.pids.current >= 1)] | length' "$BATS_TEST_TMPDIR/events.out"; }
	for i in $(seq 400); do
		[ "$(count)" -ge 3 ] && break
		sleep 0.05
	done
	[ "$(count)" -ge 3 ]
	touch "$BUNDLE/rootfs/tmp/stop"
	wait_for_status ev-stream stopped
	# A stopped container still exists: its cgroup keeps reporting (runc's).
	n=$(count)
	for i in $(seq 400); do
		[ "$(jq -s 'length' "$BATS_TEST_TMPDIR/events.out")" -ge $((n + 2)) ] && break
		sleep 0.05
	done
	[ "$(jq -s 'length' "$BATS_TEST_TMPDIR/events.out")" -ge $((n + 2)) ]
	kill -0 "$evpid"
	# events exits on its own once the container is deleted.
	rt delete ev-stream
	for i in $(seq 400); do
		kill -0 "$evpid" 2>/dev/null || break
		sleep 0.05
	done
	run kill -0 "$evpid"
	[ "$status" -ne 0 ]
	wait "$evpid"
}

@test "an OOM kill shows as an oom event" {
	make_bundle
	update_config '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
	set_args sh -c 'while [ ! -e /tmp/go ]; do sleep 0.05; done; dd if=/dev/zero of=/dev/null bs=64M count=1; echo "dd=$?" >/tmp/dd; '"$STOPPABLE"
	run_detached ev-oom
	rt events --interval 100ms ev-oom >"$BATS_TEST_TMPDIR/events.out" 2>"$BATS_TEST_TMPDIR/events.err" &
	evpid=$!
	remember_pid "$evpid"
	# The first stats line says the OOM watch is set up (slow under TCG).
	for i in $(seq 200); do
		grep -q '"type":"stats"' "$BATS_TEST_TMPDIR/events.out" && break
		sleep 0.05
	done
	touch "$BUNDLE/rootfs/tmp/go"
	wait_for_file "$BUNDLE/rootfs/tmp/dd"
	[ "$(cat "$BUNDLE/rootfs/tmp/dd")" == dd=137 ]
	for i in $(seq 40); do
		grep -q '"oom"' "$BATS_TEST_TMPDIR/events.out" && break
		sleep 0.05
	done
	cat "$BATS_TEST_TMPDIR/events.out" "$BATS_TEST_TMPDIR/events.err" >&2
	jq -e -s 'map(select(.type == "oom")) | length >= 1 and all(.id == "ev-oom" and (has("data") | not))' "$BATS_TEST_TMPDIR/events.out"
	touch "$BUNDLE/rootfs/tmp/stop"
	wait_for_status ev-oom stopped
	rt delete ev-oom
	wait "$evpid"
}

@test "an OOM kill of the init is reported before events ends" {
	make_bundle
	update_config '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
	set_args sh -c 'while [ ! -e /tmp/go ]; do sleep 0.05; done; exec dd if=/dev/zero of=/dev/null bs=64M count=1'
	run_detached ev-oom-init
	rt events --interval 100ms ev-oom-init >"$BATS_TEST_TMPDIR/events.out" 2>"$BATS_TEST_TMPDIR/events.err" &
	evpid=$!
	remember_pid "$evpid"
	# The first stats line says the OOM watch is set up (slow under TCG).
	for i in $(seq 200); do
		grep -q '"type":"stats"' "$BATS_TEST_TMPDIR/events.out" && break
		sleep 0.05
	done
	touch "$BUNDLE/rootfs/tmp/go"
	wait_for_status ev-oom-init stopped
	rt delete ev-oom-init
	st=0
	wait "$evpid" || st=$?
	cat "$BATS_TEST_TMPDIR/events.out" "$BATS_TEST_TMPDIR/events.err" >&2
	[ "$st" -eq 0 ]
	grep -q '{"type":"oom","id":"ev-oom-init"}' "$BATS_TEST_TMPDIR/events.out"
}

@test "events refuses a stopped or unknown container and a bad interval" {
	requires_rt
	make_bundle
	set_args true
	run_detached ev-stopped
	wait_for_status ev-stopped stopped
	run --separate-stderr rt events --stats ev-stopped
	assert_one_error_line
	[[ "$stderr" == *"not running"* ]]
	run --separate-stderr rt events ev-stopped
	assert_one_error_line
	run --separate-stderr rt events --stats nonexistent
	assert_one_error_line
	run --separate-stderr rt events --interval 0s ev-stopped
	assert_one_error_line
	[[ "$stderr" == *interval* ]]
	rt delete ev-stopped
}
