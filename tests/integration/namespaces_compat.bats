#!/usr/bin/env bats
# Joining namespaces as runc 1.5 does: another container's (time included),
# and a user namespace made by another user.

load helpers

@test "namespaces: a container joins another's namespaces, its time namespace included" {
	[[ -e /proc/self/ns/time ]] || skip "no time namespaces"
	make_bundle
	set_args sleep 100
	update_config '.hostname = "ns-a" | .linux.namespaces += [{type: "time"}] | .linux.timeOffsets = {monotonic: {secs: 1000, nanosecs: 0}}'
	run_detached ns-a
	local pa ns
	pa=$(container_pid ns-a)
	ns="/proc/$pa/ns"
	make_bundle "$BATS_TEST_TMPDIR/b"
	set_args -b "$BATS_TEST_TMPDIR/b" sh -c 'hostname; cat /proc/self/timens_offsets'
	update_config -b "$BATS_TEST_TMPDIR/b" 'del(.hostname) | .linux.namespaces = [
		{type: "pid", path: ($ns + "/pid")}, {type: "ipc", path: ($ns + "/ipc")},
		{type: "uts", path: ($ns + "/uts")}, {type: "network", path: ($ns + "/net")},
		{type: "time", path: ($ns + "/time")}, {type: "mount"}]' --arg ns "$ns"
	run rt run --bundle "$BATS_TEST_TMPDIR/b" ns-b
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = ns-a ]
	[[ "$output" == *"monotonic"*"1000"*"0"* ]]
	# Offsets for a joined time namespace are refused: it has its own.
	update_config -b "$BATS_TEST_TMPDIR/b" '.linux.timeOffsets = {monotonic: {secs: 5, nanosecs: 0}}'
	run --separate-stderr rt run --bundle "$BATS_TEST_TMPDIR/b" ns-b
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"time namespace enabled, but both namespace path and time offsets specified -- you may only provide one"* ]]
	assert_nothing_left ns-b "$BATS_TEST_TMPDIR/b"
	[ "$(awk '$1 == "monotonic" {print $2}' "/proc/$pa/timens_offsets")" = 1000 ]
	rt delete --force ns-a
	assert_nothing_left ns-a
}

@test "namespaces: joining a user namespace another user made: its mappings rule, runc's errors" {
	make_bundle
	set_args id
	setpriv --reuid 65534 --regid 65534 --clear-groups unshare -U sleep 100 3>&- &
	local up=$! i
	for i in $(seq 100); do
		[[ "$(readlink "/proc/$up/ns/user")" != "$(readlink /proc/self/ns/user)" ]] && break
		sleep 0.05
	done
	remember_pid "$up" userns-owner
	add_namespace user "/proc/$up/ns/user"
	# Nobody wrote its maps yet.
	update_config 'del(.linux.uidMappings, .linux.gidMappings)'
	run --separate-stderr rt run --bundle "$BUNDLE" ns-user
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"user namespaces enabled, but no uid mappings found"* ]]
	assert_nothing_left ns-user
	echo "0 65534 1" >"/proc/$up/uid_map"
	echo deny >"/proc/$up/setgroups"
	echo "0 65534 1" >"/proc/$up/gid_map"
	update_config '.linux.uidMappings = [{containerID: 0, hostID: 1000, size: 1}] | .linux.gidMappings = [{containerID: 0, hostID: 1000, size: 1}]'
	run --separate-stderr rt run --bundle "$BUNDLE" ns-user
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"user namespaces enabled, but both namespace path and non-matching mapping specified -- you may only provide one"* ]]
	assert_nothing_left ns-user
	kill "$up"
}
