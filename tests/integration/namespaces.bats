#!/usr/bin/env bats
# linux.namespaces: new ones of every type, and joining existing ones by path.

load helpers

teardown() {
	if [[ -s "$BATS_TEST_TMPDIR/msqid" ]]; then
		ipcrm -q "$(cat "$BATS_TEST_TMPDIR/msqid")" 2>/dev/null
	fi
	common_teardown
}

@test "pid namespace: the workload is pid 1 and sees only its own processes" {
	make_bundle
	set_args sh -c 'echo $$; ps -o pid | tail -n +2 | wc -l'
	run rt run --bundle "$BUNDLE" ns-pid
	[ "$status" -eq 0 ]
	[ "${lines[0]}" -eq 1 ]
	# sh, ps (and maybe the pipeline's tail/wc), never the host's processes.
	[ "${lines[1]}" -le 4 ]
	assert_nothing_left ns-pid
}

@test "without a pid namespace the host's pid namespace is shared" {
	make_bundle
	remove_namespace pid
	set_args readlink /proc/self/ns/pid
	run rt run --bundle "$BUNDLE" ns-nopid
	[ "$status" -eq 0 ]
	[ "$output" = "$(readlink /proc/self/ns/pid)" ]
	assert_nothing_left ns-nopid
}

@test "mount namespace: a new one" {
	make_bundle
	set_args readlink /proc/self/ns/mnt
	run rt run --bundle "$BUNDLE" ns-mnt
	[ "$status" -eq 0 ]
	[[ "$output" == mnt:* ]]
	[ "$output" != "$(readlink /proc/self/ns/mnt)" ]
	assert_nothing_left ns-mnt
}

@test "uts namespace: hostname from the config, host's unchanged" {
	make_bundle
	update_config '.hostname = "ns-uts-box"'
	set_args sh -c 'hostname; readlink /proc/self/ns/uts'
	run rt run --bundle "$BUNDLE" ns-uts
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = ns-uts-box ]
	[ "${lines[1]}" != "$(readlink /proc/self/ns/uts)" ]
	[ "$(hostname)" != ns-uts-box ]
	assert_nothing_left ns-uts
}

@test "ipc namespace: a new one, host SysV objects are not visible" {
	make_bundle
	# A host message queue this test owns; removed by id even if the test fails.
	msqid=$(ipcmk -Q | awk '{print $NF}')
	echo "$msqid" >"$BATS_TEST_TMPDIR/msqid"
	grep -qw "$msqid" /proc/sysvipc/msg
	set_args sh -c 'readlink /proc/self/ns/ipc; tail -n +2 /proc/sysvipc/msg | wc -l'
	run rt run --bundle "$BUNDLE" ns-ipc
	ipcrm -q "$msqid"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" != "$(readlink /proc/self/ns/ipc)" ]
	[ "${lines[1]}" -eq 0 ]
	assert_nothing_left ns-ipc
}

@test "network namespace: only lo, and lo is up" {
	make_bundle
	set_args sh -c 'readlink /proc/self/ns/net; ls /sys/class/net; ip -o link show'
	run rt run --bundle "$BUNDLE" ns-net
	[ "$status" -eq 0 ]
	[ "${lines[0]}" != "$(readlink /proc/self/ns/net)" ]
	[ "${lines[1]}" = lo ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[2]}" == *"lo: <"*UP*">"* ]]
	assert_nothing_left ns-net
}

@test "network namespace: lo answers ping" {
	make_bundle
	update_config '.process.capabilities.bounding += ["CAP_NET_RAW"] | .process.capabilities.effective += ["CAP_NET_RAW"] | .process.capabilities.permitted += ["CAP_NET_RAW"]'
	set_args ping -c 1 -W 1 127.0.0.1
	run rt run --bundle "$BUNDLE" ns-ping
	[ "$status" -eq 0 ]
	assert_nothing_left ns-ping
}

@test "cgroup namespace: /proc/self/cgroup shows /" {
	make_bundle
	add_namespace cgroup
	set_args cat /proc/self/cgroup
	run rt run --bundle "$BUNDLE" ns-cgroup
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -gt 0 ]
	for l in "${lines[@]}"; do
		[[ "$l" == *:/ ]]
	done
	assert_nothing_left ns-cgroup
}

@test "without a cgroup namespace /proc/self/cgroup shows the cgroupsPath" {
	make_bundle
	remove_namespace cgroup
	set_args cat /proc/self/cgroup
	run rt run --bundle "$BUNDLE" ns-nocgroup
	[ "$status" -eq 0 ]
	[[ "$output" == *":memory:$(config_cgroup)"* ]]
	assert_nothing_left ns-nocgroup
}

@test "user namespace with uid/gid mappings" {
	make_bundle
	# The mapped root (host uid 100000) must be able to reach the rootfs.
	chmod o+x "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/test" "$BATS_TEST_TMPDIR"
	add_namespace user
	update_config '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 200000, size: 65536}]'
	set_args sh -c 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; readlink /proc/self/ns/user'
	run rt run --bundle "$BUNDLE" ns-user
	[ "$status" -eq 0 ]
	read -r -a u <<<"${lines[0]}"
	read -r -a g <<<"${lines[1]}"
	[ "${u[*]}" = "0 100000 65536" ]
	[ "${g[*]}" = "0 200000 65536" ]
	[ "${lines[2]}" -eq 0 ]
	[ "${lines[3]}" -eq 0 ]
	[ "${lines[4]}" != "$(readlink /proc/self/ns/user)" ]
	assert_nothing_left ns-user
}

