#!/usr/bin/env bats
# linux.seccomp: ERRNO (default and errnoRet), KILL, argument conditions,
# and SCMP_ACT_NOTIFY answered by contrib/cmd/seccomp-agent.

load helpers

# seccomp_profile JSON: set linux.seccomp to an allow-by-default profile
# with the given syscalls[] entries.
seccomp_profile() {
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"], syscalls: $s}' --argjson s "$1"
}

@test "seccomp: ERRNO denies mkdir with EPERM, other syscalls still work" {
	make_bundle
	seccomp_profile '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]'
	set_args sh -c 'mkdir /tmp/d; echo rc=$?; touch /tmp/f && echo touched'
	run rt run --bundle "$BUNDLE" sc-errno
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
	[[ "$output" == *rc=1* ]]
	[[ "$output" == *touched* ]]
	[ ! -e "$BUNDLE/rootfs/tmp/d" ]
	assert_nothing_left sc-errno
}

@test "seccomp: errnoRet picks the errno" {
	make_bundle
	seccomp_profile '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]'
	set_args sh -c 'mkdir /tmp/d'
	run rt run --bundle "$BUNDLE" sc-errnoret
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Function not implemented"* ]]
	[ ! -e "$BUNDLE/rootfs/tmp/d" ]
	assert_nothing_left sc-errnoret
}

@test "seccomp: KILL kills the process with SIGSYS" {
	make_bundle
	seccomp_profile '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL"}]'
	set_args sh -c 'mkdir /tmp/d; echo rc=$?'
	run rt run --bundle "$BUNDLE" sc-kill
	echo "$output"
	[ "$status" -eq 0 ]
	# The shell survives and sees its child die of signal 31.
	[[ "$output" == *rc=159* ]]
	[ ! -e "$BUNDLE/rootfs/tmp/d" ]
	assert_nothing_left sc-kill
}

@test "seccomp: KILL_PROCESS on the workload itself ends the container with 159" {
	make_bundle
	seccomp_profile '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]'
	set_args mkdir /tmp/d
	run rt run --bundle "$BUNDLE" sc-killproc
	[ "$status" -eq 159 ]
	assert_nothing_left sc-killproc
}

@test "seccomp: argument conditions match only the given argument" {
	make_bundle
	# kill(pid, sig): deny only signal 0 (args[1] == 0).
	seccomp_profile '[{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]}]'
	set_args sh -c 'kill -0 $$; echo rc0=$?; kill -CONT $$; echo rccont=$?'
	run rt run --bundle "$BUNDLE" sc-args
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *rc0=1* ]]
	[[ "$output" == *rccont=0* ]]
	assert_nothing_left sc-args
}

@test "seccomp: a masked-equal condition (SCMP_CMP_MASKED_EQ) on open flags" {
	# runc 1.5's init reopens its exec fifo for writing after the filter is
	# loaded, which this profile denies; rt's init needs no open then.
	requires_rt
	make_bundle
	# Deny opens for writing only: (flags & O_ACCMODE) == O_WRONLY, with
	# flags as args[2] of openat and args[1] of open.
	seccomp_profile '[
		{"names": ["openat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 30,
			"args": [{"index": 2, "value": 3, "valueTwo": 1, "op": "SCMP_CMP_MASKED_EQ"}]},
		{"names": ["open"], "action": "SCMP_ACT_ERRNO", "errnoRet": 30,
			"args": [{"index": 1, "value": 3, "valueTwo": 1, "op": "SCMP_CMP_MASKED_EQ"}]}]'
	set_args sh -c 'cat /etc/passwd | grep -q root && echo read-ok; echo x >/tmp/w; echo rcw=$?'
	run rt run --bundle "$BUNDLE" sc-masked
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *read-ok* ]]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *rcw=1* ]]
	assert_nothing_left sc-masked
}

