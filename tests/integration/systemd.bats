#!/usr/bin/env bats
# The systemd cgroup driver (--systemd-cgroup): each container is a
# transient scope that systemd made with Delegate=yes, its resources are
# unit properties (read back with `systemctl show`) and cgroup files, and
# delete leaves no unit. Runs in the systemd guest
# (tests/vm/run.sh --init systemd); on a host whose init is not systemd
# only the refusal is tested.

load cgroups_helpers

# Every unit of the run lives in this slice (a nested one: "-" nests), so
# teardown stops whatever a failed test left by stopping it.
SD_SLICE="rttest${BATS_ROOT_PID}-sd.slice"
SD_SLICE_DIR="/rttest${BATS_ROOT_PID}.slice/$SD_SLICE"

needs_systemd() {
	[ "${RT_VM_INIT:-}" = systemd ] || skip "needs systemd as PID 1 (tests/vm/run.sh --init systemd)"
}

# sd_bundle ID: a bundle whose container is the scope sdt-ID.scope in
# $SD_SLICE, running until /tmp/stop appears in its rootfs.
sd_bundle() {
	make_bundle
	update_config '.linux.cgroupsPath = $p' --arg p "$SD_SLICE:sdt:$1"
	set_args sh -c "$STOPPABLE"
}

sd() { rt --systemd-cgroup "$@"; }

# prop UNIT NAME: one property as systemctl shows it.
prop() {
	systemctl show -P "$2" "$1"
}

# sd_root [CTRL]: the root of the hierarchy systemd lays its units out in:
# the unified one on v2; on a v1 (hybrid) host controller CTRL's, by
# default systemd's own name=systemd hierarchy.
sd_root() {
	if cg_v2; then
		echo /sys/fs/cgroup
	else
		echo "/sys/fs/cgroup/${1:-systemd}"
	fi
}

# unit_dir ID [CTRL]: the cgroup dir of the scope sdt-ID.scope.
unit_dir() {
	echo "$(sd_root "${2:-}")$SD_SLICE_DIR/sdt-$1.scope"
}

# unit_file ID V1CTRL V1FILE V2FILE: the content of one of the scope's
# cgroup files, the v1 or the v2 one as the host runs.
unit_file() {
	if cg_v2; then
		cat "$(unit_dir "$1")/$4"
	else
		cat "$(unit_dir "$1" "$2")/$3"
	fi
}

# assert_unit_gone UNIT: systemd has no such unit loaded (not even a failed
# one), and its cgroup and transient unit file are gone.
assert_unit_gone() {
	local u=$1
	[ "$(prop "$u" LoadState)" = not-found ] || {
		systemctl status "$u" >&2
		return 1
	}
	[ "$(prop "$u" ActiveState)" = inactive ]
	[ ! -e "/run/systemd/transient/$u" ]
	[ ! -e "/run/systemd/system.control/$u.d" ]
	! systemctl list-units --all --no-legend | grep -qF "$u"
}

teardown() {
	common_teardown
	if [ "${RT_VM_INIT:-}" = systemd ]; then
		systemctl stop "$SD_SLICE" "rttest${BATS_ROOT_PID}.slice" 2>/dev/null
		systemctl reset-failed 2>/dev/null
	fi
	v2_cleanup
}

@test "no systemd: one line naming it, nothing left" {
	[ "${RT_VM_INIT:-}" != systemd ] || skip "systemd runs here"
	[ ! -d /run/systemd/system ] || skip "this host runs systemd"
	make_bundle
	update_config '.linux.cgroupsPath = "system.slice:sdt:sd-none"'
	set_args true
	run --separate-stderr rt --systemd-cgroup run --bundle "$BUNDLE" sd-none
	assert_one_error_line
	[[ "$stderr" == *"systemd not running on this host, cannot use systemd cgroups manager"* ]]
	assert_nothing_left sd-none
	[ -z "$(ls "$RT_ROOT")" ]
	# The other commands do not need systemd.
	rt --systemd-cgroup list
}

@test "features reports the systemd driver" {
	rt features | jq -e '.linux.cgroup.systemd == true'
}

