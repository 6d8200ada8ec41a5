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
	[ "$(cat "$HOOKS/log")" = "prestart creating hk-all
createRuntime creating hk-all
createContainer creating hk-all" ]
	rt start hk-all
	wait_for_status hk-all stopped
	rt delete hk-all
	# startContainer runs in the container just before the workload is
	# executed, so the container is still created (the spec's "running":
	# the user-specified program has been executed). poststart runs only
	# after that (runc 1.1 runs poststart in create; the spec and newer
	# runc do not).
	[ "$(cat "$HOOKS/log")" = "prestart creating hk-all
createRuntime creating hk-all
createContainer creating hk-all
startContainer created hk-all
poststart running hk-all
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

@test "hooks: a failing prestart hook fails create and leaves nothing" {
	make_bundle
	set_args true
	failing_hook prestart
	run -1 create_container hk-fail-pre
	grep -q hook-says-no "$BATS_TEST_TMPDIR/hk-fail-pre.err"
	assert_nothing_left hk-fail-pre
}

@test "hooks: a failing createRuntime hook fails create and leaves nothing" {
	make_bundle
	set_args touch /tmp/ran
	failing_hook createRuntime
	add_hook createContainer
	run -1 create_container hk-fail-cr
	grep -q hook-says-no "$BATS_TEST_TMPDIR/hk-fail-cr.err"
	# The hooks after it did not run.
	[ ! -e "$HOOKS/log" ]
	assert_nothing_left hk-fail-cr
	[ ! -e "$BUNDLE/rootfs/tmp/ran" ]
}

@test "hooks: a failing createContainer hook fails create and leaves nothing" {
	make_bundle
	set_args touch /tmp/ran
	add_hook createRuntime
	failing_hook createContainer
	run -1 create_container hk-fail-cc
	grep -q hook-says-no "$BATS_TEST_TMPDIR/hk-fail-cc.err"
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
	run rt start hk-fail-sc
	[ "$status" -ne 0 ]
	wait_for_status hk-fail-sc stopped
	[ ! -e "$BUNDLE/rootfs/tmp/ran" ]
	# poststart is for a started container.
	[ ! -e "$HOOKS/log" ]
	rt delete hk-fail-sc
	assert_nothing_left hk-fail-sc
}

@test "hooks: a failing startContainer hook fails a foreground run and leaves nothing" {
	make_bundle
	set_args touch /tmp/ran
	failing_hook startContainer
	run rt run --bundle "$BUNDLE" hk-fail-scr
	[ "$status" -ne 0 ]
	[[ "$output" == *hook-says-no* ]]
	[ ! -e "$BUNDLE/rootfs/tmp/ran" ]
	assert_nothing_left hk-fail-scr
}

@test "hooks: a failing poststart hook is only a warning" {
	make_bundle
	set_args sleep 100
	failing_hook poststart
	add_hook poststop
	create_container hk-fail-ps
	run --separate-stderr rt start hk-fail-ps
	[ "$status" -eq 0 ]
	# The warning carries the hook's own message.
	[[ "$stderr" == *hook-says-no* ]]
	[ "$(container_status hk-fail-ps)" = running ]
	container_pid hk-fail-ps >/dev/null
	rt delete --force hk-fail-ps
	[ "$(cat "$HOOKS/log")" = "poststop stopped hk-fail-ps" ]
	assert_nothing_left hk-fail-ps
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
	[ "$status" -eq 0 ]
	[[ "$stderr" == *hook-says-no* ]]
	# The hook after the failing one still ran.
	[ "$(cat "$HOOKS/log")" = "poststop stopped hk-fail-pst" ]
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