@test "seccomp: an invalid profile is refused at create, nothing left" {
	make_bundle
	seccomp_profile '[{"names": ["mkdir"], "action": "SCMP_ACT_BOGUS"}]'
	set_args true
	# stdio on files: should create wrongly succeed, the init must not
	# hold bats' pipes open.
	run create_container sc-bad
	echo "status $status stderr: $(cat "$BATS_TEST_TMPDIR/sc-bad.err")"
	[ "$status" -ne 0 ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/sc-bad.err")" -eq 1 ]
	grep -q SCMP_ACT_BOGUS "$BATS_TEST_TMPDIR/sc-bad.err"
	assert_nothing_left sc-bad
}

teardown() {
	stop_agent
	common_teardown
}

notify_profile() {
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: $l, listenerMetadata: "rt-test",
		syscalls: [{names: ["mkdir", "mkdirat", "uname"], action: "SCMP_ACT_NOTIFY"}]}' --arg l "$AGENT_SOCK"
}

@test "seccomp: NOTIFY: the agent answers mkdir with its errno, uname continues" {
	start_agent --mkdir-errno 13
	make_bundle
	notify_profile
	set_args sh -c 'mkdir /tmp/d; echo rc=$?; uname -s'
	run timeout 20 "$RT" --root "$RT_ROOT" run --bundle "$BUNDLE" sc-notify </dev/null
	echo "$output"
	cat "$BATS_TEST_TMPDIR/agent.log"
	[ "$status" -eq 0 ]
	# EACCES from the agent, not the ENOSYS the kernel gives without one.
	[[ "$output" == *"Permission denied"* ]]
	[[ "$output" == *rc=1* ]]
	[[ "$output" == *Linux* ]]
	grep -q 'msg=notification .*syscall=mkdir' "$BATS_TEST_TMPDIR/agent.log"
	grep -q 'msg=notification .*syscall=uname.*continue=true' "$BATS_TEST_TMPDIR/agent.log"
	[ ! -e "$BUNDLE/rootfs/tmp/d" ]
	grep -q 'container=sc-notify' "$BATS_TEST_TMPDIR/agent.log"
	grep -q 'metadata=rt-test' "$BATS_TEST_TMPDIR/agent.log"
	stop_agent
	assert_nothing_left sc-notify
}

@test "seccomp: NOTIFY: --fake-success makes mkdir succeed without a directory" {
	start_agent --fake-success
	make_bundle
	notify_profile
	set_args sh -c 'mkdir /tmp/d && echo mkdir-ok; [ -d /tmp/d ] || echo no-dir'
	run timeout 20 "$RT" --root "$RT_ROOT" run --bundle "$BUNDLE" sc-notify-fake </dev/null
	echo "$output"
	cat "$BATS_TEST_TMPDIR/agent.log"
	[ "$status" -eq 0 ]
	[[ "$output" == *mkdir-ok* ]]
	[[ "$output" == *no-dir* ]]
	stop_agent
	assert_nothing_left sc-notify-fake
}

@test "rt-only: seccomp: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV works with libseccomp 2.5 (rt loads through seccomp(2))" {
	# runc 1.5 with libseccomp < 2.6 refuses the flag.
	requires_rt
	start_agent --mkdir-errno 13
	make_bundle
	notify_profile
	update_config '.linux.seccomp.flags = ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", "SECCOMP_FILTER_FLAG_LOG"]'
	set_args sh -c 'mkdir /tmp/d; echo rc=$?; uname -s'
	run timeout 20 "$RT" --root "$RT_ROOT" run --bundle "$BUNDLE" sc-waitkill </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Permission denied"* ]]
	[[ "$output" == *Linux* ]]
	grep -q 'msg=notification .*syscall=mkdir' "$BATS_TEST_TMPDIR/agent.log"
	stop_agent
	assert_nothing_left sc-waitkill
	# Without a notify rule the flag has nothing to act on: still no error.
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]}'
	run timeout 20 "$RT" --root "$RT_ROOT" run --bundle "$BUNDLE" sc-waitkill2 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"rc=1"* ]]
	assert_nothing_left sc-waitkill2
}
