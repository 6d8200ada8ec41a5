#!/usr/bin/env bats
# Idmapped mounts: mounts[].uidMappings/gidMappings and the idmap/ridmap
# options, on a tmpfs and on an ext4 loop image. Owners are read from
# inside the container (stat through the mapped mount) and from outside
# (the same files on the host).

load helpers

setup() {
	common_setup
	SRC="$BATS_TEST_TMPDIR/src"
	LOOP_FILE="$BATS_TEST_TMPDIR/loopdev"
}

teardown() {
	# Read before common_teardown empties the test dir; detached after it
	# unmounted the image (a still busy device goes with its last user).
	local loop=""
	[[ -s "$LOOP_FILE" ]] && loop=$(cat "$LOOP_FILE")
	common_teardown
	if [[ -n "$loop" ]]; then
		losetup -d "$loop" || echo "teardown: losetup -d $loop failed" >&2
	fi
	return 0
}

# make_source FS: $SRC on a fresh tmpfs or ext4 loop image, holding
# f (owner 5:6), d/ (7:8) and a root dir owned 0:0.
make_source() {
	mkdir -p "$SRC"
	case "$1" in
	tmpfs)
		mount -t tmpfs -o mode=0755 "idmap-test" "$SRC"
		;;
	ext4)
		truncate -s 32M "$BATS_TEST_TMPDIR/ext4.img"
		mkfs.ext4 -q -F "$BATS_TEST_TMPDIR/ext4.img"
		losetup --find --show "$BATS_TEST_TMPDIR/ext4.img" >"$LOOP_FILE"
		mount -t ext4 "$(cat "$LOOP_FILE")" "$SRC"
		chmod 0755 "$SRC"
		rm -rf "$SRC/lost+found"
		;;
	esac
	touch "$SRC/f"
	chown 5:6 "$SRC/f"
	mkdir "$SRC/d"
	chown 7:8 "$SRC/d"
}

# userns_bundle: the container gets a new user namespace, root = host 300000.
userns_bundle() {
	# The mapped root (host uid 300000) must be able to reach the rootfs.
	chmod o+x "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/test" "$BATS_TEST_TMPDIR"
	# ... and make the mount points in it.
	chown -R -h 300000:300000 "$BUNDLE/rootfs"
	add_namespace user
	update_config '.linux.uidMappings = [{containerID: 0, hostID: 300000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 300000, size: 65536}]'
}

# add_mount DEST OPTIONS_JSON [UIDMAPS_JSON GIDMAPS_JSON]: a bind of $SRC.
add_mount() {
	local m
	m=$(jq -n --arg s "$SRC" --arg d "$1" --argjson o "$2" '{source: $s, destination: $d, type: "bind", options: $o}')
	if [[ $# -ge 4 ]]; then
		m=$(jq --argjson u "$3" --argjson g "$4" '. + {uidMappings: $u, gidMappings: $g}' <<<"$m")
	fi
	update_config '.mounts += [$m]' --argjson m "$m"
}

maps() { jq -n --argjson c "$1" --argjson h "$2" --argjson s "$3" '[{containerID: $c, hostID: $h, size: $s}]'; }

no_userns_maps() {
	make_source "$1"
	make_bundle
	add_mount /mnt/a '["bind"]' "$(maps 0 100000 65536)" "$(maps 0 200000 65536)"
	add_mount /mnt/plain '["bind"]'
	set_args sh -c 'stat -c %u:%g /mnt/a /mnt/a/f /mnt/a/d /mnt/plain/f'
	run rt run --bundle "$BUNDLE" idm-nouserns
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 100000:200000 ]
	[ "${lines[1]}" = 100005:200006 ]
	[ "${lines[2]}" = 100007:200008 ]
	[ "${lines[3]}" = 5:6 ]
	# The files themselves are unchanged.
	[ "$(stat -c %u:%g "$SRC/f")" = 5:6 ]
	assert_nothing_left idm-nouserns
}

@test "idmapped bind without a user namespace, the mount's maps (tmpfs)" {
	no_userns_maps tmpfs
}

@test "idmapped bind without a user namespace, the mount's maps (ext4)" {
	no_userns_maps ext4
}

# The container's root writes through a mount mapped with the container's
# own maps: files land on disk owned by the ids it sees.
userns_implied() {
	make_source "$1"
	make_bundle
	userns_bundle
	add_mount /mnt/a '["bind", "idmap"]'
	add_mount /mnt/plain '["bind"]'
	update_config '.process.capabilities |= with_entries(.value += ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER"])'
	set_args sh -c 'stat -c %u:%g /mnt/a /mnt/a/f /mnt/a/d /mnt/plain/f
		echo x >/mnt/a/new && mkdir /mnt/a/newdir && touch /mnt/a/d/g && chown 1000:2000 /mnt/a/d/g && echo written'
	run rt run --bundle "$BUNDLE" idm-implied
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0:0 ]
	[ "${lines[1]}" = 5:6 ]
	[ "${lines[2]}" = 7:8 ]
	# Without the idmap the same files belong to nobody in the container.
	[ "${lines[3]}" = 65534:65534 ]
	[ "${lines[4]}" = written ]
	[ "$(stat -c %u:%g "$SRC/new")" = 0:0 ]
	[ "$(stat -c %u:%g "$SRC/newdir")" = 0:0 ]
	[ "$(stat -c %u:%g "$SRC/d/g")" = 1000:2000 ]
	assert_nothing_left idm-implied
}

