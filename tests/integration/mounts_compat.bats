#!/usr/bin/env bats
# Mount behaviour measured against runc 1.5: no mount namespace, masked
# paths, tmpfs modes, a read-only /dev, bind flags.

load helpers

teardown() {
	# The test's own sshd (start_sshfs), by its pid, before the mounts go.
	if [[ -n "${SSHD_PID:-}" ]]; then
		kill "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
	fi
	common_teardown
}

# start_sshfs DIR: a read-only sshfs (fuse) mount of DIR/export at DIR/mnt,
# served by an sshd of the test's own on 127.0.0.1, with a throwaway host
# key and client key in DIR. Skips where fuse, sshfs or sshd is missing.
start_sshfs() {
	local d="$1" port i
	[[ -c /dev/fuse ]] || skip "no /dev/fuse"
	command -v sshfs >/dev/null && [[ -x /usr/sbin/sshd ]] || skip "sshfs or sshd not installed"
	mkdir -p "$d/export" "$d/mnt"
	[[ -d /run/sshd ]] || mkdir -p /run/sshd # sshd's privilege separation dir
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
	ssh-keygen -q -t ed25519 -N '' -f "$d/id"
	cp "$d/id.pub" "$d/authorized_keys"
	for i in 1 2 3; do
		port=$((20000 + RANDOM % 30000))
		/usr/sbin/sshd -D -e -f /dev/null -p "$port" -o ListenAddress=127.0.0.1 -h "$d/host_key" \
			-o AuthorizedKeysFile="$d/authorized_keys" -o StrictModes=no -o PidFile=none \
			-o "Subsystem=sftp internal-sftp" </dev/null >/dev/null 2>"$d/sshd.log" 3>&- &
		SSHD_PID=$!
		sleep 0.5
		if timeout 20 sshfs -o ro,IdentityFile="$d/id",StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null,BatchMode=yes,port="$port" \
			root@127.0.0.1:"$d/export" "$d/mnt" </dev/null 3>&-; then
			return 0
		fi
		kill "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
		SSHD_PID=
	done
	cat "$d/sshd.log" >&2
	return 1
}

# no_mount_ns: drop the mount namespace and everything that would need
# one (runc refuses masked and read-only paths without it too).
no_mount_ns() {
	remove_namespace mount
	update_config '.mounts = [] | .linux.maskedPaths = [] | .linux.readonlyPaths = []'
}

