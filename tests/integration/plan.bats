#!/usr/bin/env bats
# The plan (issue 12): rt exec's process is set up by a plan the parent
# compiled, carried out in C before any Go runtime (nsenter/plan_exec.c);
# what the plan does not cover yet still goes through the Go init.

load helpers

start_sleeper() {
	make_bundle
	set_args sleep 1000
	run_detached "$1"
}

@test "plan: rt exec runs its plan in C, never the Go init" {
	requires_rt
	start_sleeper pl1
	run rt --debug --log "$BATS_TEST_TMPDIR/exec.json" --log-format json exec pl1 true
	[ "$status" -eq 0 ]
	cat "$BATS_TEST_TMPDIR/exec.json"
	jq -e -s 'map(select(.msg == "plan: compiled")) | length == 1' "$BATS_TEST_TMPDIR/exec.json"
	jq -e -s 'map(select(.msg | startswith("init: plan: "))) | length == 1' "$BATS_TEST_TMPDIR/exec.json"
	jq -e -s 'map(select(.msg == "init: sync: send ready")) | length == 1' "$BATS_TEST_TMPDIR/exec.json"
	# The Go init's first line is its "config" message: none here.
	jq -e -s 'map(select(.msg == "init: sync: received config")) | length == 0' "$BATS_TEST_TMPDIR/exec.json"
	rt delete --force pl1
	assert_nothing_left pl1
}

@test "plan: a process the plan does not cover yet is set up by the Go init" {
	requires_rt
	make_bundle
	set_args sleep 1000
	run_detached pl2 "$BUNDLE" --no-pivot
	run rt --debug --log "$BATS_TEST_TMPDIR/exec.json" --log-format json exec pl2 true
	[ "$status" -eq 0 ]
	jq -e -s 'map(select(.msg == "plan: the Go init sets this process up" and (.why | test("--no-pivot")))) | length == 1' \
		"$BATS_TEST_TMPDIR/exec.json"
	jq -e -s 'map(select(.msg == "init: sync: received config")) | length == 1' "$BATS_TEST_TMPDIR/exec.json"
	rt delete --force pl2
	assert_nothing_left pl2
}

@test "plan: exec gets its user, groups, umask, cwd, environment, rlimits and capabilities" {
	make_bundle
	set_args sleep 1000
	update_config '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 321, hard: 654}, {type: "RLIMIT_NPROC", soft: 77, hard: 88}]'
	run_detached pl3
	run rt exec --user 1000:100 --additional-gids 10 --additional-gids 20 --cwd /tmp --env A=1 --env A=2 \
		--cap CAP_NET_RAW pl3 sh -c 'id -u; id -g; id -G; umask; pwd; echo "A=$A"; ulimit -n; ulimit -Hn; ulimit -u
		grep -E "^(CapEff|CapPrm|CapBnd|NoNewPrivs):" /proc/self/status'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 100 ]
	[ "${lines[2]}" = "100 10 20" ]
	[ "${lines[3]}" = 0022 ]
	[ "${lines[4]}" = /tmp ]
	[ "${lines[5]}" = A=2 ]
	[ "${lines[6]}" = 321 ]
	[ "${lines[7]}" = 654 ]
	[ "${lines[8]}" = 77 ]
	# uid 1000 keeps no capability (no ambient set); bounding is the
	# container's three and --cap's CAP_NET_RAW (bit 13).
	[[ "$output" == *"CapEff:"*"0000000000000000"* ]]
	[[ "$output" == *"CapBnd:"*"0000000020002420"* ]]
	[[ "$output" == *"NoNewPrivs:"*"1"* ]]
	rt delete --force pl3
	assert_nothing_left pl3
}

@test "plan: exec's process is under the container's seccomp profile" {
	make_bundle
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]}'
	set_args sleep 1000
	run_detached pl4
	run rt exec pl4 sh -c 'mkdir /tmp/d; echo rc=$?; grep ^Seccomp: /proc/self/status'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
	[[ "$output" == *rc=1* ]]
	[[ "$output" == *"Seccomp:"*2* ]]
	rt delete --force pl4
	assert_nothing_left pl4
}

@test "plan: a step that fails is reported in the Go init's words, and leaves nothing" {
	start_sleeper pl5
	run rt exec --cwd /etc/passwd pl5 true
	echo "$output"
	[ "$status" -eq 255 ]
	[[ "$output" == *'chdir to cwd ('*'/etc/passwd'*') set in config.json failed: not a directory'* ]]
	run rt exec pl5 /no/such
	echo "$output"
	[ "$status" -eq 255 ]
	[[ "$output" == *'/no/such'*'stat /no/such: no such file or directory'* ]]
	# Only the sleeper is left in the container.
	[ "$(rt ps pl5 | wc -l)" -eq 2 ]
	rt delete --force pl5
	assert_nothing_left pl5
}
