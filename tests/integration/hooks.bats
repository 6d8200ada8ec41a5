#!/usr/bin/env bats
# Hooks: the six kinds, their order and the state they read on stdin; what
# a failing or hanging hook does to create, start and delete.

load helpers

setup() {
	common_setup
	HOOKS="$BATS_TEST_TMPDIR/hooks"
	mkdir -p "$HOOKS"
	# hook.sh KIND: append "KIND STATUS ID" to $HOOKS/log, from the state
	# on stdin. Runs on the host, and for startContainer in the container
	# (where $HOOKS is bind-mounted at /hooks, and $0 tells which).
	cat >"$HOOKS/hook.sh" <<-'EOF2'
		#!/bin/sh
		echo "$1 $(jq -r '.status + " " + .id')" >>"$(dirname "$0")/log"
	EOF2
	chmod +x "$HOOKS/hook.sh"
}

# hook KIND [ARGV...]: the JSON of a hook entry. Without ARGV it runs
# hook.sh KIND (the in-container path for startContainer).
hook() {
	local kind="$1" path
	shift
	if [[ $# -eq 0 ]]; then
		path="$HOOKS/hook.sh"
		[[ "$kind" == startContainer ]] && path=/hooks/hook.sh
		set -- /bin/sh "$path" "$kind"
	fi
	jq -n --arg p "$1" --argjson a "$(json_array "$@")" '{path: $p, args: $a, env: ["PATH=/usr/bin:/bin"]}'
}

# add_hook KIND [ARGV...]
add_hook() {
	update_config '.hooks[$k] += [$h]' --arg k "$1" --argjson h "$(hook "$@")"
}

# mount_hooks_dir: $HOOKS at /hooks in the container, and jq (with the
# libraries it links) in its rootfs, for startContainer hooks.
mount_hooks_dir() {
	update_config '.mounts += [{destination: "/hooks", type: "bind", source: $s, options: ["rbind", "rw"]}]' --arg s "$HOOKS"
	local f
	for f in /usr/bin/jq $(ldd /usr/bin/jq | grep -o '/[^ ]*'); do
		cp -L --parents "$f" "$BUNDLE/rootfs"
	done
}

# failing_hook KIND: a hook that prints a message and exits 3.
failing_hook() {
	add_hook "$1" /bin/sh -c 'echo "hook-says-no" >&2; exit 3'
}

@test "hooks: all six kinds run, in order, each with the state of its moment" {
	make_bundle
	mount_hooks_dir
	set_args true
	local k
	for k in prestart createRuntime createContainer startContainer poststart poststop; do
		add_hook "$k"
	done
	create_container hk-all
	[ "$(head -n 3 "$HOOKS/log")" = "prestart creating hk-all
createRuntime creating hk-all
createContainer creating hk-all" ]
	rt start hk-all
	wait_for_status hk-all stopped
	rt delete hk-all
	# startContainer runs in the container just before the workload is
	# executed, so the container is still created (the spec's "running":
	# the user-specified program has been executed). poststart runs only
	# after that in rt and runc 1.6; runc 1.5 runs it at the end of create.
	local poststart="5p;poststart running hk-all"
	is_rt || poststart="4p;poststart created hk-all"
	[ "$(sed -n "${poststart%%;*}" "$HOOKS/log")" = "${poststart#*;}" ]
	[ "$(grep -v poststart "$HOOKS/log")" = "prestart creating hk-all
createRuntime creating hk-all
createContainer creating hk-all
startContainer created hk-all
poststop stopped hk-all" ]
	assert_nothing_left hk-all
}

@test "hooks: the state on stdin names the container's init pid and bundle" {
	make_bundle
	set_args sleep 100
	add_hook createRuntime /bin/sh -c "cat >'$HOOKS/createRuntime.json'"
	add_hook poststart /bin/sh -c "cat >'$HOOKS/poststart.json'"
	create_container hk-state
	pid=$(container_pid hk-state)
	[ "$(jq -r .pid "$HOOKS/createRuntime.json")" -eq "$pid" ]
	[ "$(jq -r .bundle "$HOOKS/createRuntime.json")" = "$BUNDLE" ]
	rt start hk-state
	[ "$(jq -r .pid "$HOOKS/poststart.json")" -eq "$pid" ]
	rt delete --force hk-state
	assert_nothing_left hk-state
}

@test "hooks: several hooks of one kind run in the order given" {
	make_bundle
	set_args true
	add_hook createRuntime /bin/sh -c "echo first >>'$HOOKS/log'"
	add_hook createRuntime /bin/sh -c "echo second >>'$HOOKS/log'"
	add_hook createRuntime /bin/sh -c "echo third >>'$HOOKS/log'"
	create_container hk-many
	[ "$(cat "$HOOKS/log")" = "first
second
third" ]
	rt delete --force hk-many
	assert_nothing_left hk-many
}

@test "hooks: a hook gets its args and env, and nothing of rt's env" {
	make_bundle
	set_args true
	update_config '.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", $s, "arg0", "one two"], env: ["HOOKVAR=hv"]}]' \
		--arg s "echo \"\$0|\$1|\$HOOKVAR|\${RT_LEAK:-unset}\" >'$HOOKS/log'"
	RT_LEAK=leaked create_container hk-args
	[ "$(cat "$HOOKS/log")" = "arg0|one two|hv|unset" ]
	rt delete --force hk-args
	assert_nothing_left hk-args
}

@test "hooks: a runtime hook without env gets the caller's environment; createContainer gets none" {
	make_bundle
	set_args true
	local k
	for k in prestart createRuntime createContainer poststart poststop; do
		update_config '.hooks[$k] = [{path: "/bin/sh", args: ["sh", "-c", "echo \"$0 ${HOOKCALLER:-unset}\" >>" + $l, $k]}]' \
			--arg k "$k" --arg l "$HOOKS/log"
	done
	HOOKCALLER=from-caller create_container hk-callerenv
	HOOKCALLER=from-caller rt start hk-callerenv
	wait_for_status hk-callerenv stopped
	HOOKCALLER=from-caller rt delete hk-callerenv
	[ "$(grep -v poststart "$HOOKS/log")" = "prestart from-caller
createRuntime from-caller
createContainer unset
poststop from-caller" ]
	grep -qx "poststart from-caller" "$HOOKS/log"
	assert_nothing_left hk-callerenv
}

@test "hooks: a failing prestart hook fails create and leaves nothing" {
	make_bundle
	set_args true
	failing_hook prestart
	run -1 create_container hk-fail-pre
	# runc's words: which hook, its exit status, what it said.
	grep -F 'error running prestart hook #0: exit status 3, stdout: , stderr: hook-says-no' "$BATS_TEST_TMPDIR/hk-fail-pre.err"
	assert_nothing_left hk-fail-pre
}

@test "hooks: a failing createRuntime hook fails create and leaves nothing" {
	make_bundle
	set_args touch /tmp/ran
	failing_hook createRuntime
	add_hook createContainer
	run -1 create_container hk-fail-cr
	grep -F 'error running createRuntime hook #0: exit status 3, stdout: , stderr: hook-says-no' "$BATS_TEST_TMPDIR/hk-fail-cr.err"
	# The hooks after it did not run.
	[ ! -e "$HOOKS/log" ]
	assert_nothing_left hk-fail-cr
	[ ! -e "$BUNDLE/rootfs/tmp/ran" ]
}

@test "hooks: a failing createContainer hook fails create and leaves nothing" {
	make_bundle
	set_args touch /tmp/ran
	add_hook createRuntime
	add_hook createContainer /bin/true
	failing_hook createContainer
	run -1 create_container hk-fail-cc
	grep -F 'error running createContainer hook #1: exit status 3, stdout: , stderr: hook-says-no' "$BATS_TEST_TMPDIR/hk-fail-cc.err"
	[ "$(cat "$HOOKS/log")" = "createRuntime creating hk-fail-cc" ]
	assert_nothing_left hk-fail-cc
	[ ! -e "$BUNDLE/rootfs/tmp/ran" ]
}

@test "hooks: a failing startContainer hook fails start; the workload never runs" {
	make_bundle
	set_args touch /tmp/ran
	failing_hook startContainer
	add_hook poststart
	create_container hk-fail-sc
	# The spec: the runtime MUST generate an error and stop the container.
	# The init says which hook failed (runc's init on the stderr it got
	# from create); rt start also fails with it, where runc start, which
	# does not wait for the exec, exits 0 (docs/ARCHITECTURE.md).
	run rt start hk-fail-sc
	if is_rt; then
		[ "$status" -ne 0 ]
	fi
	wait_for_status hk-fail-sc stopped
	cat "$BATS_TEST_TMPDIR/hk-fail-sc.err" - <<<"$output" | grep -F 'error running startContainer hook #0: exit status 3, stdout: , stderr: hook-says-no'
	[ ! -e "$BUNDLE/rootfs/tmp/ran" ]
	# poststart is for a started container (runc 1.5 runs it in create).
	if is_rt; then
		[ ! -e "$HOOKS/log" ]
	fi
	rt delete hk-fail-sc
	assert_nothing_left hk-fail-sc
}

@test "hooks: a failing startContainer hook fails a foreground run and leaves nothing" {
	make_bundle
	set_args touch /tmp/ran
	failing_hook startContainer
	run rt run --bundle "$BUNDLE" hk-fail-scr
	# runc's status: its init, which ran the hook, exits 255.
	[ "$status" -eq 255 ]
	[[ "$output" == *'error running startContainer hook #0: exit status 3, stdout: , stderr: hook-says-no'* ]]
	[ ! -e "$BUNDLE/rootfs/tmp/ran" ]
	assert_nothing_left hk-fail-scr
}

@test "hooks: a failing poststart hook fails run, stops the container and leaves nothing" {
	# runc 1.5 runs poststart in create, runc 1.6 and rt after the
	# workload's exec; either way the hook's failure is the command's, the
	# container is stopped and destroyed, and the poststop hooks run.
	make_bundle
	set_args sleep 100
	failing_hook poststart
	add_hook poststop
	run -1 run_detached hk-fail-ps
	grep -F 'error running poststart hook #0: exit status 3, stdout: , stderr: hook-says-no' "$BATS_TEST_TMPDIR/hk-fail-ps.err"
	[ "$(cat "$HOOKS/log")" = "poststop stopped hk-fail-ps" ]
	assert_nothing_left hk-fail-ps
}

@test "hooks: a failing poststart hook fails start and stops the container; delete runs poststop" {
	requires_rt # runc 1.5 runs poststart in create: create fails
	make_bundle
	set_args sleep 100
	failing_hook poststart
	add_hook poststop
	create_container hk-fail-ps2
	pid=$(container_pid hk-fail-ps2)
	run --separate-stderr rt start hk-fail-ps2
	assert_one_error_line
	[[ "$stderr" == *'error running poststart hook #0: exit status 3, stdout: , stderr: hook-says-no'* ]]
	[ "$(container_status hk-fail-ps2)" = stopped ]
	[ ! -d "/proc/$pid" ] || [ "$(awk '/^State:/ {print $2}' "/proc/$pid/status")" = Z ]
	rt delete hk-fail-ps2
	[ "$(cat "$HOOKS/log")" = "poststop stopped hk-fail-ps2" ]
	assert_nothing_left hk-fail-ps2
}

@test "hooks: a startContainer hook gets the process's environment when it has none of its own" {
	make_bundle
	set_args true
	update_config '.process.env += ["HOOKTEST=from-process"] |
		.hooks.startContainer = [{path: "/bin/sh", args: ["sh", "-c", "echo \"$HOOKTEST\" >/tmp/hookenv"]},
			{path: "/bin/sh", args: ["sh", "-c", "echo \"${HOOKTEST:-unset}\" >/tmp/hookenv2"], env: ["OTHER=1"]}]'
	create_container hk-scenv
	rt start hk-scenv
	wait_for_status hk-scenv stopped
	[ "$(cat "$BUNDLE/rootfs/tmp/hookenv")" = from-process ]
	# A hook with env of its own gets only that.
	[ "$(cat "$BUNDLE/rootfs/tmp/hookenv2")" = unset ]
	rt delete hk-scenv
	assert_nothing_left hk-scenv
}

@test "hooks: a startContainer hook runs before the seccomp filter that would block it" {
	# With no_new_privileges (the spec's default) the filter is the last
	# step before execve, after the startContainer hooks: the filter is
	# the workload's. runc 1.5.3 loads it before them (docs/ARCHITECTURE.md).
	requires_rt
	make_bundle
	set_args true
	update_config '.process.noNewPrivileges = true |
		.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]} |
		.hooks.startContainer = [{path: "/bin/mkdir", args: ["mkdir", "/tmp/made-by-hook"]}]'
	create_container hk-scsec
	rt start hk-scsec
	wait_for_status hk-scsec stopped
	[ -d "$BUNDLE/rootfs/tmp/made-by-hook" ]
	rt delete hk-scsec
	assert_nothing_left hk-scsec
	# The workload itself is filtered.
	make_bundle "$BATS_TEST_TMPDIR/b2"
	set_args -b "$BATS_TEST_TMPDIR/b2" mkdir /tmp/made-by-workload
	update_config -b "$BATS_TEST_TMPDIR/b2" '.process.noNewPrivileges = true |
		.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]}'
	run rt run --bundle "$BATS_TEST_TMPDIR/b2" hk-scsec2
	[ "$status" -ne 0 ]
	[ ! -e "$BATS_TEST_TMPDIR/b2/rootfs/tmp/made-by-workload" ]
}

@test "hooks: a failing poststop hook is only a warning; delete still removes all" {
	make_bundle
	set_args true
	failing_hook poststop
	add_hook poststop
	create_container hk-fail-pst
	rt start hk-fail-pst
	wait_for_status hk-fail-pst stopped
	run --separate-stderr rt delete hk-fail-pst
	[[ "$stderr" == *'error running poststop hook #0: exit status 3, stdout: , stderr: hook-says-no'* ]]
	if is_rt; then
		# The spec: a warning, and the remaining hooks still run (runc
		# 1.5 fails delete and skips them; docs/ARCHITECTURE.md).
		[ "$status" -eq 0 ]
		[ "$(cat "$HOOKS/log")" = "poststop stopped hk-fail-pst" ]
	fi
	assert_nothing_left hk-fail-pst
}

@test "hooks: a hook that outlives its timeout fails create" {
	make_bundle
	set_args true
	update_config '.hooks.createRuntime = [{path: "/bin/sleep", args: ["sleep", "30"], timeout: 1}]'
	SECONDS=0
	run -1 create_container hk-timeout
	[ "$SECONDS" -lt 10 ]
	grep -q -i 'timed out\|timeout' "$BATS_TEST_TMPDIR/hk-timeout.err"
	assert_nothing_left hk-timeout
}

@test "hooks: the timeout holds for a hook script whose child keeps its stdout open" {
	requires_rt # runc 1.5 waits for the child's end of the pipes
	# A shell hook that starts a background job: the child inherits the
	# hook's stdout and stderr, so waiting for their EOF would wait for it.
	make_bundle
	set_args true
	cat >"$HOOKS/slow.sh" <<-EOF2
		#!/bin/sh
		sleep 15 &
		echo \$! >"$HOOKS/child.pid"
		wait
	EOF2
	chmod +x "$HOOKS/slow.sh"
	update_config '.hooks.createRuntime = [{path: $p, timeout: 1}]' --arg p "$HOOKS/slow.sh"
	SECONDS=0
	run -1 create_container hk-timeout2
	elapsed=$SECONDS
	remember_pid "$(cat "$HOOKS/child.pid")" hook-child
	[ "$elapsed" -lt 8 ]
	assert_nothing_left hk-timeout2
}

@test "hooks: a hook within its timeout runs normally" {
	make_bundle
	set_args true
	update_config '.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", $s], timeout: 5}]' --arg s "sleep 0.2; echo done >'$HOOKS/log'"
	create_container hk-intime
	[ "$(cat "$HOOKS/log")" = done ]
	rt delete --force hk-intime
	assert_nothing_left hk-intime
}
