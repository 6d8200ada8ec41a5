#!/usr/bin/env bats
# /dev: the default devices and symlinks, and linux.devices.

load helpers

@test "default devices are char devices with the right numbers" {
	make_bundle
	set_args sh -c 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T" /dev/$d; done'
	run rt run --bundle "$BUNDLE" d-default
	[ "$status" -eq 0 ]
	# stat prints major:minor in hex.
	[ "${lines[0]}" = "/dev/null character special file 1:3" ]
	[ "${lines[1]}" = "/dev/zero character special file 1:5" ]
	[ "${lines[2]}" = "/dev/full character special file 1:7" ]
	[ "${lines[3]}" = "/dev/random character special file 1:8" ]
	[ "${lines[4]}" = "/dev/urandom character special file 1:9" ]
	[ "${lines[5]}" = "/dev/tty character special file 5:0" ]
	assert_nothing_left d-default
}

@test "default devices work: null swallows, zero reads zeros, full is full" {
	make_bundle
	set_args sh -c 'echo x >/dev/null && echo null-ok; head -c 4 /dev/zero | od -An -tx1; if echo x >/dev/full 2>/dev/null; then echo FULL-WROTE; fi; head -c 8 /dev/urandom | wc -c'
	run rt run --bundle "$BUNDLE" d-work
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = null-ok ]
	[ "$(echo ${lines[1]})" = "00 00 00 00" ]
	[ "${lines[2]}" -eq 8 ]
	[[ "$output" != *FULL-WROTE* ]]
	assert_nothing_left d-work
}

@test "/dev/ptmx -> pts/ptmx and the fd symlinks" {
	make_bundle
	set_args sh -c 'for l in ptmx fd stdin stdout stderr; do echo "$l $(readlink /dev/$l)"; done'
	run rt run --bundle "$BUNDLE" d-links
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "ptmx pts/ptmx" ]
	[ "${lines[1]}" = "fd /proc/self/fd" ]
	[ "${lines[2]}" = "stdin /proc/self/fd/0" ]
	[ "${lines[3]}" = "stdout /proc/self/fd/1" ]
	[ "${lines[4]}" = "stderr /proc/self/fd/2" ]
	assert_nothing_left d-links
}

@test "/dev is a fresh tmpfs: no host devices" {
	make_bundle
	set_args sh -c '[ -e /dev/vda ] && echo HOST-DISK; [ -e /dev/kmsg ] && echo KMSG; ls /dev'
	run rt run --bundle "$BUNDLE" d-fresh
	[ "$status" -eq 0 ]
	[[ "$output" != *HOST-DISK* && "$output" != *KMSG* ]]
	assert_nothing_left d-fresh
}

@test "linux.devices: a char device with type, numbers, mode, uid, gid" {
	make_bundle
	update_config '.linux.devices = [{path: "/dev/mynull", type: "c", major: 1, minor: 3, fileMode: 432, uid: 1000, gid: 2000}]
		| .linux.resources.devices += [{allow: true, type: "c", major: 1, minor: 3, access: "rwm"}]
		| .process.user = {uid: 1000, gid: 1000}'
	# As its owner uid 1000 (the spec's root has no CAP_DAC_OVERRIDE).
	set_args sh -c 'stat -c "%F %t:%T %a %u %g" /dev/mynull; ls -ln /dev/mynull; echo x >/dev/mynull && echo writable'
	run rt run --bundle "$BUNDLE" d-dev
	[ "$status" -eq 0 ]
	# 432 = 0660
	[ "${lines[0]}" = "character special file 1:3 660 1000 2000" ]
	[[ "${lines[1]}" == "crw-rw----"*" 1000 "*" 2000 "*"1, "*"3 "*/dev/mynull ]]
	[ "${lines[2]}" = writable ]
	assert_nothing_left d-dev
}

@test "linux.devices: a device in a subdirectory of /dev and a block device" {
	make_bundle
	update_config '.linux.devices = [{path: "/dev/sub/dir/myzero", type: "c", major: 1, minor: 5}, {path: "/dev/myloop", type: "b", major: 7, minor: 0, fileMode: 384}]'
	set_args sh -c 'stat -c "%F %t:%T" /dev/sub/dir/myzero; stat -c "%F %t:%T %a" /dev/myloop'
	run rt run --bundle "$BUNDLE" d-sub
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "character special file 1:5" ]
	[ "${lines[1]}" = "block special file 7:0 600" ]
	assert_nothing_left d-sub
}

@test "linux.devices: a fifo" {
	make_bundle
	update_config '.linux.devices = [{path: "/dev/myfifo", type: "p"}]'
	set_args stat -c %F /dev/myfifo
	run rt run --bundle "$BUNDLE" d-fifo
	[ "$status" -eq 0 ]
	[ "$output" = fifo ]
	assert_nothing_left d-fifo
}

@test "linux.devices: an unknown device type fails" {
	make_bundle
	update_config '.linux.devices = [{path: "/dev/weird", type: "x", major: 1, minor: 3}]'
	set_args true
	run rt run --bundle "$BUNDLE" d-badtype
	[ "$status" -ne 0 ]
	assert_nothing_left d-badtype
}

@test "linux.devices: a device path outside /dev is made in the rootfs only" {
	make_bundle
	update_config '.linux.devices = [{path: "/mydevs/null", type: "c", major: 1, minor: 3}]'
	set_args stat -c "%F %t:%T" /mydevs/null
	run rt run --bundle "$BUNDLE" d-outside
	[ "$status" -eq 0 ]
	[ "$output" = "character special file 1:3" ]
	[ ! -e /mydevs ]
	assert_nothing_left d-outside
}
