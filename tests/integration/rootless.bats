#!/usr/bin/env bats
# Rootless containers: a user made for this file (with 65536 subordinate
# uids and gids) runs $RT itself. The user, its /etc/subuid and /etc/subgid
# entries and its dir are removed in teardown_file, even when a test failed.
# Only that user's containers and ids are touched.

load helpers

setup_file() {
	[[ $(id -u) == 0 ]] || skip "needs root to create the test user"
	[[ "$(cat /proc/sys/user/max_user_namespaces)" != 0 ]] || skip "user namespaces are disabled"
	if [[ -e /proc/sys/kernel/unprivileged_userns_clone && "$(cat /proc/sys/kernel/unprivileged_userns_clone)" == 0 ]]; then
		skip "unprivileged user namespaces are disabled"
	fi
	command -v newuidmap >/dev/null || skip "newuidmap (package uidmap) is missing"
	ensure_rootfs
	export RL_USER="rttest$BATS_ROOT_PID"
	useradd -M -N -d /nonexistent -s /bin/sh "$RL_USER"
	# useradd gives a normal user SUB_UID_COUNT ids from login.defs; give
	# some where it did not, past every range already granted.
	local f
	for f in subuid subgid; do
		if ! grep -q "^$RL_USER:" /etc/$f; then
			local start
			start=$(awk -F: 'BEGIN { m = 100000 } { e = $2 + $3; if (e > m) m = e } END { print m }' /etc/$f)
			if [[ $f == subuid ]]; then
				usermod --add-subuids "$start-$((start + 65535))" "$RL_USER"
			else
				usermod --add-subgids "$start-$((start + 65535))" "$RL_USER"
			fi
		fi
	done
	export RL_UID RL_GID RL_SUBUID RL_SUBGID
	RL_UID=$(id -u "$RL_USER")
	RL_GID=$(id -g "$RL_USER")
	RL_SUBUID=$(awk -F: -v u="$RL_USER" '$1 == u && $3 >= 65536 { print $2; exit }' /etc/subuid)
	RL_SUBGID=$(awk -F: -v u="$RL_USER" '$1 == u && $3 >= 65536 { print $2; exit }' /etc/subgid)
	[[ -n "$RL_SUBUID" && -n "$RL_SUBGID" ]]
	# Bats' own tmpdirs are root's alone: the user gets a dir it can reach.
	export RL_DIR
	RL_DIR=$(mktemp -d /tmp/rt-rootless.XXXXXX)
	chmod 755 "$RL_DIR"
	mkdir -m 700 "$RL_DIR/xdg" "$RL_DIR/state"
	chown "$RL_UID:$RL_GID" "$RL_DIR/xdg" "$RL_DIR/state"
	# The runtime as the user runs it: a copy in reach (the tree's own dir
	# may be root's alone), under the same name.
	export RL_RT
	mkdir -m 755 "$RL_DIR/bin"
	RL_RT="$RL_DIR/bin/$(basename "$RT")"
	cp "$RT" "$RL_RT"
	chmod 755 "$RL_RT"
}

