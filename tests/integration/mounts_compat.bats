#!/usr/bin/env bats
# Mount behaviour measured against runc 1.5: no mount namespace, masked
# paths, tmpfs modes, a read-only /dev, bind flags.

load helpers

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