@test "no mount namespace: the process is chrooted in the rootfs, nothing is mounted, the hooks run" {
	make_bundle
	no_mount_ns
	local log="$BATS_TEST_TMPDIR/hooklog"
	update_config '.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", "echo createRuntime >>" + $l]}] |
		.hooks.createContainer = [{path: "/bin/sh", args: ["sh", "-c", "echo createContainer >>" + $l]}] |
		.hooks.startContainer = [{path: "/bin/sh", args: ["sh", "-c", "echo startContainer >/started"]}]' --arg l "$log"
	touch "$BUNDLE/rootfs/in-rootfs"
	set_args sh -c 'ls /in-rootfs >/tmp/seen && sleep 100'
	create_container m-nomnt
	pid=$(container_pid m-nomnt)
	# The host's mount namespace, and not one mount more in it (runc
	# binds the rootfs onto itself there, and leaves it behind).
	[ "$(readlink "/proc/$pid/ns/mnt")" = "$(readlink /proc/self/ns/mnt)" ]
	if is_rt; then
		[ -z "$(grep -F "$BUNDLE" /proc/self/mountinfo)" ]
	fi
	[ "$(cat "$log")" = "createRuntime
createContainer" ]
	rt start m-nomnt
	wait_for_file "$BUNDLE/rootfs/tmp/seen"
	[ "$(cat "$BUNDLE/rootfs/tmp/seen")" = /in-rootfs ]
	[ "$(cat "$BUNDLE/rootfs/started")" = startContainer ]
	rt delete --force m-nomnt
	is_rt || umount "$BUNDLE/rootfs"
	assert_nothing_left m-nomnt
}

@test "no mount namespace: masked paths are refused with runc's message" {
	make_bundle
	remove_namespace mount
	update_config '.mounts = [] | .linux.readonlyPaths = []'
	run -1 create_container m-nomnt-mask
	grep -F 'unable to restrict sys entries without a private MNT namespace' "$BATS_TEST_TMPDIR/m-nomnt-mask.err"
	assert_nothing_left m-nomnt-mask
}

@test "no mount namespace: mounts are refused rather than made on the host" {
	requires_rt # runc makes them in the host's mount namespace and leaves them there
	make_bundle
	no_mount_ns
	update_config '.mounts = [{destination: "/tmp", type: "tmpfs", source: "tmpfs"}]'
	run --separate-stderr rt run --bundle "$BUNDLE" m-nomnt-mounts
	assert_one_error_line
	[[ "$stderr" == *'mounts[0] (/tmp): without a mount namespace of its own'* ]]
	assert_nothing_left m-nomnt-mounts
}

@test "no mount namespace: exec runs in the container's rootfs too" {
	requires_rt # runc's exec runs in the host's /
	make_bundle
	no_mount_ns
	touch "$BUNDLE/rootfs/in-rootfs"
	set_args sleep 100
	run_detached m-nomnt-exec
	run rt exec m-nomnt-exec ls /in-rootfs
	[ "$status" -eq 0 ]
	[ "$output" = /in-rootfs ]
	rt delete --force m-nomnt-exec
	assert_nothing_left m-nomnt-exec
}

@test "masked paths: directories share one read-only tmpfs, duplicates are harmless" {
	make_bundle
	mkdir -p "$BUNDLE/rootfs/m1" "$BUNDLE/rootfs/m2"
	touch "$BUNDLE/rootfs/m1/secret" "$BUNDLE/rootfs/mfile"
	echo hidden >"$BUNDLE/rootfs/mfile"
	update_config '.linux.maskedPaths += ["/m1", "/m2", "/m1", "/m2/", "/mfile", "/mfile", "/not-there"]'
	set_args sh -c 'cat /proc/self/mountinfo; ls -A /m1; cat /mfile; touch /m1/x 2>/dev/null && echo writable; true'
	run rt run --bundle "$BUNDLE" m-masks
	[ "$status" -eq 0 ]
	# One mount on each, the same superblock under both.
	[ "$(awk '$5 == "/m1"' <<<"$output" | wc -l)" -eq 1 ]
	[ "$(awk '$5 == "/m2"' <<<"$output" | wc -l)" -eq 1 ]
	[ "$(awk '$5 == "/mfile"' <<<"$output" | wc -l)" -eq 1 ]
	dev1=$(awk '$5 == "/m1" {print $3}' <<<"$output")
	[ "$dev1" = "$(awk '$5 == "/m2" {print $3}' <<<"$output")" ]
	read -r -a f <<<"$(awk '$5 == "/m1"' <<<"$output")"
	[[ "${f[5]}" == ro,* ]]
	[ "${f[-3]}" = tmpfs ]
	[[ ",${f[-1]}," == *,ro,* ]]
	# Empty, unreadable content, not writable.
	[[ "$output" != *secret* ]]
	[[ "$output" != *hidden* ]]
	[[ "$output" != *writable* ]]
	assert_nothing_left m-masks
}

@test "/dev mounted read-only by the config: devices, devpts and links still work" {
	make_bundle
	update_config '.mounts |= map(if .destination == "/dev" then .options += ["ro"] else . end)'
	set_args sh -c 'grep " /dev " /proc/self/mountinfo; echo x >/dev/null && echo null-ok; head -c 4 /dev/zero | wc -c; ls /dev/pts; readlink /dev/ptmx; readlink /dev/stdout; touch /dev/new 2>/dev/null || echo dev-ro'
	run rt run --bundle "$BUNDLE" m-devro
	[ "$status" -eq 0 ]
	read -r -a f <<<"${lines[0]}"
	[[ ",${f[5]}," == *,ro,* ]]
	[[ ",${f[5]}," == *,nosuid,* ]]
	[ "${lines[1]}" = null-ok ]
	[ "${lines[2]}" = 4 ]
	[ "${lines[3]}" = ptmx ]
	[ "${lines[4]}" = pts/ptmx ]
	[ "${lines[5]}" = /proc/self/fd/1 ]
	[ "${lines[6]}" = dev-ro ]
	assert_nothing_left m-devro
}

@test "tmpfs without mode= takes every mode bit of the directory it covers; mode= holds, also on a second run" {
	make_bundle
	mkdir -p "$BUNDLE/rootfs/t1" "$BUNDLE/rootfs/t2" "$BUNDLE/rootfs/t3"
	chmod 3751 "$BUNDLE/rootfs/t1"
	chmod 1777 "$BUNDLE/rootfs/t2"
	chmod 755 "$BUNDLE/rootfs/t3"
	update_config '.mounts += [{destination: "/t1", type: "tmpfs", source: "tmpfs"},
		{destination: "/t2", type: "tmpfs", source: "tmpfs", options: ["nosuid"]},
		{destination: "/t3", type: "tmpfs", source: "tmpfs", options: ["mode=1700"]}]'
	set_args stat -c '%a %n' /t1 /t2 /t3
	local i
	for i in 1 2; do
		run rt run --bundle "$BUNDLE" m-tmpfsmode
		[ "$status" -eq 0 ]
		[ "$output" = "3751 /t1
1777 /t2
1700 /t3" ]
		# The directories under the tmpfs are untouched.
		[ "$(stat -c %a "$BUNDLE/rootfs/t1" "$BUNDLE/rootfs/t3")" = "3751
755" ]
	done
	assert_nothing_left m-tmpfsmode
}

@test "mounts in order: a later bind takes an earlier mount inside the container as its source" {
	make_bundle
	update_config '.mounts += [{destination: "/a", type: "tmpfs", source: "tmpfs"},
		{destination: "/b", type: "bind", source: ($r + "/a"), options: ["rbind"]}]' --arg r "$BUNDLE/rootfs"
	touch "$BUNDLE/rootfs/a-under-tmpfs"
	mkdir -p "$BUNDLE/rootfs/a"
	touch "$BUNDLE/rootfs/a/covered"
	set_args sh -c 'echo hi >/a/new; cat /b/new; ls /b; grep -E " /(a|b) " /proc/self/mountinfo'
	run rt run --bundle "$BUNDLE" m-order
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hi ]
	[ "${lines[1]}" = new ]
	# The same tmpfs under both, not the rootfs's covered directory.
	[ "$(awk '$5 == "/a" {print $3}' <<<"$output")" = "$(awk '$5 == "/b" {print $3}' <<<"$output")" ]
	[ ! -e "$BUNDLE/rootfs/a/new" ]
	assert_nothing_left m-order
}