teardown_file() {
	[[ -n "${RL_USER:-}" ]] || return 0
	if [[ -n "${RL_DIR:-}" && -x "${RL_RT:-}" ]]; then
		local root id
		for root in "$RL_DIR"/xdg/*/ "$RL_DIR"/state/; do
			[[ -d "$root" ]] || continue
			for id in $(as_user "$RL_RT" --root "$root" list -q 2>/dev/null); do
				as_user "$RL_RT" --root "$root" delete -f "$id" >/dev/null 2>&1
			done
		done
	fi
	[[ -n "${RL_DIR:-}" ]] && rm -rf "$RL_DIR"
	if id "$RL_USER" >/dev/null 2>&1; then
		local f sub
		for f in subuid subgid; do
			for sub in $(awk -F: -v u="$RL_USER" '$1 == u { print $2 "-" $2 + $3 - 1 }' /etc/$f); do
				usermod "--del-${f}s" "$sub" "$RL_USER"
			done
		done
		userdel "$RL_USER"
	fi
	return 0
}

setup() {
	# Each test's state root and bundle, under the user's dir.
	RL_ROOT="$RL_DIR/state"
	RL_BUNDLE="$RL_DIR/bundle-$BATS_TEST_NUMBER"
	mkdir -p "$RL_BUNDLE"
	cp -a "$ROOTFS_CACHE" "$RL_BUNDLE/rootfs"
	rm -f "$RL_BUNDLE/rootfs/.done"
	chown -R "$RL_UID:$RL_GID" "$RL_BUNDLE"
	as_user "$RL_RT" spec --rootless --bundle "$RL_BUNDLE"
	update_config -b "$RL_BUNDLE" '.process.terminal = false | .root.readonly = false'
	chown "$RL_UID:$RL_GID" "$RL_BUNDLE/config.json"
}

teardown() {
	local id
	for id in $(as_user "$RL_RT" --root "$RL_ROOT" list -q 2>/dev/null); do
		as_user "$RL_RT" --root "$RL_ROOT" delete -f "$id" >/dev/null 2>&1
	done
	rm -rf "$RL_BUNDLE"
}

# as_user CMD...: CMD as the test user, with its own XDG_RUNTIME_DIR and
# nothing else of root's environment.
as_user() {
	runuser -u "$RL_USER" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$RL_DIR" \
		XDG_RUNTIME_DIR="$RL_DIR/xdg" USER="$RL_USER" "$@"
}

# rl ARGS...: $RT as the test user, on this test's state root.
rl() {
	as_user "$RL_RT" --root "$RL_ROOT" "$@"
}

# wide_maps: root is the user, 1..65536 its subordinate ids (newuidmap).
wide_maps() {
	update_config -b "$RL_BUNDLE" '.linux.uidMappings = [{containerID: 0, hostID: $u, size: 1}, {containerID: 1, hostID: $su, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: $g, size: 1}, {containerID: 1, hostID: $sg, size: 65536}]' \
		--argjson u "$RL_UID" --argjson g "$RL_GID" --argjson su "$RL_SUBUID" --argjson sg "$RL_SUBGID"
}

@test "rootless: spec --rootless is the default config made rootless, with the caller's ids" {
	local d="$RL_DIR/spec-$BATS_TEST_NUMBER"
	mkdir -p "$d/plain" "$d/rootless"
	chown -R "$RL_UID:$RL_GID" "$d"
	as_user "$RL_RT" spec --bundle "$d/plain"
	as_user "$RL_RT" spec --rootless --bundle "$d/rootless"
	# runc's rules: a user namespace instead of a network one, the caller's
	# own ids mapped to root, /sys bound from the host, no uid=/gid=
	# options, no resources.
	jq -S --argjson u "$RL_UID" --argjson g "$RL_GID" '
		.linux.namespaces = ([.linux.namespaces[] | select(.type != "network" and .type != "user")] + [{type: "user"}])
		| .linux.uidMappings = [{containerID: 0, hostID: $u, size: 1}]
		| .linux.gidMappings = [{containerID: 0, hostID: $g, size: 1}]
		| .mounts = [.mounts[] | if .destination == "/sys"
			then {destination: "/sys", type: "none", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"]}
			else (if .options then .options = [.options[] | select(startswith("uid=") or startswith("gid=") | not)] else . end) end]
		| del(.linux.resources)' "$d/plain/config.json" >"$d/expected.json"
	run diff -u "$d/expected.json" <(jq -S . "$d/rootless/config.json")
	rm -rf "$d"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "rootless: run maps root onto the user's own ids, setgroups denied" {
	update_config -b "$RL_BUNDLE" '.process.args = ["sh", "-c", "id -u; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups"]'
	run rl run --bundle "$RL_BUNDLE" own-ids
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[[ "$(echo "${lines[1]}" | tr -s ' ')" == " 0 $RL_UID 1" ]]
	[[ "$(echo "${lines[2]}" | tr -s ' ')" == " 0 $RL_GID 1" ]]
	[ "${lines[3]}" = deny ]
}

@test "rootless: run -d, exec, state, list, kill, delete as the user" {
	update_config -b "$RL_BUNDLE" '.process.args = ["sleep", "1000"]'
	rl run -d --bundle "$RL_BUNDLE" life </dev/null >/dev/null 2>&1
	run rl state life
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .status)" = running ]
	local pid
	pid=$(echo "$output" | jq -r .pid)
	# The init runs as the user on the host.
	[ "$(stat -c %u "/proc/$pid")" = "$RL_UID" ]
	# The state lives in a dir of the user's.
	[ "$(stat -c %u "$RL_ROOT/life")" = "$RL_UID" ]
	run rl list -q
	[ "$output" = life ]
	run rl exec life sh -c 'id -u; cat /proc/self/uid_map'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[[ "$(echo "${lines[1]}" | tr -s ' ')" == " 0 $RL_UID 1" ]]
	rl kill life KILL
	wait_for_status_as_user life stopped
	rl delete life
	run rl list -q
	[ -z "$output" ]
	[ ! -e "$RL_ROOT/life" ]
}

@test "rootless: exec into a created container; its init's binary stays unwritable" {
	update_config -b "$RL_BUNDLE" '.process.args = ["sleep", "1000"]'
	rl create --bundle "$RL_BUNDLE" created </dev/null >/dev/null 2>&1
	[ "$(rl state created | jq -r .status)" = created ]
	run rl exec created sh -c 'echo in-created; if echo x >>/proc/1/exe; then echo written; fi'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = in-created ]
	[[ "$output" != *written* ]]
	rl start created
	[ "$(rl state created | jq -r .status)" = running ]
	rl delete -f created
}

# wait_for_status_as_user ID STATUS: poll rl state for up to 5 s.
wait_for_status_as_user() {
	local i
	for i in $(seq 50); do
		[ "$(rl state "$1" 2>/dev/null | jq -r .status)" = "$2" ] && return 0
		sleep 0.1
	done
	false
}

@test "rootless: the default --root is under \$XDG_RUNTIME_DIR, 0700 and sticky" {
	local name=runc
	is_rt && name=rt
	update_config -b "$RL_BUNDLE" '.process.args = ["sleep", "1000"]'
	as_user "$RL_RT" run -d --bundle "$RL_BUNDLE" xdg-root </dev/null >/dev/null 2>&1
	run stat -c '%u %A' "$RL_DIR/xdg/$name"
	[ "$output" = "$RL_UID drwx-----T" ]
	[ -f "$RL_DIR/xdg/$name/xdg-root/state.json" ]
	run as_user "$RL_RT" list -q
	[ "$output" = xdg-root ]
	as_user "$RL_RT" delete -f xdg-root
	[ ! -e "$RL_DIR/xdg/$name/xdg-root" ]
}

@test "rootless: 65536 subordinate ids mapped through newuidmap and newgidmap" {
	wide_maps
	update_config -b "$RL_BUNDLE" '.process.args = ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; touch /tmp/owned; chown 1000:1000 /tmp/owned"]
		| .process.capabilities.bounding += ["CAP_CHOWN"] | .process.capabilities.effective += ["CAP_CHOWN"]
		| .process.capabilities.permitted += ["CAP_CHOWN"]'
	run rl run --bundle "$RL_BUNDLE" wide
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$(echo "${lines[1]}" | tr -s ' ')" == " 1 $RL_SUBUID 65536" ]]
	[[ "$(echo "${lines[3]}" | tr -s ' ')" == " 1 $RL_SUBGID 65536" ]]
	# Container uid 1000 is host uid subuid+999.
	[ "$(stat -c '%u %g' "$RL_BUNDLE/rootfs/tmp/owned")" = "$((RL_SUBUID + 999)) $((RL_SUBGID + 999))" ]
}

@test "rootless: ids not granted in /etc/subuid are refused by newuidmap, nothing left" {
	update_config -b "$RL_BUNDLE" '.linux.uidMappings = [{containerID: 0, hostID: $u, size: 1}, {containerID: 1, hostID: 10, size: 100}]' --argjson u "$RL_UID"
	run rl run --bundle "$RL_BUNDLE" ungranted
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *newuidmap* ]]
	[ ! -e "$RL_ROOT/ungranted" ]
}

@test "rootless: a container without a user namespace is refused" {
	update_config -b "$RL_BUNDLE" '.linux.namespaces = [.linux.namespaces[] | select(.type != "user")] | del(.linux.uidMappings, .linux.gidMappings)'
	run rl run --bundle "$RL_BUNDLE" no-userns
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"rootless container requires user namespaces"* ]]
	[ ! -e "$RL_ROOT/no-userns" ]
}

@test "rootless: a uid= mount option the namespace does not map is refused" {
	update_config -b "$RL_BUNDLE" '.mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["uid=5"]}]'
	run rl run --bundle "$RL_BUNDLE" unmapped-opt
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot specify uid=5 mount option for rootless container: user namespaces enabled, but no mapping found for uid 5"* ]]
}

# host_cgroups_denied: the user can write no cgroup of this host (v1
# hierarchies owned by root, nothing delegated): what these tests need.
host_cgroups_denied() {
	[[ -d /sys/fs/cgroup/memory ]] || skip "needs a cgroup v1 memory hierarchy"
	! as_user test -w /sys/fs/cgroup/memory || skip "the user may write the memory cgroup"
}

@test "rootless: no cgroup is needed when no limit is asked for; the freezer then is not there" {
	host_cgroups_denied
	update_config -b "$RL_BUNDLE" '.process.args = ["sleep", "1000"]'
	rl run -d --bundle "$RL_BUNDLE" no-cgroup </dev/null >/dev/null 2>&1
	run rl pause no-cgroup
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot toggle freezer: cgroups not configured for container"* ]]
	[ "$(rl state no-cgroup | jq -r .status)" = running ]
	run rl update --memory 100M no-cgroup
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot set memory limit: container could not join or create cgroup"* ]]
	[ "$(rl state no-cgroup | jq -r .status)" = running ]
}

@test "rootless: a limit without a writable cgroup fails with runc's words, nothing left" {
	host_cgroups_denied
	update_config -b "$RL_BUNDLE" '.process.args = ["sleep", "1000"] | .linux.resources = {memory: {limit: 100000000}}'
	run rl run -d --bundle "$RL_BUNDLE" limited
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot set memory limit: container could not join or create cgroup"* ]]
	[ ! -e "$RL_ROOT/limited" ]
}

@test "rootless: an explicit cgroupsPath must be writable; --rootless false makes every cgroup error count" {
	host_cgroups_denied
	update_config -b "$RL_BUNDLE" '.process.args = ["true"] | .linux.cgroupsPath = "/rt-rootless-denied"'
	run rl run --bundle "$RL_BUNDLE" explicit-cg
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/rt-rootless-denied: permission denied"* ]]
	update_config -b "$RL_BUNDLE" 'del(.linux.cgroupsPath)'
	run as_user "$RL_RT" --root "$RL_ROOT" --rootless false run --bundle "$RL_BUNDLE" not-rootless
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"permission denied"* ]]
	[ ! -e "$RL_ROOT/not-rootless" ]
	[ ! -e "$RL_ROOT/explicit-cg" ]
}

@test "rootless: --rootless takes true, false or auto" {
	run as_user "$RL_RT" --root "$RL_ROOT" --rootless xyz run --bundle "$RL_BUNDLE" bad-flag
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *strconv.ParseBool*xyz*"invalid syntax"* ]]
	update_config -b "$RL_BUNDLE" '.process.args = ["true"]'
	as_user "$RL_RT" --root "$RL_ROOT" --rootless true run --bundle "$RL_BUNDLE" flag-true
}

@test "rootless: devices are bind mounts of the host's nodes" {
	update_config -b "$RL_BUNDLE" '.process.args = ["sh", "-c", "stat -c \"%u %t:%T\" /dev/null; echo x >/dev/null"]'
	run rl run --bundle "$RL_BUNDLE" devs
	echo "$output"
	[ "$status" -eq 0 ]
	# The host's root-owned node, seen through the namespace: unmapped
	# ids read as the overflow uid. A node made in it would be root's (0).
	[ "${lines[0]}" = "$(cat /proc/sys/kernel/overflowuid) 1:3" ]
}

@test "rootless: a sysctl of a namespace the user does not own is refused" {
	update_config -b "$RL_BUNDLE" '.process.args = ["true"] | .linux.sysctl = {"kernel.domainname": "x"}'
	run rl run --bundle "$RL_BUNDLE" sysctl-uts
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *kernel.domainname*"permission denied"* ]]
	[ ! -e "$RL_ROOT/sysctl-uts" ]
}

@test "rootless: --rootless true as root runs a normal container" {
	common_setup
	make_bundle
	set_args sh -c 'echo ok'
	run rt --rootless true run --bundle "$BUNDLE" root-rootless
	common_teardown
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
}

@test "rootless: --systemd-cgroup on a host whose init is not systemd is refused with runc's line, nothing left" {
	# With systemd as PID 1 it is the user's systemd: rootless_systemd.bats.
	[[ ! -d /run/systemd/system ]] || skip "systemd runs this host"
	update_config -b "$RL_BUNDLE" '.process.args = ["true"]'
	run as_user "$RL_RT" --root "$RL_ROOT" --systemd-cgroup run --bundle "$RL_BUNDLE" user-systemd
	echo "$output"
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"systemd not running on this host, cannot use systemd cgroups manager"* ]]
	[ ! -e "$RL_ROOT/user-systemd" ]
}

@test "rootless: without \$XDG_RUNTIME_DIR the default root is root's /run dir, and create says it may not write there" {
	local name=runc
	is_rt && name=rt
	update_config -b "$RL_BUNDLE" '.process.args = ["true"]'
	run runuser -u "$RL_USER" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$RL_DIR" USER="$RL_USER" \
		"$RL_RT" run --bundle "$RL_BUNDLE" no-xdg
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/run/$name"*"permission denied"* ]]
}