@test "user namespace: idmap takes the container's maps, writes land unmapped (tmpfs)" {
	userns_implied tmpfs
}

@test "user namespace: idmap takes the container's maps, writes land unmapped (ext4)" {
	userns_implied ext4
}

@test "several idmapped mounts with the same and different maps, with a user namespace" {
	make_source ext4
	make_bundle
	userns_bundle
	add_mount /mnt/c1 '["bind"]' "$(maps 0 301000 1000)" "$(maps 0 302000 1000)"
	add_mount /mnt/c2 '["rbind", "ridmap"]' "$(maps 0 301000 1000)" "$(maps 0 302000 1000)"
	add_mount /mnt/own '["bind", "idmap"]'
	add_mount /mnt/other '["bind"]' "$(maps 0 310000 10)" "$(maps 0 310000 10)"
	# A file, as engines bind /etc/hosts: the target is made as a file.
	SRC="$SRC/f" add_mount /etc/fmapped '["rbind", "rprivate"]' "$(maps 0 301000 1000)" "$(maps 0 302000 1000)"
	set_args sh -c 'stat -c %u:%g /mnt/c1/f /mnt/c2/f /mnt/own/f /mnt/other/f /mnt/other/d; stat -c "%u:%g %F" /etc/fmapped'
	run rt run --bundle "$BUNDLE" idm-several
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1005:2006 ]
	[ "${lines[1]}" = 1005:2006 ]
	[ "${lines[2]}" = 5:6 ]
	[ "${lines[3]}" = 10005:10006 ]
	[ "${lines[4]}" = 10007:10008 ]
	[ "${lines[5]}" = "1005:2006 regular empty file" ]
	[ "$(stat -c %u:%g "$SRC/f")" = 5:6 ]
	assert_nothing_left idm-several
}

@test "rbind with ridmap maps the submounts, with idmap only the top, bind takes no submount" {
	make_source tmpfs
	mkdir "$SRC/sub"
	mount -t tmpfs -o mode=0755 idmap-sub "$SRC/sub"
	touch "$SRC/sub/g"
	chown 9:10 "$SRC/sub/g"
	make_bundle
	add_mount /mnt/r '["rbind", "ridmap"]' "$(maps 0 100000 65536)" "$(maps 0 100000 65536)"
	add_mount /mnt/i '["rbind", "idmap"]' "$(maps 0 100000 65536)" "$(maps 0 100000 65536)"
	add_mount /mnt/n '["bind", "idmap"]' "$(maps 0 100000 65536)" "$(maps 0 100000 65536)"
	set_args sh -c 'stat -c %u:%g /mnt/r/f /mnt/r/sub/g /mnt/i/f /mnt/i/sub/g /mnt/n/f; ls -A /mnt/n/sub | wc -l'
	run rt run --bundle "$BUNDLE" idm-rec
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 100005:100006 ]
	[ "${lines[1]}" = 100009:100010 ]
	[ "${lines[2]}" = 100005:100006 ]
	[ "${lines[3]}" = 9:10 ]
	[ "${lines[4]}" = 100005:100006 ]
	[ "${lines[5]}" = 0 ]
	assert_nothing_left idm-rec
}

