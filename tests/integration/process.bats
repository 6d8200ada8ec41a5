#!/usr/bin/env bats
# process: args, env, cwd, user and groups, umask, rlimits, oomScoreAdj.

load helpers

@test "args are passed as they are" {
	make_bundle
	set_args sh -c 'for a in "$@"; do echo "[$a]"; done' argv0 'two words' '' '-x' '$HOME'
	run rt run --bundle "$BUNDLE" p-args
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "[two words]" ]
	[ "${lines[1]}" = "[]" ]
	[ "${lines[2]}" = "[-x]" ]
	[ "${lines[3]}" = '[$HOME]' ]
	assert_nothing_left p-args
}

@test "args[0] is looked up in the container's PATH" {
	make_bundle
	mkdir -p "$BUNDLE/rootfs/opt/mybin"
	printf '#!/bin/sh\necho found-in-path\n' >"$BUNDLE/rootfs/opt/mybin/mytool"
	chmod +x "$BUNDLE/rootfs/opt/mybin/mytool"
	update_config '.process.env = ["PATH=/opt/mybin:/bin"]'
	set_args mytool
	run rt run --bundle "$BUNDLE" p-path
	[ "$status" -eq 0 ]
	[ "$output" = found-in-path ]
	assert_nothing_left p-path
}

@test "env: PATH and a custom variable, and nothing from the host" {
	make_bundle
	update_config '.process.env = ["PATH=/bin:/custom", "MYVAR=hello world", "EMPTY="]'
	set_args sh -c 'echo "PATH=$PATH"; echo "MYVAR=$MYVAR"; env | grep -c "^EMPTY=$"; env | grep -c "^BATS_" || true'
	BATS_LEAK=1 run rt run --bundle "$BUNDLE" p-env
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "PATH=/bin:/custom" ]
	[ "${lines[1]}" = "MYVAR=hello world" ]
	[ "${lines[2]}" -eq 1 ]
	[ "${lines[3]}" -eq 0 ]
	assert_nothing_left p-env
}

@test "cwd is the working directory" {
	make_bundle
	update_config '.process.cwd = "/etc"'
	set_args pwd
	run rt run --bundle "$BUNDLE" p-cwd
	[ "$status" -eq 0 ]
	[ "$output" = /etc ]
	assert_nothing_left p-cwd
}

@test "cwd that does not exist is created" {
	make_bundle
	update_config '.process.cwd = "/work/dir"'
	set_args pwd
	run rt run --bundle "$BUNDLE" p-cwd-new
	[ "$status" -eq 0 ]
	[ "$output" = /work/dir ]
	[ -d "$BUNDLE/rootfs/work/dir" ]
	[ ! -e /work/dir ]
	assert_nothing_left p-cwd-new
}

@test "a relative cwd fails" {
	make_bundle
	update_config '.process.cwd = "etc"'
	set_args pwd
	run rt run --bundle "$BUNDLE" p-cwd-rel
	[ "$status" -ne 0 ]
	assert_nothing_left p-cwd-rel
}

@test "user: uid, gid and additionalGids" {
	make_bundle
	update_config '.process.user = {uid: 1000, gid: 1000, additionalGids: [2000, 3000]}'
	set_args sh -c 'id -u; id -g; id -G; grep ^Groups: /proc/self/status'
	run rt run --bundle "$BUNDLE" p-user
	[ "$status" -eq 0 ]
	[ "${lines[0]}" -eq 1000 ]
	[ "${lines[1]}" -eq 1000 ]
	read -r -a groups <<<"${lines[3]#Groups:}"
	[ "$(printf '%s\n' "${groups[@]}" | sort -n | tr '\n' ' ')" = "2000 3000 " ]
	assert_nothing_left p-user
}

@test "user: root by default, with no supplementary groups" {
	make_bundle
	set_args sh -c 'id -u; id -g; grep ^Groups: /proc/self/status'
	run rt run --bundle "$BUNDLE" p-root
	[ "$status" -eq 0 ]
	[ "${lines[0]}" -eq 0 ]
	[ "${lines[1]}" -eq 0 ]
	[ -z "$(echo ${lines[2]#Groups:})" ]
	assert_nothing_left p-root
}

@test "user: a uid without a passwd entry" {
	make_bundle
	update_config '.process.user = {uid: 4242, gid: 4343}'
	set_args sh -c 'id -u; id -g'
	run rt run --bundle "$BUNDLE" p-nopasswd
	[ "$status" -eq 0 ]
	[ "${lines[0]}" -eq 4242 ]
	[ "${lines[1]}" -eq 4343 ]
	assert_nothing_left p-nopasswd
}

@test "umask" {
	make_bundle
	update_config '.process.user.umask = 63'
	set_args sh -c 'umask; touch /tmp/f; stat -c %a /tmp/f'
	run rt run --bundle "$BUNDLE" p-umask
	[ "$status" -eq 0 ]
	# 63 = 0077
	[ "${lines[0]}" = 0077 ]
	[ "${lines[1]}" = 600 ]
	assert_nothing_left p-umask
}

@test "rlimits: RLIMIT_NOFILE soft and hard" {
	make_bundle
	update_config '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 123, hard: 456}]'
	set_args sh -c 'ulimit -n; ulimit -Hn'
	run rt run --bundle "$BUNDLE" p-rlimit
	[ "$status" -eq 0 ]
	[ "${lines[0]}" -eq 123 ]
	[ "${lines[1]}" -eq 456 ]
	assert_nothing_left p-rlimit
}

