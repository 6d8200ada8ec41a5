#!/usr/bin/env bats
# cgroup behaviour as runc 1.5 has it on a v1/hybrid host: unified refused,
# pids limit 0, a busy or frozen cgroup refused at create, exec of a paused
# container.

load cgroups_helpers

# make_test_cgroup: the bundle's cgroup dirs in every v1 hierarchy, made by
# the test (the runtime must not remove them: they are not its own).
make_test_cgroup() {
	local r cg
	cg=$(config_cgroup)
	for r in $(cgroup_roots); do
		mkdir -p "$r$cg"
	done
}

@test "cgroups v1: linux.resources.unified is refused with runc's error, nothing left" {
	cg_v2 && skip "cgroup v2 host"
	make_bundle
	update_config '.linux.resources.unified = {"memory.max": "1048576"}'
	run --separate-stderr rt run -d --bundle "$BUNDLE" cg-unified
	assert_one_error_line
	[[ "$stderr" == *"cannot use unified on cgroup v1"* ]]
	assert_nothing_left cg-unified
}

@test "cgroups: a pids limit of 0 means 1, at create and at update" {
	make_bundle
	set_args sleep 100
	update_config '.linux.resources.pids = {"limit": 0}'
	run_detached cg-pids0
	[ "$(cg_read pids pids.max pids.max)" = 1 ]
	rt update --pids-limit 7 cg-pids0
	[ "$(cg_read pids pids.max pids.max)" = 7 ]
	rt update --pids-limit 0 cg-pids0
	[ "$(cg_read pids pids.max pids.max)" = 1 ]
	rt update --pids-limit -1 cg-pids0
	[ "$(cg_read pids pids.max pids.max)" = max ]
	rt delete --force cg-pids0
	assert_nothing_left cg-pids0
}

@test "cgroups: run refuses a cgroup that already has processes, and leaves it alone" {
	cg_v2 && skip "cgroup v1 layout"
	make_bundle
	set_args true
	make_test_cgroup
	sleep 100 3>&- &
	local sp=$! r cg
	remember_pid "$sp" cg-busy
	cg=$(config_cgroup)
	# Every hierarchy that takes it (cpuset wants cpus and mems first).
	for r in $(cgroup_roots); do
		echo "$sp" >"$r$cg/cgroup.procs" 2>/dev/null || true
	done
	grep -qx "$sp" "/sys/fs/cgroup/pids$cg/cgroup.procs"
	run --separate-stderr timeout 20 "$RT" --root "$RT_ROOT" run -d --bundle "$BUNDLE" cg-busy
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"container's cgroup is not empty: 1 process(es) found"* ]]
	[ ! -e "$RT_ROOT/cg-busy" ]
	# The process and its cgroup are untouched.
	kill -0 "$sp"
	grep -qx "$sp" "/sys/fs/cgroup/pids$cg/cgroup.procs"
	kill "$sp"
}

@test "cgroups: run refuses a frozen cgroup at once instead of hanging" {
	cg_v2 && skip "cgroup v1 layout"
	make_bundle
	set_args true
	make_test_cgroup
	local fz
	fz="/sys/fs/cgroup/freezer$(config_cgroup)"
	echo FROZEN >"$fz/freezer.state"
	run --separate-stderr timeout 20 "$RT" --root "$RT_ROOT" run -d --bundle "$BUNDLE" cg-frozen
	echo THAWED >"$fz/freezer.state"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"container's cgroup unexpectedly frozen"* ]]
	[ ! -e "$RT_ROOT/cg-frozen" ]
	[ -d "$fz" ]
}

@test "exec of a paused container fails with runc's words; --ignore-paused waits for resume" {
	make_bundle
	set_args sleep 100
	run_detached cg-execpaused
	rt pause cg-execpaused
	run --separate-stderr timeout 20 "$RT" --root "$RT_ROOT" exec cg-execpaused true
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"cannot exec in a paused container (use --ignore-paused to override)"* ]]
	# With --ignore-paused the exec starts; it runs once the container resumes.
	timeout 20 "$RT" --root "$RT_ROOT" exec --ignore-paused cg-execpaused sh -c 'echo ran >/tmp/ran' </dev/null &
	local ep=$!
	sleep 0.5
	[ ! -e "$BUNDLE/rootfs/tmp/ran" ]
	rt resume cg-execpaused
	wait "$ep"
	[ "$(cat "$BUNDLE/rootfs/tmp/ran")" = ran ]
	rt delete --force cg-execpaused
	assert_nothing_left cg-execpaused
}

@test "exec joins the init's cgroups in every hierarchy, the unified one of a hybrid host too" {
	make_bundle
	set_args sleep 100
	run_detached cg-execcg
	init=$(container_pid cg-execcg)
	rt exec -d --pid-file "$BATS_TEST_TMPDIR/ep" cg-execcg sleep 101
	ep=$(cat "$BATS_TEST_TMPDIR/ep")
	remember_pid "$ep" cg-execcg
	diff <(sort "/proc/$init/cgroup") <(sort "/proc/$ep/cgroup")
	rt delete --force cg-execcg
	assert_nothing_left cg-execcg
}