@test "idmapped mount with flags and propagation: ro, shared, private" {
	make_source tmpfs
	make_bundle
	add_mount /mnt/ro '["bind", "ro", "nosuid", "idmap", "shared"]' "$(maps 0 100000 65536)" "$(maps 0 100000 65536)"
	add_mount /mnt/rw '["rbind", "ridmap", "private"]' "$(maps 0 100000 65536)" "$(maps 0 100000 65536)"
	# Host uid 100000 is the mapped owner of the source's root dir.
	update_config '.process.user = {uid: 100000, gid: 100000}'
	set_args sh -c 'stat -c %u /mnt/ro/f /mnt/rw/f
		touch /mnt/ro/x 2>/dev/null && echo ro-writable || echo ro-refused
		touch /mnt/rw/x 2>/dev/null && echo rw-writable || echo rw-refused
		grep " /mnt/ro " /proc/self/mountinfo; grep " /mnt/rw " /proc/self/mountinfo'
	run rt run --bundle "$BUNDLE" idm-flags
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 100005 ]
	[ "${lines[1]}" = 100005 ]
	[ "${lines[2]}" = ro-refused ]
	[ "${lines[3]}" = rw-writable ]
	[ "$(stat -c %u:%g "$SRC/x")" = 0:0 ]
	[[ "${lines[4]}" == *" /mnt/ro "*ro,nosuid*" shared:"* ]]
	[[ "${lines[4]}" == *idmapped* ]]
	[[ "${lines[5]}" != *"shared:"* && "${lines[5]}" != *"master:"* ]]
	[[ "${lines[5]}" == *idmapped* ]]
	assert_nothing_left idm-flags
}

@test "idmapped mount with a relative destination goes under / (with runc's warning)" {
	make_source tmpfs
	make_bundle
	add_mount mnt/rel '["bind"]' "$(maps 0 100000 65536)" "$(maps 0 100000 65536)"
	set_args stat -c %u:%g /mnt/rel/f
	run --separate-stderr rt run --bundle "$BUNDLE" idm-rel
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"mount destination mnt/rel is not absolute"* ]]
	[ "$output" = 100005:100006 ]
	assert_nothing_left idm-rel
}

@test "idmap in a container joining another's user namespace uses that namespace" {
	make_source ext4
	make_bundle "$BATS_TEST_TMPDIR/a"
	BUNDLE="$BATS_TEST_TMPDIR/a" userns_bundle
	set_args -b "$BATS_TEST_TMPDIR/a" sleep 100
	run_detached idm-owner "$BATS_TEST_TMPDIR/a"
	apid=$(container_pid idm-owner)

	make_bundle
	chown -R -h 300000:300000 "$BUNDLE/rootfs"
	add_namespace user "/proc/$apid/ns/user"
	update_config 'del(.linux.uidMappings) | del(.linux.gidMappings)'
	add_mount /mnt/a '["rbind", "ridmap"]'
	set_args sh -c 'cat /proc/self/uid_map; stat -c %u:%g /mnt/a/f /mnt/a/d'
	run rt run --bundle "$BUNDLE" idm-joiner
	[ "$status" -eq 0 ]
	read -r -a u <<<"${lines[0]}"
	[ "${u[*]}" = "0 300000 65536" ]
	[ "${lines[1]}" = 5:6 ]
	[ "${lines[2]}" = 7:8 ]
	rt delete --force idm-owner
	assert_nothing_left idm-joiner
	assert_nothing_left idm-owner "$BATS_TEST_TMPDIR/a"
}

@test "no mount fd, user namespace fd or helper process outlives create" {
	make_source tmpfs
	make_bundle
	userns_bundle
	add_mount /mnt/a '["bind", "idmap"]'
	add_mount /mnt/b '["bind"]' "$(maps 0 301000 1000)" "$(maps 0 301000 1000)"
	set_args sleep 100
	create_container idm-fds
	pid=$(container_pid idm-fds)
	# The init holds stdio and rt's fifos, nothing that names a namespace
	# or a detached mount.
	run ls -l "/proc/$pid/fd"
	[ "$status" -eq 0 ]
	[[ "$output" != *"user:["* && "$output" != *"mnt:["* ]]
	[[ "$output" != *"$SRC"* ]]
	if is_rt; then
		# The user namespace helpers (argv[0] rt-userns) were reaped.
		run pgrep -x rt-userns
		[ "$status" -ne 0 ]
	fi
	rt start idm-fds
	run rt exec idm-fds stat -c %u:%g /mnt/a/f /mnt/b/f
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 5:6 ]
	[ "${lines[1]}" = 1005:1006 ]
	rt delete --force idm-fds
	assert_nothing_left idm-fds
}

