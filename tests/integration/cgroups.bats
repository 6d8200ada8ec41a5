#!/usr/bin/env bats
# linux.resources at create: each value read back from the cgroup files,
# and enforced where that is cheap (OOM kill, pids.max, devices).
# Runs on a v1/hybrid host and in the v2 guest (tests/vm/run.sh).

load cgroups_helpers

@test "memory limit, reservation and swap are written at create" {
	make_bundle
	set_args sh -c "$STOPPABLE"
	update_config '.linux.resources.memory = {limit: 67108864, reservation: 33554432, swap: 100663296}'
	create_container cg-mem
	[ "$(cg_read memory memory.limit_in_bytes memory.max)" -eq 67108864 ]
	[ "$(cg_read memory memory.soft_limit_in_bytes memory.low)" -eq 33554432 ]
	if cg_v2; then
		# v2 keeps swap apart from memory: memory+swap minus the limit.
		[ ! -e "$(cg_dir memory)/memory.swap.max" ] || [ "$(cat "$(cg_dir memory)/memory.swap.max")" -eq 33554432 ]
	elif [ -e "$(cg_dir memory)/memory.memsw.limit_in_bytes" ]; then
		[ "$(cat "$(cg_dir memory)/memory.memsw.limit_in_bytes")" -eq 100663296 ]
	fi
	rt delete --force cg-mem
	assert_cgroup_gone
	assert_nothing_left cg-mem
}

@test "cpu shares, quota, period and cpuset are written at create" {
	make_bundle
	set_args sh -c "$STOPPABLE"
	update_config '.linux.resources.cpu = {shares: 512, quota: 50000, period: 100000, cpus: "0", mems: "0"}'
	create_container cg-cpu
	if cg_v2; then
		[ "$(cat "$(cg_dir cpu)/cpu.weight")" -eq "$(cpu_weight 512)" ]
		[ "$(cat "$(cg_dir cpu)/cpu.max")" == "50000 100000" ]
	else
		[ "$(cat "$(cg_dir cpu)/cpu.shares")" -eq 512 ]
		[ "$(cat "$(cg_dir cpu)/cpu.cfs_quota_us")" -eq 50000 ]
		[ "$(cat "$(cg_dir cpu)/cpu.cfs_period_us")" -eq 100000 ]
	fi
	[ "$(cat "$(cg_dir cpuset)/cpuset.cpus")" == 0 ]
	[ "$(cat "$(cg_dir cpuset)/cpuset.mems")" == 0 ]
	# The init really runs on cpu 0 only.
	pid=$(container_pid cg-cpu)
	[ "$(awk '/^Cpus_allowed_list/ {print $2}' "/proc/$pid/status")" == 0 ]
	rt delete --force cg-cpu
	assert_nothing_left cg-cpu
}

@test "blkio weight is written at create" {
	make_bundle
	set_args sh -c "$STOPPABLE"
	update_config '.linux.resources.blockIO = {weight: 300}'
	# A v1 blkio hierarchy has weight files only with a proportional I/O
	# scheduler (BFQ) in the kernel; without one the write fails at create,
	# in runc as in rt.
	if ! cg_v2 && [ ! -e /sys/fs/cgroup/blkio/blkio.weight ] && [ ! -e /sys/fs/cgroup/blkio/blkio.bfq.weight ]; then
		skip "the host's blkio hierarchy has no weight file (no BFQ)"
	fi
	create_container cg-blkio
	d=$(cg_dir blkio)
	if cg_v2; then
		if [ -e "$d/io.bfq.weight" ]; then
			[ "$(head -1 "$d/io.bfq.weight")" == "default 300" ]
		elif [ -e "$d/io.weight" ]; then
			[ "$(head -1 "$d/io.weight")" == "default $((1 + (300 - 10) * 9999 / 990))" ]
		else
			skip "no io weight file in $d"
		fi
	elif [ -e "$d/blkio.weight" ]; then
		[ "$(cat "$d/blkio.weight")" -eq 300 ]
	elif [ -e "$d/blkio.bfq.weight" ]; then
		[ "$(head -1 "$d/blkio.bfq.weight")" -eq 300 ]
	else
		skip "no blkio weight file in $d"
	fi
	rt delete --force cg-blkio
}

@test "a memory hog above the limit is OOM-killed, the container goes on" {
	make_bundle
	# memory+swap = memory: nothing to swap to, whatever the host has.
	update_config '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
	set_args sh -c 'dd if=/dev/zero of=/dev/null bs=64M count=1; echo "dd=$?" >/tmp/dd; '"$STOPPABLE"
	run_detached cg-oom
	wait_for_file "$BUNDLE/rootfs/tmp/dd"
	# 128+9: SIGKILL from the OOM killer.
	[ "$(cat "$BUNDLE/rootfs/tmp/dd")" == dd=137 ]
	[ "$(container_status cg-oom)" == running ]
	if cg_v2; then
		[ "$(cg_key "$(cg_dir memory)/memory.events" oom_kill)" -ge 1 ]
	else
		[ "$(cg_key "$(cg_dir memory)/memory.oom_control" oom_kill)" -ge 1 ]
	fi
	rt delete --force cg-oom
	assert_nothing_left cg-oom
}

