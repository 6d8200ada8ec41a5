#!/usr/bin/env bats
# create / start / state / kill / delete / list.

load helpers
load cgroups_helpers

# A container that runs until the test creates /tmp/stop in its rootfs.
STOPPABLE='while [ ! -e /tmp/stop ]; do sleep 0.05; done; echo bye'

@test "create, start, state through created -> running -> stopped, delete" {
	make_bundle
	set_args sh -c "$STOPPABLE"
	run create_container lc1
	[ "$status" -eq 0 ]

	run rt state lc1
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg b "$BUNDLE" '.id == "lc1" and .status == "created" and .bundle == $b and .pid > 0 and (.ociVersion | length > 0)'
	pid=$(container_pid lc1)
	[ -d "/proc/$pid" ]

	run rt start lc1
	[ "$status" -eq 0 ]
	wait_for_status lc1 running
	[ "$(container_pid lc1)" -eq "$pid" ]

	touch "$BUNDLE/rootfs/tmp/stop"
	wait_for_status lc1 stopped
	grep -q bye "$BATS_TEST_TMPDIR/lc1.out"

	run rt delete lc1
	[ "$status" -eq 0 ]
	run rt state lc1
	[ "$status" -ne 0 ]
	assert_nothing_left lc1
}

@test "create --pid-file writes the init's host pid" {
	make_bundle
	set_args sleep 100
	create_container lc-pid "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pidfile"
	[ "$(cat "$BATS_TEST_TMPDIR/pidfile")" -eq "$(container_pid lc-pid)" ]
	rt delete --force lc-pid
	assert_nothing_left lc-pid
}

@test "create without --bundle uses the working directory" {
	make_bundle
	set_args sleep 100
	cd "$BUNDLE"
	rt create lc-cwd </dev/null >/dev/null 2>&1
	run rt state lc-cwd
	echo "$output" | jq -e --arg b "$BUNDLE" '.bundle == $b and .status == "created"'
	rt delete --force lc-cwd
	assert_nothing_left lc-cwd
}

@test "the process does not run before start" {
	make_bundle
	set_args sh -c 'touch /tmp/ran; sleep 100'
	create_container lc-wait
	sleep 0.3
	[ ! -e "$BUNDLE/rootfs/tmp/ran" ]
	rt start lc-wait
	wait_for_file "$BUNDLE/rootfs/tmp/ran"
	rt delete --force lc-wait
	assert_nothing_left lc-wait
}

@test "kill with no signal sends SIGTERM" {
	make_bundle
	set_args sh -c 'trap "echo TERM > /tmp/got; exit 3" TERM; touch /tmp/ready; while :; do sleep 0.05; done'
	run_detached lc-term
	wait_for_file "$BUNDLE/rootfs/tmp/ready"
	run rt kill lc-term
	[ "$status" -eq 0 ]
	wait_for_status lc-term stopped
	[ "$(cat "$BUNDLE/rootfs/tmp/got")" = TERM ]
	rt delete lc-term
	assert_nothing_left lc-term
}

kill_with() {
	local id="$1" sig="$2"
	make_bundle
	set_args sleep 100
	run_detached "$id"
	container_pid "$id" >/dev/null
	run rt kill "$id" "$sig"
	[ "$status" -eq 0 ]
	wait_for_status "$id" stopped
	rt delete "$id"
	assert_nothing_left "$id"
}

@test "kill KILL" {
	kill_with lc-kill1 KILL
}

@test "kill SIGKILL" {
	kill_with lc-kill2 SIGKILL
}

@test "kill 9" {
	kill_with lc-kill3 9
}

@test "kill of a signal the init handles: SIGUSR1" {
	make_bundle
	set_args sh -c 'trap "echo USR1 > /tmp/got" USR1; touch /tmp/ready; while [ ! -e /tmp/got ]; do sleep 0.05; done'
	run_detached lc-usr1
	wait_for_file "$BUNDLE/rootfs/tmp/ready"
	rt kill lc-usr1 USR1
	wait_for_status lc-usr1 stopped
	[ "$(cat "$BUNDLE/rootfs/tmp/got")" = USR1 ]
	rt delete lc-usr1
	assert_nothing_left lc-usr1
}

@test "kill with an unknown signal fails and leaves the container running" {
	make_bundle
	set_args sleep 100
	run_detached lc-badsig
	run rt kill lc-badsig NOSUCHSIG
	[ "$status" -ne 0 ]
	[ "$(container_status lc-badsig)" = running ]
	rt delete --force lc-badsig
	assert_nothing_left lc-badsig
}

@test "kill --all KILL ends every process of the container" {
	make_bundle
	set_args sh -c 'sleep 100 & sleep 100 & touch /tmp/ready; wait'
	run_detached lc-all
	wait_for_file "$BUNDLE/rootfs/tmp/ready"
	procs=$(cat "$(cg_dir pids)/cgroup.procs")
	[ "$(echo "$procs" | wc -w)" -ge 3 ]
	for p in $procs; do remember_pid "$p" lc-all; done
	run rt kill --all lc-all KILL
	[ "$status" -eq 0 ]
	wait_for_status lc-all stopped
	rt delete lc-all
	assert_nothing_left lc-all
}

