#!/usr/bin/env bats
# `ps`: the processes of a container's cgroup, as a filtered ps(1) table
# or a JSON array of host pids.

load helpers

# start_sleepers ID: a running container with three processes: sh (the
# init) and two sleeps; returns once all three exist.
start_sleepers() {
	make_bundle
	set_args sh -c 'sleep 101 & sleep 102 & touch /tmp/ready; wait'
	run_detached "$1"
	wait_for_file "$BUNDLE/rootfs/tmp/ready"
	INIT_PID=$(container_pid "$1")
}

# cgroup_pids: the pids the container's cgroup holds (pids controller),
# sorted, one a line.
cgroup_pids() {
	sort -n "/sys/fs/cgroup/pids$(config_cgroup)/cgroup.procs"
}

@test "ps --format json: the host pids of every process in the container" {
	start_sleepers ps-json
	run rt ps --format json ps-json
	[ "$status" -eq 0 ]
	[ "$(jq -r 'type' <<<"$output")" = array ]
	[ "$(jq length <<<"$output")" -eq 3 ]
	[ "$(jq -r '.[]' <<<"$output" | sort -n)" = "$(cgroup_pids)" ]
	jq -e --argjson p "$INIT_PID" 'index($p) != null' <<<"$output"
	rt delete --force ps-json
	assert_nothing_left ps-json
}

@test "ps -f json, short flag" {
	start_sleepers ps-jshort
	run rt ps -f json ps-jshort
	[ "$status" -eq 0 ]
	[ "$(jq length <<<"$output")" -eq 3 ]
	rt delete --force ps-jshort
	assert_nothing_left ps-jshort
}

@test "ps: the default table is ps -ef, header and the container's rows only" {
	start_sleepers ps-table
	# A process of the host with the same command line must not show up.
	sleep 101 3>&- &
	hostpid=$!
	remember_pid "$hostpid" host-sleep
	run rt ps ps-table
	kill "$hostpid"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == UID*PID*PPID*CMD ]]
	[ "${#lines[@]}" -eq 4 ]
	# Column 2 of ps -ef is the pid: exactly the cgroup's.
	[ "$(printf '%s\n' "${lines[@]:1}" | awk '{print $2}' | sort -n)" = "$(cgroup_pids)" ]
	[[ "$output" == *"sleep 101"* ]]
	[[ "$output" == *"sleep 102"* ]]
	[[ "$output" != *" $hostpid "* ]]
	rt delete --force ps-table
	assert_nothing_left ps-table
}

@test "ps: options after the id go to ps(1), the PID column is found wherever it is" {
	start_sleepers ps-opts
	run rt ps ps-opts -o comm,pid
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *COMMAND*PID* ]]
	[ "${#lines[@]}" -eq 4 ]
	[ "$(printf '%s\n' "${lines[@]:1}" | awk '{print $2}' | sort -n)" = "$(cgroup_pids)" ]
	[ "$(printf '%s\n' "${lines[@]:1}" | awk '{print $1}' | sort | tr '\n' ' ')" = "sh sleep sleep " ]
	rt delete --force ps-opts
	assert_nothing_left ps-opts
}

@test "rt-only: ps options may follow a --" {
	# runc 1.1 hands the -- on to ps(1), which rejects it.
	requires_rt
	start_sleepers ps-dashes
	run rt ps ps-dashes -- -o pid,comm
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID*COMMAND* ]]
	[ "$(printf '%s\n' "${lines[@]:1}" | awk '{print $1}' | sort -n)" = "$(cgroup_pids)" ]
	rt delete --force ps-dashes
	assert_nothing_left ps-dashes
}

@test "ps: ps options that print no PID column fail" {
	start_sleepers ps-nopid
	run --separate-stderr rt ps ps-nopid -o comm
	assert_one_error_line
	[[ "$stderr" == *PID* ]]
	rt delete --force ps-nopid
	assert_nothing_left ps-nopid
}

@test "ps of a created container lists its waiting init" {
	make_bundle
	set_args true
	create_container ps-created
	pid=$(container_pid ps-created)
	run rt ps --format json ps-created
	[ "$status" -eq 0 ]
	[ "$output" = "[$pid]" ]
	rt delete --force ps-created
	assert_nothing_left ps-created
}

@test "ps of a container that does not exist fails" {
	run --separate-stderr rt ps no-such-ctr
	assert_one_error_line
	[[ "$stderr" == *"container does not exist"* ]]
}

@test "rt-only: ps with an unknown --format fails" {
	requires_rt
	start_sleepers ps-badfmt
	run --separate-stderr rt ps --format yaml ps-badfmt
	assert_one_error_line
	[[ "$stderr" == *yaml* ]]
	rt delete --force ps-badfmt
	assert_nothing_left ps-badfmt
}

@test "ps: processes the container forks later are listed too" {
	make_bundle
	mkfifo "$BUNDLE/rootfs/tmp/go"
	set_args sh -c 'sleep 101 & touch /tmp/ready; read x </tmp/go; sleep 103 & touch /tmp/forked; wait'
	run_detached ps-later
	wait_for_file "$BUNDLE/rootfs/tmp/ready"
	container_pid ps-later >/dev/null
	[ "$(rt ps --format json ps-later | jq length)" -eq 2 ]
	echo go >"$BUNDLE/rootfs/tmp/go"
	wait_for_file "$BUNDLE/rootfs/tmp/forked"
	run rt ps --format json ps-later
	[ "$(jq length <<<"$output")" -eq 3 ]
	[ "$(jq -r '.[]' <<<"$output" | sort -n)" = "$(cgroup_pids)" ]
	rt delete --force ps-later
	assert_nothing_left ps-later
}