@test "rlimits: RLIMIT_NPROC and RLIMIT_CORE" {
	make_bundle
	update_config '.process.rlimits = [{type: "RLIMIT_NPROC", soft: 777, hard: 777}, {type: "RLIMIT_CORE", soft: 0, hard: 0}]'
	set_args cat /proc/self/limits
	run rt run --bundle "$BUNDLE" p-rlimit2
	[ "$status" -eq 0 ]
	[[ "$output" =~ Max\ processes\ +777\ +777 ]]
	[[ "$output" =~ Max\ core\ file\ size\ +0\ +0 ]]
	assert_nothing_left p-rlimit2
}

@test "rlimits: an unknown type fails" {
	make_bundle
	update_config '.process.rlimits = [{type: "RLIMIT_BOGUS", soft: 1, hard: 1}]'
	set_args true
	run rt run --bundle "$BUNDLE" p-rlimit-bad
	[ "$status" -ne 0 ]
	assert_nothing_left p-rlimit-bad
}

@test "oomScoreAdj" {
	make_bundle
	update_config '.process.oomScoreAdj = 345'
	set_args cat /proc/self/oom_score_adj
	run rt run --bundle "$BUNDLE" p-oom
	[ "$status" -eq 0 ]
	[ "$output" -eq 345 ]
	assert_nothing_left p-oom
}

@test "noNewPrivileges is set when asked" {
	make_bundle
	update_config '.process.noNewPrivileges = true'
	set_args grep ^NoNewPrivs: /proc/self/status
	run rt run --bundle "$BUNDLE" p-nnp
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "NoNewPrivs: 1" ]
	assert_nothing_left p-nnp
}

@test "capabilities: only the configured bounding set" {
	make_bundle
	update_config '.process.capabilities = {bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"]}'
	set_args grep -E '^Cap(Bnd|Eff|Prm):' /proc/self/status
	run rt run --bundle "$BUNDLE" p-caps
	[ "$status" -eq 0 ]
	# CAP_KILL is bit 5: 0x20.
	for l in "${lines[@]}"; do
		[[ "$l" =~ 0000000000000020$ ]]
	done
	assert_nothing_left p-caps
}

@test "rlimits: RLIMIT_AS and RLIMIT_DATA apply to the workload, also under a seccomp profile" {
	make_bundle
	update_config '.process.rlimits = [{type: "RLIMIT_AS", soft: 1073741824, hard: 2147483648},
		{type: "RLIMIT_DATA", soft: 1073741824, hard: 2147483648}]
		| .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
			syscalls: [{names: ["kexec_load", "setrlimit"], action: "SCMP_ACT_ERRNO"}]}'
	set_args sh -c 'ulimit -Sv; ulimit -Hv; ulimit -Sd'
	run rt run --bundle "$BUNDLE" p-rlimit-as
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1048576 ]
	[ "${lines[1]}" = 2097152 ]
	[ "${lines[2]}" = 1048576 ]
	assert_nothing_left p-rlimit-as
}

@test "process.scheduler: SCHED_BATCH with a nice value" {
	make_bundle
	update_config '.process.scheduler = {policy: "SCHED_BATCH", nice: 5}'
	set_args sh -c 'cat /proc/self/stat | cut -d" " -f19,41'
	run rt run --bundle "$BUNDLE" p-sched
	echo "$output"
	[ "$status" -eq 0 ]
	# field 19: nice; field 41: policy (3 = SCHED_BATCH)
	[ "$output" = "5 3" ]
	assert_nothing_left p-sched
}

@test "process.ioPriority: IOPRIO_CLASS_IDLE" {
	requires_rt
	make_bundle
	update_config '.process.ioPriority = {class: "IOPRIO_CLASS_IDLE", priority: 0}'
	set_args sleep 100
	run_detached p-ioprio
	pid=$(container_pid p-ioprio)
	run ionice -p "$pid"
	echo "$output"
	[[ "$output" == idle* ]]
	rt delete --force p-ioprio
	assert_nothing_left p-ioprio
}

@test "linux.personality LINUX32: uname -m says i686" {
	requires_rt
	make_bundle
	update_config '.linux.personality = {domain: "LINUX32"}'
	set_args uname -m
	run rt run --bundle "$BUNDLE" p-pers
	[ "$status" -eq 0 ]
	[ "$output" = i686 ]
	assert_nothing_left p-pers
}

@test "unknown scheduler policy, ioPriority class or personality, and unsupported fields are refused" {
	requires_rt
	make_bundle
	set_args true
	for expr in '.process.scheduler = {policy: "SCHED_NOPE"}' '.process.ioPriority = {class: "IOPRIO_CLASS_NOPE", priority: 0}' \
		'.linux.personality = {domain: "LINUX64"}' '.linux.intelRdt = {closID: "x"}'; do
		cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/orig.json"
		update_config "$expr"
		run rt run --bundle "$BUNDLE" p-bad
		[ "$status" -ne 0 ]
		[[ "$output" == *NOPE* || "$output" == *LINUX64* || "$output" == *"Intel RDT"* ]]
		assert_nothing_left p-bad
		cp "$BATS_TEST_TMPDIR/orig.json" "$BUNDLE/config.json"
	done
}