@test "a destination through a dangling symlink is created where the link points, inside the rootfs" {
	make_bundle
	ln -s /nonexistent/dir "$BUNDLE/rootfs/link"
	ln -s ../missing2 "$BUNDLE/rootfs/tmp/rel"
	update_config '.mounts += [{destination: "/link/sub", type: "tmpfs", source: "tmpfs"},
		{destination: "/tmp/rel/x", type: "tmpfs", source: "tmpfs"}]'
	set_args sh -c 'grep -E " /(nonexistent/dir/sub|missing2/x) " /proc/self/mountinfo | cut -d" " -f5'
	run rt run --bundle "$BUNDLE" m-dangling
	[ "$status" -eq 0 ]
	[ "$output" = "/nonexistent/dir/sub
/missing2/x" ]
	[ -d "$BUNDLE/rootfs/nonexistent/dir/sub" ]
	[ -d "$BUNDLE/rootfs/missing2/x" ]
	[ -L "$BUNDLE/rootfs/link" ]
	assert_nothing_left m-dangling
}

# locked_src [nosub]: a tmpfs at $SRC mounted ro,nosuid,nodev,noexec,noatime
# (teardown unmounts it), with a submount at $SRC/sub unless nosub (a
# user namespace cannot bind a tree with locked submounts non-recursively).
locked_src() {
	SRC="$BATS_TEST_TMPDIR/src"
	mkdir -p "$SRC"
	mount -t tmpfs -o size=1m tmpfs "$SRC"
	if [[ "${1:-}" != nosub ]]; then
		mkdir "$SRC/sub"
		mount -t tmpfs -o size=1m tmpfs "$SRC/sub"
	fi
	mount -o remount,ro,nosuid,nodev,noexec,noatime "$SRC"
	chmod o+x "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/test" "$BATS_TEST_TMPDIR"
	set_args cat /proc/self/mountinfo
}