@test "a fork loop stops at pids.max" {
	make_bundle
	update_config '.linux.resources.pids = {limit: 10}'
	# A child shell forks sleeps until the kernel refuses (ash then exits);
	# each success is counted by a builtin with a redirection (no fork).
	# The init, the child shell and 8 sleeps fill the 10.
	set_args sh -c 'sh -c "for i in \$(seq 30); do sleep 1000 & echo \$i >>/tmp/n; done" 2>/tmp/fork.err; : >/tmp/forked; exec sleep 1000'
	run_detached cg-pids
	wait_for_file "$BUNDLE/rootfs/tmp/forked"
	[ "$(cg_read pids pids.max pids.max)" -eq 10 ]
	[ "$(cg_read pids pids.current pids.current)" -le 10 ]
	n=$(wc -l <"$BUNDLE/rootfs/tmp/n")
	echo "forked $n sleeps" >&2
	[ "$n" -ge 1 ] && [ "$n" -le 8 ]
	grep -qiE "fork|resource temporarily unavailable" "$BUNDLE/rootfs/tmp/fork.err"
	rt delete --force cg-pids
	assert_nothing_left cg-pids
}

@test "devices: a denied device cannot be opened, an allowed one can" {
	make_bundle
	add_caps CAP_MKNOD
	# Major 240 is reserved for local use: no driver, so an allowed node
	# fails to open with ENXIO (the cgroup let it through to the driver
	# lookup), a denied one with EPERM from the device cgroup.
	update_config '.linux.resources.devices = [{allow: false, access: "rwm"}, {allow: true, type: "c", major: 240, minor: 0, access: "rw"}]'
	set_args sh -c '
		mknod /tmp/zero c 1 5 && head -c 4 /tmp/zero | wc -c >/tmp/zero.out
		mknod /tmp/denied c 240 1 && cat /tmp/denied 2>/tmp/denied.err
		mknod /tmp/allowed c 240 0 && cat /tmp/allowed 2>/tmp/allowed.err
		touch /tmp/done; '"$STOPPABLE"
	run_detached cg-dev
	wait_for_file "$BUNDLE/rootfs/tmp/done"
	[ "$(cat "$BUNDLE/rootfs/tmp/zero.out")" -eq 4 ]
	grep -q "Operation not permitted" "$BUNDLE/rootfs/tmp/denied.err"
	grep -q "No such device or address" "$BUNDLE/rootfs/tmp/allowed.err"
	if ! cg_v2; then
		grep -qx "c 240:0 rw" "$(cg_dir devices)/devices.list"
		! grep -q "240:1" "$(cg_dir devices)/devices.list"
	fi
	rt delete --force cg-dev
	assert_nothing_left cg-dev
}

@test "a resource the host cannot set fails create with the file named" {
	make_bundle
	set_args true
	update_config '.linux.resources.cpu = {cpus: "999"}'
	run --separate-stderr create_container cg-bad
	[ "$status" -ne 0 ]
	grep -q cpuset.cpus "$BATS_TEST_TMPDIR/cg-bad.err"
	assert_nothing_left cg-bad
}

@test "a container with a 6 MiB memory limit starts and runs (rt's own setup fits in it)" {
	make_bundle
	set_args sh -c 'echo started; cat /proc/self/cgroup >/dev/null; echo done'
	update_config '.linux.resources.memory = {limit: 6291456}'
	run rt run --bundle "$BUNDLE" cg-6m
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = started ]
	[ "${lines[1]}" = done ]
	# And an exec into such a container fits as well.
	set_args sh -c "$STOPPABLE"
	create_container cg-6m-exec
	rt start cg-6m-exec
	run rt exec cg-6m-exec sh -c 'echo exec-ok'
	[ "$status" -eq 0 ]
	[ "$output" = exec-ok ]
	rt delete --force cg-6m-exec
	assert_cgroup_gone
	assert_nothing_left cg-6m-exec
}

