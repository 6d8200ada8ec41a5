#!/usr/bin/env bats
# Rootless containers under the user's own systemd, on cgroup v2: the
# systemd guest's user rttest (tests/vm/lib/build.sh: uid 1000, subordinate
# ids 100000-165535) runs $RT with its systemd --user (user@UID.service,
# started here) and the user bus of dbus-user-session. With
# --systemd-cgroup each container is a Delegate=yes scope of the user
# manager; without it, rootless cgroupfs in the subtree the user manager
# was delegated. Runs in the guest of tests/vm/run.sh --init systemd; on
# its cgroup v1 (hybrid) boot only the refusal is tested.

load helpers

RS_USER=rttest

# Outside the guest every test skips: setup_file only records why (bats
# 1.8's skip in setup_file fails the file through its teardown_file).
setup_file() {
	export RS_SKIP=""
	if [ "${RT_VM_INIT:-}" != systemd ]; then
		RS_SKIP="needs systemd as PID 1 (tests/vm/run.sh --init systemd)"
		return 0
	fi
	if ! id "$RS_USER" >/dev/null 2>&1; then
		RS_SKIP="needs the guest's user $RS_USER"
		return 0
	fi
	ensure_rootfs
	export RS_UID RS_GID RS_XDG RS_MGR RS_DIR RS_RT RS_WAS_ACTIVE=0
	RS_UID=$(id -u "$RS_USER")
	RS_GID=$(id -g "$RS_USER")
	RS_XDG=/run/user/$RS_UID
	# The user manager and its cgroup (what it was delegated).
	systemctl -q is-active "user@$RS_UID.service" && RS_WAS_ACTIVE=1
	systemctl start "user@$RS_UID.service"
	RS_MGR=/sys/fs/cgroup/user.slice/user-$RS_UID.slice/user@$RS_UID.service
	local i
	for i in $(seq 100); do
		[ -S "$RS_XDG/bus" ] && break
		sleep 0.1
	done
	[ -S "$RS_XDG/bus" ]
	RS_DIR=$(mktemp -d /tmp/rt-rlsd.XXXXXX)
	chmod 755 "$RS_DIR"
	mkdir -m 755 "$RS_DIR/bin"
	mkdir -m 700 "$RS_DIR/state"
	chown "$RS_UID:$RS_GID" "$RS_DIR/state"
	RS_RT="$RS_DIR/bin/$(basename "$RT")"
	cp "$RT" "$RS_RT"
	chmod 755 "$RS_RT"
}

teardown_file() {
	[ -n "${RS_DIR:-}" ] || return 0
	if [ -x "${RS_RT:-}" ]; then
		local id
		for id in $(as_user "$RS_RT" --root "$RS_DIR/state" list -q 2>/dev/null); do
			as_user "$RS_RT" --root "$RS_DIR/state" delete -f "$id" >/dev/null 2>&1
		done
	fi
	rm -rf "$RS_DIR"
	[ "$RS_WAS_ACTIVE" = 1 ] || systemctl stop "user@$RS_UID.service"
	return 0
}