# bind_mounts DEST:OPTS...: a bind of $SRC at each /DEST with those options.
bind_mounts() {
	local m d o
	for m in "$@"; do
		d=${m%%:*} o=${m#*:}
		mkdir -p "$BUNDLE/rootfs/$d" # the mapped root of a user namespace could not
		update_config '.mounts += [{destination: $d, type: "bind", source: $s, options: ($o | split(","))}]' \
			--arg d "/$d" --arg s "$SRC" --arg o "$o"
	done
}

# bind_opts: per-mount options of /m* and /r* in the container, "DEST OPTS" a line.
bind_opts() {
	rt run --bundle "$BUNDLE" "$1" | awk '$5 ~ /^\/[mr][0-9](\/sub)?$/ {print $5, $6}' | sort
}

@test "bind flags as runc sets them: the config's flags exactly, the source's only for a plain bind" {
	make_bundle
	locked_src
	bind_mounts m1:bind m2:bind,nosuid m3:bind,rw,dev,suid,exec,atime m4:bind,strictatime \
		m5:bind,relatime,rw m6:bind,nodiratime m7:bind,symfollow m8:bind,nosymfollow
	run bind_opts m-bindflags
	[ "$status" -eq 0 ]
	[ "$output" = "/m1 ro,nosuid,nodev,noexec,noatime
/m2 rw,nosuid,noatime
/m3 rw,noatime
/m4 rw
/m5 rw,relatime
/m6 rw,nodiratime,relatime
/m7 rw,noatime
/m8 rw,noatime,nosymfollow" ]
	assert_nothing_left m-bindflags
}

@test "bind flags in a user namespace: flags locked on the source are kept, clearing one fails" {
	make_bundle
	locked_src nosub
	add_namespace user
	update_config '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .mounts |= map(select(.type != "cgroup"))'
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/base.json"
	bind_mounts m1:bind m2:bind,nosuid m7:bind,symfollow m8:bind,nosymfollow
	run bind_opts m-bindlocked
	[ "$status" -eq 0 ]
	[ "$output" = "/m1 ro,nosuid,nodev,noexec,noatime
/m2 ro,nosuid,nodev,noexec,noatime
/m7 ro,nosuid,nodev,noexec,noatime
/m8 ro,nosuid,nodev,noexec,noatime,nosymfollow" ]
	local bad
	for bad in m3:bind,rw m4:bind,strictatime m5:bind,dev; do
		cp "$BATS_TEST_TMPDIR/base.json" "$BUNDLE/config.json"
		bind_mounts "$bad"
		run --separate-stderr rt run --bundle "$BUNDLE" m-bindlocked2
		[ "$status" -ne 0 ]
		[[ "$stderr" == *"cannot c"*"locked"* ]]
		assert_nothing_left m-bindlocked2
	done
	assert_nothing_left m-bindlocked
}

@test "rro, rnosuid, rnoexec apply to every mount of an rbind; ro only to the top one" {
	make_bundle
	locked_src
	mount -o remount,rw,suid,dev,exec "$SRC"
	bind_mounts r1:rbind,ro r2:rbind,rro,rnosuid,rnoexec
	run bind_opts m-rro
	[ "$status" -eq 0 ]
	[[ "$(awk '$1 == "/r1" {print $2}' <<<"$output")" == ro,* ]]
	[[ "$(awk '$1 == "/r1/sub" {print $2}' <<<"$output")" == rw,* ]]
	local o
	for o in "$(awk '$1 == "/r2" {print $2}' <<<"$output")" "$(awk '$1 == "/r2/sub" {print $2}' <<<"$output")"; do
		[[ ",$o," == ,ro,*nosuid*noexec* ]]
	done
	assert_nothing_left m-rro
}

@test "readonly paths: read-only, their other flags as the mount they are in (runc's)" {
	make_bundle
	set_args cat /proc/self/mountinfo
	local np
	for np in "" --no-pivot; do
		run rt run $np --bundle "$BUNDLE" m-ropaths
		[ "$status" -eq 0 ]
		[ "$(awk '$5 == "/proc/sys" {print $6}' <<<"$output")" = ro,relatime ]
		[ "$(awk '$5 == "/proc/bus" {print $6}' <<<"$output")" = ro,relatime ]
	done
	assert_nothing_left m-ropaths
}

@test "user namespace: a bind source the mapped root cannot reach is opened by the runtime" {
	make_bundle
	chmod o+x "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/test" "$BATS_TEST_TMPDIR"
	add_namespace user
	update_config '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .mounts |= map(select(.type != "cgroup"))'
	# Only the host's root may enter the directory that holds the source.
	mkdir -p "$BATS_TEST_TMPDIR/private/data" "$BUNDLE/rootfs/data"
	chmod 700 "$BATS_TEST_TMPDIR/private"
	chmod 755 "$BATS_TEST_TMPDIR/private/data"
	echo reached >"$BATS_TEST_TMPDIR/private/data/file"
	chmod 644 "$BATS_TEST_TMPDIR/private/data/file"
	update_config '.mounts += [{destination: "/data", type: "bind", source: $s, options: ["rbind", "ro"]}]' \
		--arg s "$BATS_TEST_TMPDIR/private/data"
	set_args cat /data/file
	run rt run --bundle "$BUNDLE" m-userns-src
	[ "$status" -eq 0 ]
	[ "$output" = reached ]
	assert_nothing_left m-userns-src
}

@test "bind flags of a read-only fuse (sshfs) mount: a plain bind keeps them, given flags replace them" {
	make_bundle
	local d="$BATS_TEST_TMPDIR/ssh"
	start_sshfs "$d"
	[[ "$(awk -v m="$d/mnt" '$5 == m {print $6}' /proc/self/mountinfo)" == ro,nosuid,nodev,* ]]
	SRC="$d/mnt"
	bind_mounts m1:bind m2:bind,nosuid m3:bind,rw,dev m4:rbind,noexec
	set_args cat /proc/self/mountinfo
	run bind_opts m-fuse
	[ "$status" -eq 0 ]
	[ "$output" = "/m1 ro,nosuid,nodev,relatime
/m2 rw,nosuid,relatime
/m3 rw,relatime
/m4 rw,noexec,relatime" ]
	assert_nothing_left m-fuse
}