@test "exec --cgroup on v1: a path for every hierarchy, or controller:path for some" {
	cg_v2 && skip "cgroup v1 layout"
	make_bundle
	set_args sleep 100
	run_detached cg-execsub
	local cg r
	cg=$(config_cgroup)
	for r in $(cgroup_roots); do
		mkdir "$r$cg/child"
	done
	# A new cpuset cgroup takes no tasks until it has cpus and mems.
	cat "/sys/fs/cgroup/cpuset$cg/cpuset.cpus" >"/sys/fs/cgroup/cpuset$cg/child/cpuset.cpus"
	cat "/sys/fs/cgroup/cpuset$cg/cpuset.mems" >"/sys/fs/cgroup/cpuset$cg/child/cpuset.mems"
	run rt exec --cgroup pids,memory:child --cgroup freezer:child cg-execsub cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	# Paths as the container's cgroup namespace (if any) shows them.
	grep -q ':pids:.*/child$' <<<"$output"
	grep -q ':memory:.*/child$' <<<"$output"
	grep -q ':freezer:.*/child$' <<<"$output"
	grep ':devices:' <<<"$output" | grep -vq '/child$'
	grep '^0::' <<<"$output" | grep -vq '/child$'
	run rt exec --cgroup child cg-execsub cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	[ "$(grep -c "/child$" <<<"$output")" -eq "${#lines[@]}" ]
	run rt exec --cgroup nosuch cg-execsub true
	[ "$status" -ne 0 ]
	[[ "$output" == *nosuch*"no such file or directory"* ]] || [[ "$(log_msg "${lines[-1]}")" == *'"nosuch" does not exist'* ]]
	rt delete --force cg-execsub
	assert_nothing_left cg-execsub
}

@test "delete --force removes a v1 cgroup with sub-cgroups and their processes" {
	make_bundle
	set_args sleep 100
	run_detached cg-delsub
	local cg r ep
	cg=$(config_cgroup)
	rt exec -d --pid-file "$BATS_TEST_TMPDIR/ep" cg-delsub sleep 101
	ep=$(cat "$BATS_TEST_TMPDIR/ep")
	remember_pid "$ep" cg-delsub
	for r in $(cgroup_roots); do
		mkdir -p "$r$cg/child/grandchild"
		[[ "$r" == */cpuset ]] && continue
		echo "$ep" >"$r$cg/child/grandchild/cgroup.procs"
	done
	rt delete --force cg-delsub
	for r in $(cgroup_roots); do
		[ ! -d "$r$cg" ]
	done
	assert_nothing_left cg-delsub
}

# The bfq test's loop device, detached even when the test fails.
teardown() {
	if [[ -s "$BATS_TEST_TMPDIR/loopdev" ]]; then
		losetup -d "$(cat "$BATS_TEST_TMPDIR/loopdev")" 2>/dev/null
	fi
	common_teardown
	v2_cleanup
}

@test "cgroups v1: per-device blkio weight with the bfq scheduler" {
	cg_v2 && skip "cgroup v1 layout"
	command -v losetup >/dev/null || skip "no losetup"
	truncate -s 16M "$BATS_TEST_TMPDIR/disk.img"
	local dev mm
	dev=$(losetup -f --show "$BATS_TEST_TMPDIR/disk.img")
	echo "$dev" >"$BATS_TEST_TMPDIR/loopdev"
	echo bfq >"/sys/block/$(basename "$dev")/queue/scheduler" || skip "no bfq"
	mm=$(cat "/sys/block/$(basename "$dev")/dev")
	make_bundle
	set_args sleep 100
	update_config '.linux.resources.blockIO = {weight: 200, weightDevice: [{major: $ma, minor: $mi, weight: 333}]}' \
		--argjson ma "${mm%:*}" --argjson mi "${mm#*:}"
	run_detached cg-bfq
	local d
	d=$(cg_dir blkio)
	[ "$(cat "$d/blkio.bfq.weight")" -eq 200 ]
	grep -qx "$mm 333" "$d/blkio.bfq.weight_device"
	rt delete --force cg-bfq
	assert_nothing_left cg-bfq
}

@test "update with device rules (deny all, then allow) succeeds and, as in runc, keeps the devices the container had" {
	make_bundle
	set_args sleep 100
	run_detached cg-updev
	echo '{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":3,"access":"rwm"}]}' >"$BATS_TEST_TMPDIR/dev.json"
	run rt update -r "$BATS_TEST_TMPDIR/dev.json" cg-updev
	[ "$status" -eq 0 ]
	run rt exec cg-updev sh -c 'echo x >/dev/null && echo x >/dev/zero && echo ok'
	[ "$status" -eq 0 ]
	[[ "$output" == *ok ]]
	rt delete --force cg-updev
	assert_nothing_left cg-updev
}