@test "create: a delegated scope in the slice holding the init, with every property" {
	needs_systemd
	sd_bundle c1
	update_config '.linux.resources = {
		memory: {limit: 67108864, reservation: 33554432, swap: 100663296},
		cpu: {shares: 512, quota: 12345, period: 50000, cpus: "1", mems: "0"},
		pids: {limit: 99}
	}'
	sd create --bundle "$BUNDLE" c1
	u=sdt-c1.scope d=$(unit_dir c1)
	pid=$(container_pid c1)
	[ "$(prop $u ActiveState)" = active ]
	[ "$(prop $u Slice)" = "$SD_SLICE" ]
	[ "$(prop $u Delegate)" = yes ]
	[ "$(prop $u ControlGroup)" = "$SD_SLICE_DIR/$u" ]
	# A scope has a MainPID property only in newer systemd (252 has none):
	# where it has one, it is the container's init or unset.
	mp=$(prop $u MainPID)
	[ -z "$mp" ] || [ "$mp" = 0 ] || [ "$mp" = "$pid" ]
	grep -qx "$pid" "$d/cgroup.procs"
	# 12345 µs per 50 ms is 246900 µs a second, rounded up to 10 ms steps.
	[ "$(prop $u CPUQuotaPerSecUSec)" = 250ms ]
	[ "$(prop $u CPUQuotaPeriodUSec)" = 50ms ]
	if cg_v2; then
		[ "$(cat "/proc/$pid/cgroup")" = "0::$SD_SLICE_DIR/$u" ]
		# Properties, then the same values in the files.
		[ "$(prop $u MemoryMax)" = 67108864 ]
		[ "$(prop $u MemoryLow)" = 33554432 ]
		[ "$(prop $u MemorySwapMax)" = 33554432 ]
		[ "$(prop $u CPUWeight)" = "$(cpu_weight 512)" ]
		[ "$(prop $u AllowedCPUs)" = 1 ]
		[ "$(prop $u AllowedMemoryNodes)" = 0 ]
		[ "$(cat "$d/memory.max")" = 67108864 ]
		[ "$(cat "$d/memory.low")" = 33554432 ]
		[ "$(cat "$d/memory.swap.max")" = 33554432 ]
		[ "$(cat "$d/cpu.weight")" = "$(cpu_weight 512)" ]
	else
		# Every hierarchy systemd or rt manages holds the init at the
		# unit's path. runc leaves it in the slice's devices cgroup (its
		# rules are on the slice then); rt puts it in the unit's own.
		hs="name=systemd memory cpu,cpuacct pids cpuset freezer"
		is_rt && hs+=" devices"
		for c in $hs; do
			grep -q "^[0-9]*:$c:$SD_SLICE_DIR/$u\$" "/proc/$pid/cgroup" || {
				cat "/proc/$pid/cgroup"
				return 1
			}
		done
		[ "$(prop $u MemoryLimit)" = 67108864 ]
		[ "$(prop $u CPUShares)" = 512 ]
		[ "$(unit_file c1 memory memory.limit_in_bytes)" = 67108864 ]
		[ "$(unit_file c1 memory memory.soft_limit_in_bytes)" = 33554432 ]
		[ "$(unit_file c1 cpu cpu.shares)" = 512 ]
	fi
	# The file has the spec's exact quota: rt writes it once systemd has
	# applied its rounded one. runc writes it as soon as systemd answers,
	# and systemd's 250 ms a second (12500 per 50 ms) may come after.
	q=$(unit_file c1 cpu cpu.cfs_quota_us cpu.max)
	cg_v2 || q="$q $(unit_file c1 cpu cpu.cfs_period_us)"
	echo "cpu quota and period: $q"
	[ "$q" = "12345 50000" ] || { ! is_rt && [ "$q" = "12500 50000" ]; }
	[ "$(unit_file c1 cpuset cpuset.cpus cpuset.cpus)" = 1 ]
	[ "$(unit_file c1 cpuset cpuset.mems cpuset.mems)" = 0 ]
	[ "$(awk '/^Cpus_allowed_list/ {print $2}' "/proc/$pid/status")" = 1 ]
	# pids.limit comes once the init runs; TasksMax follows it.
	[ "$(unit_file c1 pids pids.max pids.max)" = 99 ]
	[ "$(prop $u TasksMax)" = 99 ]
	# Devices: systemd's own allow list, strict, holds the defaults.
	[ "$(prop $u DevicePolicy)" = strict ]
	allow=$(prop $u DeviceAllow)
	echo "DeviceAllow: $allow"
	[[ "$allow" == *"/dev/char/1:3 rwm"* ]]
	# c 136:* (the ptys) by major number, as systemd 240 and later read it.
	[[ "$allow" == *"char-136 rwm"* ]]
	sd delete --force c1
	assert_unit_gone $u
	for c in systemd memory cpu pids cpuset devices freezer; do
		[ ! -e "$(unit_dir c1 $c)" ]
	done
	assert_nothing_left c1
}

@test "the container sees and may use only its devices" {
	needs_systemd
	sd_bundle dev
	set_args sh -c 'echo x >/dev/null && ! head -c1 /dev/mem 2>/dev/null && echo ok'
	run --separate-stderr sd run --bundle "$BUNDLE" dev
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	assert_unit_gone sdt-dev.scope
}

