#!/usr/bin/env bats
# seccomp profiles refused as runc 1.5 refuses them.

load helpers

@test "seccomp: SCMP_ACT_NOTIFY on write is refused up front, nothing left" {
	make_bundle
	set_args sh -c 'echo hi'
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: $l, syscalls: [{names: ["write"], action: "SCMP_ACT_NOTIFY"}]}' \
		--arg l "$BATS_TEST_TMPDIR/agent.sock"
	run --separate-stderr rt run --bundle "$BUNDLE" sc-notify-write
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"SCMP_ACT_NOTIFY cannot be used for the write syscall"* ]]
	assert_nothing_left sc-notify-write
}

@test "seccomp: a notify profile whose listener is absent fails as runc's does, nothing left" {
	make_bundle
	set_args sh -c 'echo hi'
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: $l, syscalls: [{names: ["mkdir"], action: "SCMP_ACT_NOTIFY"}]}' \
		--arg l "$BATS_TEST_TMPDIR/no-agent.sock"
	run --separate-stderr rt run --bundle "$BUNDLE" sc-no-agent
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"failed to connect with seccomp agent specified in the seccomp profile: dial unix $BATS_TEST_TMPDIR/no-agent.sock"*"no such file or directory"* ]]
	assert_nothing_left sc-no-agent
	# Without a listenerPath at all.
	update_config 'del(.linux.seccomp.listenerPath)'
	run --separate-stderr rt run --bundle "$BUNDLE" sc-no-agent
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"seccomp listenerPath is not set"* ]]
	assert_nothing_left sc-no-agent
}
