#!/usr/bin/env bats
# rt pause / rt resume: the freezer, and the status `rt state` reports.

load cgroups_helpers

# A container that counts into /tmp/count while it runs.
COUNTER='i=0; while [ ! -e /tmp/stop ]; do i=$((i+1)); echo $i >/tmp/count; sleep 0.05; done'

freezer_state() {
	if cg_v2; then
		cat "$(cg_dir freezer)/cgroup.freeze"
	else
		cat "$(cg_dir freezer)/freezer.state"
	fi
}

@test "pause freezes every process, resume thaws them; state follows" {
	make_bundle
	set_args sh -c "$COUNTER"
	run_detached pz
	wait_for_file "$BUNDLE/rootfs/tmp/count"

	rt pause pz
	[ "$(container_status pz)" == paused ]
	if cg_v2; then [ "$(freezer_state)" -eq 1 ]; else [ "$(freezer_state)" == FROZEN ]; fi
	pid=$(container_pid pz)
	[ "$(awk '/^State:/ {print $2}' "/proc/$pid/status")" != R ]
	before=$(cat "$BUNDLE/rootfs/tmp/count")
	sleep 0.5
	[ "$(cat "$BUNDLE/rootfs/tmp/count")" == "$before" ]

	rt resume pz
	[ "$(container_status pz)" == running ]
	if cg_v2; then [ "$(freezer_state)" -eq 0 ]; else [ "$(freezer_state)" == THAWED ]; fi
	# Running again: the counter moves (polled; no timing asserted).
	for i in $(seq 200); do
		[ "$(cat "$BUNDLE/rootfs/tmp/count")" -gt "$before" ] && break
		sleep 0.05
	done
	[ "$(cat "$BUNDLE/rootfs/tmp/count")" -gt "$before" ]

	rt list | grep -q 'pz .*running'
	touch "$BUNDLE/rootfs/tmp/stop"
	wait_for_status pz stopped
	rt delete pz
	assert_nothing_left pz
}

@test "pause and resume follow runc's state rules, in runc's words" {
	make_bundle
	set_args sh -c "$COUNTER"
	create_container pz-state
	run --separate-stderr rt resume pz-state
	assert_one_error_line
	[[ "$stderr" == *"container not paused"* ]]
	# As runc: a created container can be paused; it reads as paused, start
	# and delete refuse it, resume makes it created again.
	rt pause pz-state
	[ "$(container_status pz-state)" == paused ]
	run --separate-stderr rt start pz-state
	assert_one_error_line
	[[ "$stderr" == *"cannot start a container in the paused state"* ]]
	run --separate-stderr rt delete pz-state
	assert_one_error_line
	[[ "$stderr" == *"cannot delete container pz-state that is not stopped: paused"* ]]
	rt resume pz-state
	[ "$(container_status pz-state)" == created ]

	rt start pz-state
	wait_for_status pz-state running
	run --separate-stderr rt resume pz-state
	assert_one_error_line
	[[ "$stderr" == *"container not paused"* ]]
	rt pause pz-state
	run --separate-stderr rt pause pz-state
	assert_one_error_line
	[[ "$stderr" == *"container not running"* ]]
	rt resume pz-state

	touch "$BUNDLE/rootfs/tmp/stop"
	wait_for_status pz-state stopped
	run --separate-stderr rt pause pz-state
	assert_one_error_line
	[[ "$stderr" == *"container not running"* ]]
	run --separate-stderr rt resume pz-state
	assert_one_error_line
	[[ "$stderr" == *"container not paused"* ]]
	run --separate-stderr rt pause nonexistent
	assert_one_error_line
	[[ "$stderr" == *"does not exist"* ]]
	rt delete pz-state
}

@test "a paused container can be killed and deleted" {
	make_bundle
	set_args sh -c "$COUNTER"
	run_detached pz-del
	rt pause pz-del
	[ "$(container_status pz-del)" == paused ]
	pid=$(container_pid pz-del)
	rt delete --force pz-del
	run rt state pz-del
	[ "$status" -ne 0 ]
	assert_nothing_left pz-del
	assert_cgroup_gone
}

@test "kill of a paused container lands after resume" {
	make_bundle
	# pid 1 ignores signals it has no handler for: give it one.
	set_args sh -c "trap 'exit 0' TERM; $COUNTER"
	run_detached pz-kill
	wait_for_file "$BUNDLE/rootfs/tmp/count"
	rt pause pz-kill
	rt kill pz-kill TERM
	sleep 0.2
	[ "$(container_status pz-kill)" == paused ]
	rt resume pz-kill
	wait_for_status pz-kill stopped
	rt delete pz-kill
	assert_nothing_left pz-kill
}