@test "default cgroupsPath: system.slice and the runtime's own prefix" {
	needs_systemd
	make_bundle
	update_config 'del(.linux.cgroupsPath)'
	set_args sh -c "$STOPPABLE"
	sd create --bundle "$BUNDLE" sd-def
	pfx=runc
	is_rt && pfx=rt
	u=$pfx-sd-def.scope
	[ "$(prop $u ActiveState)" = active ]
	[ "$(prop $u Slice)" = system.slice ]
	[ -d "$(sd_root)/system.slice/$u" ]
	pid=$(container_pid sd-def)
	grep -qx "$pid" "$(sd_root)/system.slice/$u/cgroup.procs"
	sd delete --force sd-def
	assert_unit_gone "$u"
}

@test "update: properties and files change together" {
	needs_systemd
	sd_bundle up
	update_config '.linux.resources = {memory: {limit: 67108864}, cpu: {shares: 1024}, pids: {limit: 50}}'
	sd create --bundle "$BUNDLE" up
	u=sdt-up.scope d=$(unit_dir up)
	sd update --memory 134217728 --cpu-share 2048 --cpu-quota 20000 --cpu-period 100000 --pids-limit 70 --cpuset-cpus 0 up
	# The memory and cpu weight properties have v1 names on a v1 host.
	mem=MemoryMax
	cg_v2 || mem=MemoryLimit
	[ "$(prop $u $mem)" = 134217728 ]
	[ "$(prop $u CPUQuotaPerSecUSec)" = 200ms ]
	[ "$(prop $u TasksMax)" = 70 ]
	[ "$(unit_file up memory memory.limit_in_bytes memory.max)" = 134217728 ]
	[ "$(unit_file up pids pids.max pids.max)" = 70 ]
	[ "$(unit_file up cpuset cpuset.cpus cpuset.cpus)" = 0 ]
	if cg_v2; then
		[ "$(prop $u CPUWeight)" = "$(cpu_weight 2048)" ]
		[ "$(prop $u AllowedCPUs)" = 0 ]
		[ "$(cat "$d/cpu.weight")" = "$(cpu_weight 2048)" ]
		[ "$(cat "$d/cpu.max")" = "20000 100000" ]
	else
		[ "$(prop $u CPUShares)" = 2048 ]
		[ "$(unit_file up cpu cpu.shares)" = 2048 ]
		[ "$(unit_file up cpu cpu.cfs_quota_us) $(unit_file up cpu cpu.cfs_period_us)" = "20000 100000" ]
	fi
	# Lifting limits: -1 is infinity.
	sd update --memory -1 --pids-limit -1 up
	[ "$(prop $u $mem)" = infinity ]
	[ "$(prop $u TasksMax)" = infinity ]
	[ "$(unit_file up memory memory.limit_in_bytes memory.max)" = "$(cg_v2 && echo max || echo 9223372036854771712)" ]
	[ "$(unit_file up pids pids.max pids.max)" = max ]
	# systemd re-applying its unit (daemon-reload) keeps the values.
	sd update --memory 100663296 up
	systemctl daemon-reload
	[ "$(unit_file up memory memory.limit_in_bytes memory.max)" = 100663296 ]
	sd delete --force up
	assert_unit_gone $u
}

@test "pause and resume freeze the scope's cgroup" {
	needs_systemd
	sd_bundle pz
	sd run -d --bundle "$BUNDLE" pz </dev/null >/dev/null 2>&1
	d=$(unit_dir pz)
	sd pause pz
	[ "$(container_status pz)" = paused ]
	if cg_v2; then
		[ "$(cat "$d/cgroup.freeze")" = 1 ]
		grep -qx 'frozen 1' "$d/cgroup.events"
	else
		[ "$(unit_file pz freezer freezer.state)" = FROZEN ]
	fi
	[ "$(prop sdt-pz.scope ActiveState)" = active ]
	sd resume pz
	[ "$(container_status pz)" = running ]
	if cg_v2; then
		grep -qx 'frozen 0' "$d/cgroup.events"
	else
		[ "$(unit_file pz freezer freezer.state)" = THAWED ]
	fi
	sd delete --force pz
	assert_unit_gone sdt-pz.scope
}

