#!/usr/bin/env bats
# Failures: each exits non-zero, says so in one line on stderr, and leaves
# nothing behind.

load helpers

# fails_cleanly ID CMD...: run CMD expecting a one-line failure.
fails_cleanly() {
	local id="$1"
	shift
	run --separate-stderr "$@"
	assert_one_error_line
	assert_nothing_left "$id"
}

@test "malformed config.json" {
	make_bundle
	printf '{\n  "ociVersion": "1.0.2",\n  "process": {,\n}\n' >"$BUNDLE/config.json"
	fails_cleanly e-json rt run --bundle "$BUNDLE" e-json
	if is_rt; then
		[[ "$stderr" == *line* ]]
		[[ "$stderr" == *column* ]]
	fi
}

@test "config.json that is not an object" {
	make_bundle
	echo '[1, 2]' >"$BUNDLE/config.json"
	fails_cleanly e-json2 rt create --bundle "$BUNDLE" e-json2
}

@test "missing config.json" {
	make_bundle
	rm "$BUNDLE/config.json"
	fails_cleanly e-noconfig rt create --bundle "$BUNDLE" e-noconfig
}

@test "unknown namespace type" {
	make_bundle
	update_config '.linux.namespaces += [{type: "foo"}]'
	set_args true
	fails_cleanly e-ns rt run --bundle "$BUNDLE" e-ns
	if is_rt; then
		[[ "$(log_msg "$stderr")" == *'unknown namespace "foo"'* ]]
	fi
}

@test "relative mount destination is taken from /, as runc 1.5 does" {
	make_bundle
	update_config '.mounts += [{destination: "relative/dir", type: "tmpfs", source: "tmpfs"}]'
	set_args sh -c 'grep -c " /relative/dir " /proc/self/mountinfo'
	run --separate-stderr rt run --bundle "$BUNDLE" e-reldest
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
	# runc and rt warn that it is deprecated.
	[[ "$stderr" == *"mount destination relative/dir is not absolute"* ]]
	assert_nothing_left e-reldest
}

@test "missing rootfs" {
	make_bundle
	rm -rf "$BUNDLE/rootfs"
	fails_cleanly e-noroot rt run --bundle "$BUNDLE" e-noroot
}

@test "rootfs that is a file" {
	make_bundle
	rm -rf "$BUNDLE/rootfs"
	touch "$BUNDLE/rootfs"
	fails_cleanly e-rootfile rt run --bundle "$BUNDLE" e-rootfile
}

@test "bind mount whose source does not exist" {
	make_bundle
	update_config '.mounts += [{destination: "/mnt/x", type: "bind", source: $s, options: ["bind"]}]' --arg s "$BATS_TEST_TMPDIR/no-such-source"
	set_args true
	fails_cleanly e-nosrc rt run --bundle "$BUNDLE" e-nosrc
	[ ! -e "$BATS_TEST_TMPDIR/no-such-source" ]
}

@test "unknown mount type" {
	make_bundle
	update_config '.mounts += [{destination: "/mnt/x", type: "nosuchfs", source: "none"}]'
	set_args true
	fails_cleanly e-fstype rt run --bundle "$BUNDLE" e-fstype
}

@test "args[0] that does not exist" {
	make_bundle
	set_args nope
	fails_cleanly e-nope rt run --bundle "$BUNDLE" e-nope
	[[ "$stderr" == *nope* ]]
}

@test "args[0] that does not exist, with create" {
	make_bundle
	set_args /bin/nope
	fails_cleanly e-nope2 rt create --bundle "$BUNDLE" e-nope2
	[[ "$stderr" == *nope* ]]
}

@test "args[0] that is not executable" {
	make_bundle
	echo 'not a program' >"$BUNDLE/rootfs/bin/notexec"
	chmod 644 "$BUNDLE/rootfs/bin/notexec"
	set_args /bin/notexec
	fails_cleanly e-noexec rt run --bundle "$BUNDLE" e-noexec
}

@test "empty args" {
	make_bundle
	update_config '.process.args = []'
	fails_cleanly e-noargs rt run --bundle "$BUNDLE" e-noargs
}