@test "invalid idmapped mounts fail create with runc's words" {
	make_source tmpfs
	make_bundle
	set_args true
	update_config '.mounts += [{source: "tmpfs", destination: "/mnt/t", type: "tmpfs", uidMappings: $m, gidMappings: $m}]' --argjson m "$(maps 0 100000 10)"
	run --separate-stderr rt run --bundle "$BUNDLE" idm-bad1
	assert_one_error_line
	[[ "$stderr" == *"id-mapped mounts are only supported for bind-mounts"* ]]
	assert_nothing_left idm-bad1

	make_bundle "$BATS_TEST_TMPDIR/b2"
	set_args -b "$BATS_TEST_TMPDIR/b2" true
	BUNDLE="$BATS_TEST_TMPDIR/b2" add_mount /mnt/a '["bind"]' "$(maps 0 100000 10)" '[]'
	run --separate-stderr rt run --bundle "$BATS_TEST_TMPDIR/b2" idm-bad2
	assert_one_error_line
	[[ "$stderr" == *"id-mapped mounts must have both uid and gid mappings specified"* ]]
	assert_nothing_left idm-bad2 "$BATS_TEST_TMPDIR/b2"

	# idmap without maps and without a user namespace to take them from.
	make_bundle "$BATS_TEST_TMPDIR/b3"
	set_args -b "$BATS_TEST_TMPDIR/b3" true
	BUNDLE="$BATS_TEST_TMPDIR/b3" add_mount /mnt/a '["bind", "idmap"]'
	run --separate-stderr rt run --bundle "$BATS_TEST_TMPDIR/b3" idm-bad3
	assert_one_error_line
	[[ "$stderr" == *"id-mapped mounts must have both uid and gid mappings specified"* ]]
	assert_nothing_left idm-bad3 "$BATS_TEST_TMPDIR/b3"

	# A source that does not exist.
	make_bundle "$BATS_TEST_TMPDIR/b4"
	set_args -b "$BATS_TEST_TMPDIR/b4" true
	SRC="$BATS_TEST_TMPDIR/nonexistent" BUNDLE="$BATS_TEST_TMPDIR/b4" add_mount /mnt/a '["bind"]' "$(maps 0 100000 10)" "$(maps 0 100000 10)"
	run --separate-stderr rt run --bundle "$BATS_TEST_TMPDIR/b4" idm-bad4
	assert_one_error_line
	[[ "$stderr" == *"open_tree(OPEN_TREE_CLONE) $BATS_TEST_TMPDIR/nonexistent: no such file or directory"* ]]
	assert_nothing_left idm-bad4 "$BATS_TEST_TMPDIR/b4"

	# sysfs cannot be idmapped: the kernel refuses, create fails cleanly.
	make_bundle "$BATS_TEST_TMPDIR/b5"
	set_args -b "$BATS_TEST_TMPDIR/b5" true
	SRC=/sys/kernel BUNDLE="$BATS_TEST_TMPDIR/b5" add_mount /mnt/a '["rbind"]' "$(maps 0 100000 10)" "$(maps 0 100000 10)"
	run --separate-stderr rt run --bundle "$BATS_TEST_TMPDIR/b5" idm-bad5
	assert_one_error_line
	[[ "$stderr" == *"MOUNT_ATTR_IDMAP"*"/sys/kernel: invalid argument"* ]]
	assert_nothing_left idm-bad5 "$BATS_TEST_TMPDIR/b5"
}

@test "features reports idmapped mounts and their options, and they work" {
	requires_rt
	run rt features
	[ "$status" -eq 0 ]
	[ "$(jq -r '.linux.mountExtensions.idmap.enabled' <<<"$output")" = true ]
	[ "$(jq -r '[.mountOptions[] | select(. == "idmap" or . == "ridmap")] | join(",")' <<<"$output")" = idmap,ridmap ]
	# Each listed idmap option is accepted and maps.
	make_source tmpfs
	make_bundle
	userns_bundle
	add_mount /mnt/i '["bind", "idmap"]'
	add_mount /mnt/r '["rbind", "ridmap"]'
	set_args stat -c %u /mnt/i/f /mnt/r/f
	run rt run --bundle "$BUNDLE" idm-features
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 5 ]
	[ "${lines[1]}" = 5 ]
	assert_nothing_left idm-features
}