@test "exec joins the scope" {
	needs_systemd
	sd_bundle ex
	sd run -d --bundle "$BUNDLE" ex </dev/null >/dev/null 2>&1
	d=$(unit_dir ex)
	sd exec -d --pid-file "$BATS_TEST_TMPDIR/ex.pid" ex sleep 1000
	epid=$(cat "$BATS_TEST_TMPDIR/ex.pid")
	remember_pid "$epid" ex
	grep -qx "$epid" "$d/cgroup.procs"
	[ "$(prop sdt-ex.scope TasksCurrent)" -ge 2 ]
	run sd exec ex cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	echo "$output"
	if cg_v2; then
		# In the container's cgroup namespace the scope is the root.
		[ "$output" = "0::/" ]
	else
		# The default spec has a cgroup namespace only on v2 (runc's
		# rule): the exec'd process sees the unit's path.
		grep -qx "[0-9]*:memory:$SD_SLICE_DIR/sdt-ex.scope" <<<"$output"
		grep -qx "[0-9]*:name=systemd:$SD_SLICE_DIR/sdt-ex.scope" <<<"$output"
	fi
	sd delete --force ex
	assert_unit_gone sdt-ex.scope
	assert_nothing_left ex
}

@test "a container that exits leaves a unit that delete removes" {
	needs_systemd
	sd_bundle ends
	set_args sh -c 'exit 3'
	run sd run --bundle "$BUNDLE" ends
	[ "$status" -eq 3 ]
	assert_unit_gone sdt-ends.scope
	[ ! -e "$(unit_dir ends)" ]
}

@test "an OOM-killed container's failed scope is reset by delete" {
	needs_systemd
	sd_bundle oom
	update_config '.linux.resources.memory = {limit: 16777216, swap: 16777216}'
	set_args sh -c 'while [ ! -e /tmp/stop ]; do sleep 0.05; done; x=aaaaaaaaaaaaaaaa; while :; do x=$x$x$x$x; done'
	sd run -d --bundle "$BUNDLE" oom </dev/null >/dev/null 2>&1
	touch "$BUNDLE/rootfs/tmp/stop"
	wait_for_status oom stopped
	sd delete oom
	assert_unit_gone sdt-oom.scope
}

@test "slices named with - nest, and a missing one is made" {
	needs_systemd
	make_bundle
	s="rttest${BATS_ROOT_PID}-a-b.slice"
	update_config '.linux.cgroupsPath = $p' --arg p "$s:sdt:nest"
	set_args sh -c "$STOPPABLE"
	sd create --bundle "$BUNDLE" nest
	want="/rttest${BATS_ROOT_PID}.slice/rttest${BATS_ROOT_PID}-a.slice/$s/sdt-nest.scope"
	[ "$(prop sdt-nest.scope ControlGroup)" = "$want" ]
	[ "$(prop "$s" ActiveState)" = active ]
	pid=$(container_pid nest)
	grep -qx "$pid" "$(sd_root)$want/cgroup.procs"
	sd delete --force nest
	assert_unit_gone sdt-nest.scope
	systemctl stop "$s"
}

@test "a unit name in use is refused, and the running container is untouched" {
	needs_systemd
	# runc 1.5 on a v1 host asks systemd, fails, and then stops the running
	# container's unit.
	cg_v2 || requires_rt
	sd_bundle dup
	sd create --bundle "$BUNDLE" dup
	b2="$BATS_TEST_TMPDIR/b2"
	make_bundle "$b2"
	update_config -b "$b2" '.linux.cgroupsPath = $p' --arg p "$SD_SLICE:sdt:dup"
	run --separate-stderr sd create --bundle "$b2" dup2
	assert_one_error_line
	# Refused before systemd is asked, in runc's words: the unit's cgroup
	# already holds the other container's init.
	[[ "$stderr" == *"container's cgroup is not empty: 1 process(es) found"* ]]
	[ ! -e "$RT_ROOT/dup2" ]
	[ "$(prop sdt-dup.scope ActiveState)" = active ]
	[ "$(container_status dup)" = created ]
	sd delete --force dup
	assert_unit_gone sdt-dup.scope
}

@test "a cgroupsPath not in slice:prefix:name form is refused" {
	needs_systemd
	make_bundle
	update_config '.linux.cgroupsPath = "/not/systemd"'
	set_args true
	run --separate-stderr sd run --bundle "$BUNDLE" bad
	assert_one_error_line
	[[ "$stderr" == *'expected cgroupsPath to be of format \"slice:prefix:name\" for systemd cgroups, got \"/not/systemd\" instead'* ]] ||
		[[ "$stderr" == *'expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got "/not/systemd" instead'* ]]
	[ -z "$(ls "$RT_ROOT")" ]
}

@test "org.systemd.property annotations set unit properties" {
	needs_systemd
	sd_bundle ann
	update_config '.annotations = {"org.systemd.property.TimeoutStopSec": "uint64 7", "org.systemd.property.CollectMode": "'"'inactive-or-failed'"'"}'
	sd create --bundle "$BUNDLE" ann
	[ "$(prop sdt-ann.scope TimeoutStopUSec)" = 7s ]
	[ "$(prop sdt-ann.scope CollectMode)" = inactive-or-failed ]
	sd delete --force ann
	assert_unit_gone sdt-ann.scope
}