# needs_v2: the tests of the user manager's delegated cgroups.
needs_v2() {
	[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || skip "needs cgroup v2"
}

setup() {
	[ -z "$RS_SKIP" ] || skip "$RS_SKIP"
	RS_BUNDLE="$RS_DIR/bundle-$BATS_TEST_NUMBER"
	mkdir -p "$RS_BUNDLE"
	cp -a "$ROOTFS_CACHE" "$RS_BUNDLE/rootfs"
	rm -f "$RS_BUNDLE/rootfs/.done"
	chown -R "$RS_UID:$RS_GID" "$RS_BUNDLE"
	as_user "$RS_RT" spec --rootless --bundle "$RS_BUNDLE"
	update_config -b "$RS_BUNDLE" '.process.terminal = false | .root.readonly = false | .process.args = ["sleep", "1000"]'
	chown "$RS_UID:$RS_GID" "$RS_BUNDLE/config.json"
}

teardown() {
	local id
	for id in $(rs list -q 2>/dev/null); do
		rs delete -f "$id" >/dev/null 2>&1
	done
	rm -rf "$RS_BUNDLE"
}

# as_user CMD...: CMD as the user (no PAM: setpriv), with its
# XDG_RUNTIME_DIR and nothing else of root's environment.
as_user() {
	setpriv --reuid "$RS_UID" --regid "$RS_GID" --clear-groups -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME="$RS_DIR" USER="$RS_USER" XDG_RUNTIME_DIR="$RS_XDG" "$@"
}

# rs ARGS...: $RT as the user on this file's state root.
rs() { as_user "$RS_RT" --root "$RS_DIR/state" "$@"; }

# uprop UNIT NAME: one property of a unit of the user's systemd.
uprop() { as_user systemctl --user show -P "$2" "$1"; }

# scope ID: the container's scope under the default user.slice.
scope() {
	local p=runc
	is_rt && p=rt
	echo "$p-$1.scope"
}

# limits: memory, pids and cpu limits, the controllers user@.service delegates.
limits() {
	update_config -b "$RS_BUNDLE" '.linux.resources = {memory: {limit: 67108864}, pids: {limit: 50}, cpu: {quota: 50000, period: 100000}}'
}

# wide_maps: root is the user, 1..65536 its subordinate ids (newuidmap).
wide_maps() {
	update_config -b "$RS_BUNDLE" '.linux.uidMappings = [{containerID: 0, hostID: $u, size: 1}, {containerID: 1, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: $g, size: 1}, {containerID: 1, hostID: 100000, size: 65536}]' \
		--argjson u "$RS_UID" --argjson g "$RS_GID"
}

@test "rootless systemd: the user manager was delegated memory, pids and cpu" {
	needs_v2
	run cat "$RS_MGR/cgroup.controllers"
	echo "$output"
	for c in memory pids cpu; do [[ " $output " == *" $c "* ]]; done
	[ "$(stat -c %u "$RS_MGR")" = "$RS_UID" ]
}

@test "rootless systemd: run -d puts the container in a Delegate=yes scope of the user manager, limits in its files" {
	needs_v2
	limits
	rs --systemd-cgroup run -d --bundle "$RS_BUNDLE" rsd-run </dev/null
	local unit pid cg
	unit=$(scope rsd-run)
	run uprop "$unit" ActiveState
	[ "$output" = active ]
	[ "$(uprop "$unit" Delegate)" = yes ]
	[ "$(uprop "$unit" Slice)" = user.slice ]
	[ "$(uprop "$unit" MemoryMax)" = 67108864 ]
	[ "$(uprop "$unit" TasksMax)" = 50 ]
	[ "$(uprop "$unit" CPUQuotaPerSecUSec)" = 500ms ]
	cg=/user.slice/user-$RS_UID.slice/user@$RS_UID.service/user.slice/$unit
	[ "$(uprop "$unit" ControlGroup)" = "$cg" ]
	pid=$(rs state rsd-run | jq -r .pid)
	[ "$(cat "/proc/$pid/cgroup")" = "0::$cg" ]
	[ "$(cat "/sys/fs/cgroup$cg/memory.max")" = 67108864 ]
	[ "$(cat "/sys/fs/cgroup$cg/pids.max")" = 50 ]
	[ "$(cat "/sys/fs/cgroup$cg/cpu.max")" = "50000 100000" ]
	# Delegated: the scope is the user's.
	[ "$(stat -c %u "/sys/fs/cgroup$cg")" = "$RS_UID" ]
}

@test "rootless systemd: exec, update, pause, resume, kill and delete through the user's systemd leave no unit" {
	needs_v2
	limits
	rs --systemd-cgroup run -d --bundle "$RS_BUNDLE" rsd-life </dev/null
	local unit cg
	unit=$(scope rsd-life)
	cg=/sys/fs/cgroup/user.slice/user-$RS_UID.slice/user@$RS_UID.service/user.slice/$unit
	run rs exec rsd-life sh -c 'echo in; id -u'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = in ]
	[ "${lines[1]}" = 0 ]
	rs update --memory 134217728 --pids-limit 60 rsd-life
	[ "$(uprop "$unit" MemoryMax)" = 134217728 ]
	[ "$(uprop "$unit" TasksMax)" = 60 ]
	[ "$(cat "$cg/memory.max")" = 134217728 ]
	[ "$(cat "$cg/pids.max")" = 60 ]
	rs pause rsd-life
	[ "$(rs state rsd-life | jq -r .status)" = paused ]
	[ "$(cat "$cg/cgroup.freeze")" = 1 ]
	rs resume rsd-life
	[ "$(rs state rsd-life | jq -r .status)" = running ]
	rs kill rsd-life KILL
	local i
	for i in $(seq 50); do
		[ "$(rs state rsd-life | jq -r .status)" = stopped ] && break
		sleep 0.1
	done
	rs delete rsd-life
	[ ! -e "$RS_DIR/state/rsd-life" ]
	[ ! -e "$cg" ]
	run uprop "$unit" LoadState
	[ "$output" = not-found ]
}