@test "a second container in the cgroup of a running one is refused, the first is untouched" {
	make_bundle "$BATS_TEST_TMPDIR/a"
	set_args -b "$BATS_TEST_TMPDIR/a" sh -c "$STOPPABLE"
	cg=$(config_cgroup "$BATS_TEST_TMPDIR/a")
	update_config -b "$BATS_TEST_TMPDIR/a" '.linux.resources.pids = {limit: 40}'
	make_bundle "$BATS_TEST_TMPDIR/b"
	set_args -b "$BATS_TEST_TMPDIR/b" sh -c "$STOPPABLE"
	update_config -b "$BATS_TEST_TMPDIR/b" '.linux.cgroupsPath = $cg' --arg cg "$cg"
	run_detached pod-a "$BATS_TEST_TMPDIR/a"
	pa=$(container_pid pod-a)
	run --separate-stderr rt run -d --bundle "$BATS_TEST_TMPDIR/b" pod-b
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"container's cgroup is not empty: "*" process(es) found"* ]]
	[ ! -e "$RT_ROOT/pod-b" ]
	dir=$(cg_dir pids "$BATS_TEST_TMPDIR/a")
	grep -qx "$pa" "$dir/cgroup.procs"
	[ "$(cat "$dir/pids.max")" -eq 40 ]
	[ "$(container_status pod-a)" = running ]
	rt delete --force pod-a
	assert_cgroup_gone "$BATS_TEST_TMPDIR/a"
	assert_nothing_left pod-a "$BATS_TEST_TMPDIR/a"
}

@test "exec --cgroup runs in a sub-cgroup on v2; a missing one is refused clearly" {
	requires_rt
	make_bundle
	set_args sh -c "$STOPPABLE"
	create_container cg-sub
	rt start cg-sub
	if cg_v2; then
		dir=$(cg_dir memory)
		mkdir "$dir/sub"
		run rt exec --cgroup sub cg-sub cat /proc/self/cgroup
		echo "$output"
		rmdir "$dir/sub" 2>/dev/null || true
		[ "$status" -eq 0 ]
		[[ "$output" == "0::/sub" ]]
		run rt exec --cgroup nope cg-sub true
		[ "$status" -ne 0 ]
		[[ "$(log_msg "${lines[-1]}")" == *'sub-cgroup "nope" does not exist'* ]]
	else
		# v1: cgroups_compat.bats
		run rt exec --cgroup nope cg-sub true
		[ "$status" -ne 0 ]
		[[ "$(log_msg "${lines[-1]}")" == *'sub-cgroup "nope" does not exist'* ]]
	fi
	rt delete --force cg-sub
	assert_cgroup_gone
	assert_nothing_left cg-sub
}

@test "cgroups: stage 0 of run and exec starts in the container's cgroup on v2 (clone3), joins it by cgroup.procs elsewhere" {
	requires_rt
	make_bundle
	set_args sh -c "$STOPPABLE"
	rt --debug --log "$BATS_TEST_TMPDIR/run.json" --log-format json run -d --bundle "$BUNDLE" cg-birth \
		</dev/null >"$BATS_TEST_TMPDIR/cg-birth.out" 2>"$BATS_TEST_TMPDIR/cg-birth.err"
	pid=$(container_pid cg-birth)
	dir=$(cg_dir memory)
	grep -qx "$pid" "$dir/cgroup.procs"
	run rt --debug --log "$BATS_TEST_TMPDIR/exec.json" --log-format json exec cg-birth cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	if cg_v2; then
		# The container's cgroup namespace: its root is the container's cgroup.
		[ "$output" = "0::/" ]
	fi
	born='cgroup: stage 0 started in its cgroup (clone3 CLONE_INTO_CGROUP)'
	joins='cgroup: stage 0 joins its cgroup through cgroup.procs'
	for log in run exec; do
		cat "$BATS_TEST_TMPDIR/$log.json"
		if cg_v2; then
			jq -e -s --arg m "$born" --arg d "$dir" 'map(select(.msg == $m and .dir == $d)) | length == 1' "$BATS_TEST_TMPDIR/$log.json"
			jq -e -s --arg m "$joins" 'map(select(.msg == $m)) | length == 0' "$BATS_TEST_TMPDIR/$log.json"
		else
			jq -e -s --arg m "$joins" 'map(select(.msg == $m and .why == "not a cgroup v2 host")) | length == 1' "$BATS_TEST_TMPDIR/$log.json"
		fi
	done
	if cg_v2; then
		mkdir "$dir/sub"
		run rt --debug --log "$BATS_TEST_TMPDIR/sub.json" --log-format json exec --cgroup sub cg-birth cat /proc/self/cgroup
		rmdir "$dir/sub" 2>/dev/null || true
		[ "$status" -eq 0 ]
		[ "$output" = "0::/sub" ]
		jq -e -s --arg m "$born" --arg d "$dir/sub" 'map(select(.msg == $m and .dir == $d)) | length == 1' "$BATS_TEST_TMPDIR/sub.json"
	fi
	touch "$BUNDLE/rootfs/tmp/stop"
	rt delete --force cg-birth
	assert_cgroup_gone
	assert_nothing_left cg-birth
}