@test "duplicate id: create twice" {
	make_bundle "$BATS_TEST_TMPDIR/b1"
	set_args -b "$BATS_TEST_TMPDIR/b1" sleep 100
	make_bundle "$BATS_TEST_TMPDIR/b2"
	set_args -b "$BATS_TEST_TMPDIR/b2" sleep 100
	create_container e-dup "$BATS_TEST_TMPDIR/b1"
	pid=$(container_pid e-dup)
	run --separate-stderr rt create --bundle "$BATS_TEST_TMPDIR/b2" e-dup
	assert_one_error_line
	if is_rt; then
		[[ "$stderr" == *"already exists"* ]]
	fi
	# The first one is untouched, the second left nothing.
	run rt state e-dup
	echo "$output" | jq -e --arg b "$BATS_TEST_TMPDIR/b1" --argjson p "$pid" '.status == "created" and .bundle == $b and .pid == $p'
	for d in /sys/fs/cgroup/*; do
		[ ! -d "$d$(config_cgroup "$BATS_TEST_TMPDIR/b2")" ]
	done
	rt delete --force e-dup
	assert_nothing_left e-dup "$BATS_TEST_TMPDIR/b1"
}

@test "duplicate id: run of a running id" {
	make_bundle
	set_args sleep 100
	run_detached e-dup2
	run --separate-stderr rt run --bundle "$BUNDLE" e-dup2
	assert_one_error_line
	[ "$(container_status e-dup2)" = running ]
	rt delete --force e-dup2
	assert_nothing_left e-dup2
}

invalid_id() {
	make_bundle
	set_args true
	run --separate-stderr rt create --bundle "$BUNDLE" "$1"
	assert_one_error_line
	if is_rt; then
		[[ "$stderr" == *"invalid container id"* ]]
	fi
	[ -z "$(ls -A "$RT_ROOT")" ]
	[ -d "$BATS_TEST_TMPDIR" ]
	assert_nothing_left "$1"
}

@test "invalid id: a/b" {
	invalid_id a/b
}

@test "invalid id: .." {
	invalid_id ..
}

@test "invalid id: ." {
	invalid_id .
}

@test "invalid id: empty" {
	make_bundle
	run --separate-stderr rt create --bundle "$BUNDLE" ""
	assert_one_error_line
	[ -z "$(ls -A "$RT_ROOT")" ]
}

@test "create without an id" {
	make_bundle
	run --separate-stderr rt create --bundle "$BUNDLE"
	[ "$status" -ne 0 ]
	[ -z "$(ls -A "$RT_ROOT")" ]
}

missing_id() {
	run --separate-stderr rt "$@"
	assert_one_error_line
	if is_rt; then
		[[ "$stderr" == *"does not exist"* ]]
	fi
}

@test "start of a non-existent id" {
	missing_id start e-missing
}

@test "kill of a non-existent id" {
	missing_id kill e-missing KILL
}

@test "state of a non-existent id" {
	missing_id state e-missing
}

@test "delete of a non-existent id" {
	missing_id delete e-missing
}

@test "delete --force of a non-existent id succeeds" {
	# runc: --force ignores a container that does not exist.
	run rt delete --force e-missing
	[ "$status" -eq 0 ]
}

@test "start of a running container" {
	make_bundle
	set_args sleep 100
	run_detached e-start2
	run --separate-stderr rt start e-start2
	assert_one_error_line
	[ "$(container_status e-start2)" = running ]
	rt delete --force e-start2
	assert_nothing_left e-start2
}

@test "start of a stopped container" {
	make_bundle
	set_args true
	run_detached e-start3
	wait_for_status e-start3 stopped
	run --separate-stderr rt start e-start3
	assert_one_error_line
	rt delete e-start3
	assert_nothing_left e-start3
}

@test "--bundle that does not exist" {
	run --separate-stderr rt create --bundle "$BATS_TEST_TMPDIR/nope" e-nobundle
	assert_one_error_line
	[ -z "$(ls -A "$RT_ROOT")" ]
}

@test "an unknown command fails" {
	run rt no-such-command
	[ "$status" -ne 0 ]
}

@test "an unknown flag fails" {
	make_bundle
	run rt create --no-such-flag --bundle "$BUNDLE" e-flag
	[ "$status" -ne 0 ]
	assert_nothing_left e-flag
}