@test "rootless systemd: exec from a cgroup of root's joins the user scope (the user manager moves it)" {
	needs_v2
	# The kernel refuses the user the move (the two cgroups meet in root's
	# root cgroup); rt then asks the unit's manager, which hands it to PID 1.
	requires_rt
	rs --systemd-cgroup run -d --bundle "$RS_BUNDLE" rsd-exec </dev/null
	local cg
	cg=/sys/fs/cgroup/user.slice/user-$RS_UID.slice/user@$RS_UID.service/user.slice/$(scope rsd-exec)
	# This shell is in rt-vm-tests.service: its cgroup and the scope meet at the root.
	[[ "$(cat /proc/self/cgroup)" == 0::/system.slice/* ]]
	rs exec -d rsd-exec sleep 1000
	[ "$(wc -l <"$cg/cgroup.procs")" = 2 ]
}

@test "rootless systemd: 65536 subordinate ids through newuidmap in a user scope" {
	needs_v2
	wide_maps
	limits
	# /sys/fs/cgroup in the container is its own scope (a bind of it, where
	# the user namespace may not mount cgroup2).
	update_config -b "$RS_BUNDLE" '.process.args = ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map /sys/fs/cgroup/pids.max"]'
	run rs --systemd-cgroup run --bundle "$RS_BUNDLE" rsd-wide
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$(echo "${lines[1]}" | tr -s ' ')" == " 1 100000 65536" ]]
	[[ "$(echo "${lines[3]}" | tr -s ' ')" == " 1 100000 65536" ]]
	[ "${lines[4]}" = 50 ]
	[ ! -e "$RS_DIR/state/rsd-wide" ]
	run uprop "$(scope rsd-wide)" LoadState
	[ "$output" = not-found ]
}

@test "rootless systemd: without a user bus --systemd-cgroup fails in runc's words, nothing left" {
	needs_v2
	run setpriv --reuid "$RS_UID" --regid "$RS_GID" --clear-groups -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME="$RS_DIR" XDG_RUNTIME_DIR="$RS_DIR" "$RS_RT" --root "$RS_DIR/state" --systemd-cgroup run --bundle "$RS_BUNDLE" rsd-nobus
	echo "$output"
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"could not detect DBUS_SESSION_BUS_ADDRESS from the environment"* ]]
	[ ! -e "$RS_DIR/state/rsd-nobus" ]
	run uprop "$(scope rsd-nobus)" LoadState
	[ "$output" = not-found ]
}

@test "rootless systemd: without --systemd-cgroup, cgroupfs in the user manager's delegated subtree" {
	needs_v2
	limits
	local rel=/user.slice/user-$RS_UID.slice/user@$RS_UID.service/rtfs-$BATS_ROOT_PID
	update_config -b "$RS_BUNDLE" '.linux.cgroupsPath = $p' --arg p "$rel"
	# The caller in a scope of the user manager, as a login shell is in its
	# session: moving the init needs write access where both cgroups meet.
	as_user systemd-run --user --scope --quiet -- "$RS_RT" --root "$RS_DIR/state" run -d --bundle "$RS_BUNDLE" rsd-fs </dev/null
	local pid
	pid=$(rs state rsd-fs | jq -r .pid)
	[ "$(cat "/proc/$pid/cgroup")" = "0::$rel" ]
	[ "$(cat "/sys/fs/cgroup$rel/memory.max")" = 67108864 ]
	[ "$(cat "/sys/fs/cgroup$rel/pids.max")" = 50 ]
	[ "$(cat "/sys/fs/cgroup$rel/cpu.max")" = "50000 100000" ]
	rs delete -f rsd-fs
	[ ! -e "/sys/fs/cgroup$rel" ]
}

@test "rootless systemd: on cgroup v1 --systemd-cgroup is refused in runc's words, nothing left" {
	[ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ] || skip "needs a cgroup v1 host"
	run rs --systemd-cgroup run --bundle "$RS_BUNDLE" rsd-v1
	echo "$output"
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"cannot use rootless systemd cgroups manager on cgroup v1"* ]]
	[ ! -e "$RS_DIR/state/rsd-v1" ]
	run uprop "$(scope rsd-v1)" LoadState
	[ "$output" = not-found ]
}

@test "rootless systemd: root in a user namespace (rootlesskit's) is rootless: its unit goes to the user's systemd" {
	needs_v2
	# The caller is root in a namespace mapping it onto the user
	# (--rootless auto is on there); it reaches the user's bus as that user.
	update_config -b "$RS_BUNDLE" '.linux.uidMappings = [{containerID: 0, hostID: 0, size: 1}]
		| .linux.gidMappings = [{containerID: 0, hostID: 0, size: 1}]'
	as_user unshare --user --map-root-user -- "$RS_RT" --root "$RS_DIR/state" --systemd-cgroup run -d --bundle "$RS_BUNDLE" rsd-userns </dev/null
	local unit
	unit=$(scope rsd-userns)
	[ "$(uprop "$unit" ActiveState)" = active ]
	[ "$(uprop "$unit" ControlGroup)" = "/user.slice/user-$RS_UID.slice/user@$RS_UID.service/user.slice/$unit" ]
	as_user unshare --user --map-root-user -- "$RS_RT" --root "$RS_DIR/state" delete -f rsd-userns
	run uprop "$unit" LoadState
	[ "$output" = not-found ]
}