@test "user namespace: the workload runs as the mapped host uid" {
	make_bundle
	chmod o+x "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/test" "$BATS_TEST_TMPDIR"
	add_namespace user
	update_config '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	set_args sleep 100
	run_detached ns-user2
	pid=$(container_pid ns-user2)
	[ "$(awk '/^Uid:/ {print $2}' /proc/$pid/status)" -eq 100000 ]
	[ "$(awk '/^Gid:/ {print $2}' /proc/$pid/status)" -eq 100000 ]
	rt delete --force ns-user2
	assert_nothing_left ns-user2
}

@test "user namespace without mappings fails" {
	make_bundle
	add_namespace user
	update_config 'del(.linux.uidMappings) | del(.linux.gidMappings)'
	set_args true
	run rt run --bundle "$BUNDLE" ns-user-nomap
	[ "$status" -ne 0 ]
	assert_nothing_left ns-user-nomap
}

@test "joining the network and uts namespaces of another container by path" {
	make_bundle "$BATS_TEST_TMPDIR/a"
	update_config -b "$BATS_TEST_TMPDIR/a" '.hostname = "ns-owner"'
	set_args -b "$BATS_TEST_TMPDIR/a" sleep 100
	run_detached ns-a "$BATS_TEST_TMPDIR/a"
	apid=$(container_pid ns-a)

	make_bundle "$BATS_TEST_TMPDIR/b"
	update_config -b "$BATS_TEST_TMPDIR/b" 'del(.hostname)'
	add_namespace -b "$BATS_TEST_TMPDIR/b" network "/proc/$apid/ns/net"
	add_namespace -b "$BATS_TEST_TMPDIR/b" uts "/proc/$apid/ns/uts"
	set_args -b "$BATS_TEST_TMPDIR/b" sh -c 'hostname; readlink /proc/self/ns/net; readlink /proc/self/ns/uts'
	run rt run --bundle "$BATS_TEST_TMPDIR/b" ns-b
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = ns-owner ]
	[ "${lines[1]}" = "$(readlink /proc/$apid/ns/net)" ]
	[ "${lines[2]}" = "$(readlink /proc/$apid/ns/uts)" ]
	[ "${lines[1]}" != "$(readlink /proc/self/ns/net)" ]
	assert_nothing_left ns-b "$BATS_TEST_TMPDIR/b"

	# The joined namespaces' owner is untouched.
	[ "$(container_status ns-a)" = running ]
	rt delete --force ns-a
	assert_nothing_left ns-a "$BATS_TEST_TMPDIR/a"
}

@test "joining the pid and ipc namespaces of another container by path" {
	make_bundle "$BATS_TEST_TMPDIR/a"
	set_args -b "$BATS_TEST_TMPDIR/a" sleep 100
	run_detached ns-pa "$BATS_TEST_TMPDIR/a"
	apid=$(container_pid ns-pa)

	make_bundle "$BATS_TEST_TMPDIR/b"
	add_namespace -b "$BATS_TEST_TMPDIR/b" pid "/proc/$apid/ns/pid"
	add_namespace -b "$BATS_TEST_TMPDIR/b" ipc "/proc/$apid/ns/ipc"
	set_args -b "$BATS_TEST_TMPDIR/b" sh -c 'readlink /proc/self/ns/pid; readlink /proc/self/ns/ipc; ps -o pid,args | grep -c "[s]leep 100"'
	run rt run --bundle "$BATS_TEST_TMPDIR/b" ns-pb
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(readlink /proc/$apid/ns/pid)" ]
	[ "${lines[1]}" = "$(readlink /proc/$apid/ns/ipc)" ]
	[ "${lines[2]}" -eq 1 ]
	assert_nothing_left ns-pb "$BATS_TEST_TMPDIR/b"
	rt delete --force ns-pa
	assert_nothing_left ns-pa "$BATS_TEST_TMPDIR/a"
}

@test "joining a namespace path that does not exist fails" {
	make_bundle
	add_namespace network "$BATS_TEST_TMPDIR/no-such-ns"
	set_args true
	run rt run --bundle "$BUNDLE" ns-nopath
	[ "$status" -ne 0 ]
	assert_nothing_left ns-nopath
}

@test "joining a path that is not a namespace fails" {
	make_bundle
	touch "$BATS_TEST_TMPDIR/plain-file"
	add_namespace network "$BATS_TEST_TMPDIR/plain-file"
	set_args true
	run rt run --bundle "$BUNDLE" ns-notns
	[ "$status" -ne 0 ]
	assert_nothing_left ns-notns
}

@test "joining a namespace of the wrong type fails" {
	make_bundle
	add_namespace network /proc/self/ns/uts
	set_args true
	run rt run --bundle "$BUNDLE" ns-wrongtype
	[ "$status" -ne 0 ]
	assert_nothing_left ns-wrongtype
}
