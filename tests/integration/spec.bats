#!/usr/bin/env bats
# `spec`: the default config.json, and that it runs as written.

load helpers

@test "spec --bundle DIR writes a valid config.json" {
	mkdir -p "$BATS_TEST_TMPDIR/b"
	run "$RT" spec --bundle "$BATS_TEST_TMPDIR/b"
	[ "$status" -eq 0 ]
	[ -f "$BATS_TEST_TMPDIR/b/config.json" ]
	run jq -e '.ociVersion and .process.args and .root.path == "rootfs" and (.linux.namespaces | length > 0) and (.mounts | map(.destination) | index("/proc") != null)' "$BATS_TEST_TMPDIR/b/config.json"
	[ "$status" -eq 0 ]
}

@test "spec asks for a cgroup namespace only on a cgroup v2 host" {
	mkdir -p "$BATS_TEST_TMPDIR/b"
	"$RT" spec --bundle "$BATS_TEST_TMPDIR/b"
	want=0
	[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && want=1
	run jq '[.linux.namespaces[] | select(.type == "cgroup")] | length' "$BATS_TEST_TMPDIR/b/config.json"
	[ "$output" = "$want" ]
	# The other five are always there.
	run jq -c '[.linux.namespaces[].type | select(. != "cgroup")]' "$BATS_TEST_TMPDIR/b/config.json"
	[ "$output" = '["pid","network","ipc","uts","mount"]' ]
}

@test "spec without --bundle writes config.json in the working directory" {
	mkdir -p "$BATS_TEST_TMPDIR/cwd"
	cd "$BATS_TEST_TMPDIR/cwd"
	run "$RT" spec
	[ "$status" -eq 0 ]
	jq -e .ociVersion config.json
}

@test "spec refuses to overwrite an existing config.json" {
	mkdir -p "$BATS_TEST_TMPDIR/b"
	echo '{"keep":1}' >"$BATS_TEST_TMPDIR/b/config.json"
	run "$RT" spec --bundle "$BATS_TEST_TMPDIR/b"
	[ "$status" -ne 0 ]
	jq -e '.keep == 1' "$BATS_TEST_TMPDIR/b/config.json"
}

@test "spec --bundle of a missing directory fails" {
	run "$RT" spec --bundle "$BATS_TEST_TMPDIR/nope"
	[ "$status" -ne 0 ]
	[ ! -e "$BATS_TEST_TMPDIR/nope/config.json" ]
}

@test "run of the spec config with only terminal and args changed works" {
	make_bundle
	# Back to the spec's own root (make_bundle made it writable); cgroupsPath
	# stays, every test container lives under the suite's cgroup.
	"$RT" spec --bundle "$BATS_TEST_TMPDIR"
	update_config '.root = $spec.root' --argjson spec "$(cat "$BATS_TEST_TMPDIR/config.json")"
	set_args sh -c 'echo hello from $(hostname)'
	cd "$BUNDLE"
	run rt run spec-default
	[ "$status" -eq 0 ]
	[[ "$output" == "hello from "* ]]
	assert_nothing_left spec-default
}