@test "kill of a stopped container fails" {
	make_bundle
	set_args true
	run_detached lc-killstopped
	wait_for_status lc-killstopped stopped
	run rt kill lc-killstopped KILL
	[ "$status" -ne 0 ]
	rt delete lc-killstopped
	assert_nothing_left lc-killstopped
}

@test "delete of a running container without --force fails" {
	make_bundle
	set_args sleep 100
	run_detached lc-run
	run rt delete lc-run
	[ "$status" -ne 0 ]
	[ "$(container_status lc-run)" = running ]
	run rt delete --force lc-run
	[ "$status" -eq 0 ]
	assert_nothing_left lc-run
}

@test "delete --force of a created container" {
	make_bundle
	set_args sleep 100
	create_container lc-fc
	container_pid lc-fc >/dev/null
	run rt delete --force lc-fc
	[ "$status" -eq 0 ]
	assert_nothing_left lc-fc
}

@test "delete --force of a running container" {
	make_bundle
	set_args sleep 100
	run_detached lc-fr
	container_pid lc-fr >/dev/null
	run rt delete --force lc-fr
	[ "$status" -eq 0 ]
	assert_nothing_left lc-fr
}

@test "delete --force of a stopped container" {
	make_bundle
	set_args true
	run_detached lc-fs
	wait_for_status lc-fs stopped
	run rt delete --force lc-fs
	[ "$status" -eq 0 ]
	assert_nothing_left lc-fs
}

@test "delete of a created container without --force" {
	# runc deletes a created (never started) container without --force.
	make_bundle
	set_args sleep 100
	create_container lc-dc
	container_pid lc-dc >/dev/null
	run rt delete lc-dc
	[ "$status" -eq 0 ]
	assert_nothing_left lc-dc
}

@test "list: table, -q and --format json" {
	make_bundle "$BATS_TEST_TMPDIR/b1"
	set_args -b "$BATS_TEST_TMPDIR/b1" sleep 100
	make_bundle "$BATS_TEST_TMPDIR/b2"
	set_args -b "$BATS_TEST_TMPDIR/b2" sleep 100
	run_detached lc-list-a "$BATS_TEST_TMPDIR/b1"
	create_container lc-list-b "$BATS_TEST_TMPDIR/b2"

	run rt list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^ID\ +PID\ +STATUS\ +BUNDLE\ +CREATED\ +OWNER ]]
	[[ "$output" =~ lc-list-a\ +[0-9]+\ +running\ +$BATS_TEST_TMPDIR/b1 ]]
	[[ "$output" =~ lc-list-b\ +[0-9]+\ +created\ +$BATS_TEST_TMPDIR/b2 ]]

	run rt list --format table
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^ID\ +PID\ +STATUS ]]
	[ "${#lines[@]}" -eq 3 ]

	run rt list -q
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | sort | tr '\n' ' ')" = "lc-list-a lc-list-b " ]

	run rt list --format json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg b1 "$BATS_TEST_TMPDIR/b1" '
		length == 2 and
		(map(select(.id == "lc-list-a"))[0] | .status == "running" and .bundle == $b1 and .pid > 0)'
	echo "$output" | jq -e 'map(select(.id == "lc-list-b"))[0].status == "created"'

	rt delete --force lc-list-a
	rt delete --force lc-list-b
	assert_nothing_left lc-list-a "$BATS_TEST_TMPDIR/b1"
	assert_nothing_left lc-list-b "$BATS_TEST_TMPDIR/b2"
}

@test "list of an empty root" {
	run rt list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run rt list --format json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq length)" -eq 0 ]
	run rt list
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
}

@test "list --format of an unknown format fails" {
	run rt list --format yaml
	[ "$status" -ne 0 ]
}

@test "rt-only: run DIR uses DIR as the bundle and its base name as the id" {
	requires_rt
	make_bundle "$BATS_TEST_TMPDIR/mybox"
	set_args -b "$BATS_TEST_TMPDIR/mybox" sh -c 'echo in-mybox'
	cd /
	run rt run "$BATS_TEST_TMPDIR/mybox"
	[ "$status" -eq 0 ]
	[ "$output" = in-mybox ]
	assert_nothing_left mybox "$BATS_TEST_TMPDIR/mybox"

	# Detached, so the id and bundle can be read back.
	set_args -b "$BATS_TEST_TMPDIR/mybox" sleep 100
	rt run -d "$BATS_TEST_TMPDIR/mybox" </dev/null >/dev/null 2>&1
	run rt state mybox
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg b "$BATS_TEST_TMPDIR/mybox" '.id == "mybox" and .bundle == $b'
	rt delete --force mybox
	assert_nothing_left mybox "$BATS_TEST_TMPDIR/mybox"
}
