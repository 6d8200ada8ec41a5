#!/usr/bin/env bats
# The plan (issue 12): the init of rt create / rt run and rt exec's process
# are set up by a plan the parent compiled, carried out in C before any Go
# runtime (nsenter/plan_exec.c, plan_rootfs.c); what the plan does not
# cover (the fallback list) still goes through the Go init.

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

# plan_log FILE: the lines of a --debug JSON log that say who set the
# container up.
ran_plan() { jq -e -s 'map(select(.msg | test("^init: plan: [0-9]+ steps$"))) | length == 1' "$1"; }
ran_go_init() { jq -e -s 'map(select(.msg == "init: sync: received config")) | length == 1' "$1"; }

@test "plan: rt run and rt create of the default config run the plan in C, never the Go init" {
	requires_rt
	make_bundle
	set_args sh -c 'hostname; grep -c . /proc/self/mountinfo; ls /dev/null /dev/ptmx; grep ^NoNewPrivs: /proc/self/status'
	run rt --debug --log "$BATS_TEST_TMPDIR/run.json" --log-format json run --bundle "$BUNDLE" pc1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = rt ]
	[[ "$output" == *"/dev/null"* ]]
	[[ "$output" == *"NoNewPrivs:"*1* ]]
	ran_plan "$BATS_TEST_TMPDIR/run.json"
	jq -e -s 'map(select(.msg == "init: sync: send hooks")) | length == 1' "$BATS_TEST_TMPDIR/run.json"
	! ran_go_init "$BATS_TEST_TMPDIR/run.json"
	assert_nothing_left pc1

	set_args sleep 1000
	rt --debug --log "$BATS_TEST_TMPDIR/create.json" --log-format json create --bundle "$BUNDLE" pc1 </dev/null
	ran_plan "$BATS_TEST_TMPDIR/create.json"
	[ "$(rt state pc1 | jq -r .status)" = created ]
	rt start pc1
	[ "$(rt state pc1 | jq -r .status)" = running ]
	# A second start is refused: the exec fifo is gone.
	run rt start pc1
	[ "$status" -ne 0 ]
	rt delete --force pc1
	assert_nothing_left pc1
}

@test "plan: a config on the fallback list is set up by the Go init" {
	requires_rt
	make_bundle
	update_config '.hooks.createContainer = [{path: "/bin/true"}]'
	run rt --debug --log "$BATS_TEST_TMPDIR/run.json" --log-format json run --bundle "$BUNDLE" pc2
	[ "$status" -eq 0 ]
	jq -e -s 'map(select(.msg == "plan: the Go init sets this process up" and (.why | test("hooks.createContainer")))) | length == 1' \
		"$BATS_TEST_TMPDIR/run.json"
	ran_go_init "$BATS_TEST_TMPDIR/run.json"
	assert_nothing_left pc2
}

# create_error ID: the error line of a create that must fail, and nothing left.
create_error() {
	run rt create --bundle "$BUNDLE" "$1" </dev/null
	echo "$output" >&2
	[ "$status" -ne 0 ]
	assert_nothing_left "$1"
	echo "$output" | grep -o 'msg=.*'
}

# fails_as_go_init ID MOUNT WANT: create with MOUNT added fails with a line
# holding WANT, leaves nothing, and the Go init (kept by a createContainer
# hook, which would run only after the mounts) fails with the same line.
fails_as_go_init() {
	local c g
	update_config '.mounts += [$m]' --argjson m "$2"
	c=$(create_error "$1")
	[[ "$c" == *"$3"* ]]
	update_config '.hooks.createContainer = [{path: "/bin/true"}]'
	g=$(create_error "$1")
	[ "$c" = "$g" ]
}

@test "plan: a failing rootfs step reports the Go init's words and errno, and leaves nothing" {
	requires_rt
	make_bundle
	touch "$BUNDLE/rootfs/afile"
	fails_as_go_init pc3 '{"destination": "/afile/sub", "type": "tmpfs", "source": "tmpfs"}' \
		'mount /afile/sub: mkdir in rootfs /afile/sub: not a directory'
	BUNDLE="$BATS_TEST_TMPDIR/b2"
	make_bundle
	fails_as_go_init pc4 '{"destination": "/proc/sys/kernel", "type": "tmpfs", "source": "tmpfs"}' \
		'cannot be mounted because it is inside /proc'
	BUNDLE="$BATS_TEST_TMPDIR/b3"
	make_bundle
	fails_as_go_init pc5 '{"destination": "/x", "type": "bind", "source": "/no/such/dir"}' \
		'mount /x: bind source: stat /no/such/dir: no such file or directory'
}

@test "plan: a mount destination that is a symlink out of the rootfs stays inside it" {
	requires_rt
	make_bundle
	outside="$BATS_TEST_TMPDIR/outside"
	mkdir -p "$outside"
	ln -s "$outside" "$BUNDLE/rootfs/abs"
	ln -s ../../../../../../../.. "$BUNDLE/rootfs/up"
	update_config '.mounts += [{destination: "/abs", type: "tmpfs", source: "tmpfs"},
		{destination: "/up/tmp/x", type: "tmpfs", source: "tmpfs"},
		{destination: "/abs/bound", type: "bind", source: "/etc", options: ["rbind", "ro"]}]'
	set_args sh -c 'grep -E " /(abs|up|tmp)" /proc/self/mountinfo; ls /abs/bound/passwd'
	run rt --debug --log "$BATS_TEST_TMPDIR/run.json" --log-format json run --bundle "$BUNDLE" pc6
	echo "$output"
	[ "$status" -eq 0 ]
	ran_plan "$BATS_TEST_TMPDIR/run.json"
	# Resolved in the rootfs: $outside inside it, /tmp/x inside it.
	[[ "$output" == *" $outside "* ]]
	[[ "$output" == *" /tmp/x "* ]]
	[ -z "$(ls -A "$outside")" ]
	[ -d "$BUNDLE/rootfs$outside" ] && [ -d "$BUNDLE/rootfs/tmp/x" ]
	! grep -F -- "$outside" /proc/self/mountinfo
	[ ! -e /tmp/x ] || ! mountpoint -q /tmp/x
	assert_nothing_left pc6
}
