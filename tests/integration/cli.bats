#!/usr/bin/env bats
# The command line as runc 1.5 parses it: flags after the positional
# arguments, -h/--help of every command, argument counts, kill's signal 0
# and --all, list of a missing --root, ps of a stopped container.

load helpers

# Every command of runc 1.5 (rt answers help for checkpoint/restore too).
COMMANDS="checkpoint create delete events exec features kill list pause ps restore resume run spec start state update"

@test "cli: every command answers -h and --help with exit status 0" {
	local c
	for c in $COMMANDS; do
		run rt "$c" -h
		[ "$status" -eq 0 ] || { echo "$c -h: $status $output"; false; }
		[[ "$output" == *"$c"* ]]
		run rt "$c" --help
		[ "$status" -eq 0 ] || { echo "$c --help: $status $output"; false; }
	done
	# After the id too, except where what follows the id is the process's
	# (exec) or ps(1)'s (ps).
	for c in checkpoint create delete events kill pause restore resume run start state update; do
		run rt "$c" some-id --help
		[ "$status" -eq 0 ] || { echo "$c ID --help: $status $output"; false; }
	done
	[ -z "$(ls -A "$RT_ROOT")" ]
}

@test "cli: --help lists the commands in runc's order" {
	run rt --help
	[ "$status" -eq 0 ]
	local got
	got=$(sed -n '/^COMMANDS:/,/^GLOBAL OPTIONS:/p' <<<"$output" |
		awk 'NR > 1 && NF && $1 != "GLOBAL" && $1 != "help," { printf "%s%s", sep, $1; sep = " " }')
	[ "$got" = "checkpoint create delete events exec kill list pause ps restore resume run spec start state update features" ] ||
		{ echo "got: $got"; false; }
}

@test "cli: flags after the container id are parsed (update, delete, kill)" {
	make_bundle
	set_args sleep 100
	run_detached cli-after
	run rt update cli-after --memory 50M --pids-limit 77
	[ "$status" -eq 0 ]
	[ "$(cat "/sys/fs/cgroup/memory$(config_cgroup)/memory.limit_in_bytes")" -eq $((50 << 20)) ]
	[ "$(cat "/sys/fs/cgroup/pids$(config_cgroup)/pids.max")" -eq 77 ]
	run rt kill cli-after 0 -a
	[ "$status" -eq 0 ]
	run rt delete cli-after --force
	[ "$status" -eq 0 ]
	assert_nothing_left cli-after
}

@test "cli: a bool flag after the id takes the next argument along (runc's urfave/cli v1)" {
	make_bundle
	set_args sleep 100
	run_detached cli-quirk
	# "-a KILL" moves in front as a pair: the id is then KILL, which
	# does not exist, and the container is untouched.
	run --separate-stderr rt kill cli-quirk -a KILL
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"does not exist"* ]]
	[ "$(container_status cli-quirk)" = running ]
	rt delete --force cli-quirk
	assert_nothing_left cli-quirk
}

@test "cli: exec keeps what follows the id as the process's arguments" {
	make_bundle
	set_args sleep 100
	run_detached cli-exec
	run rt exec cli-exec echo --env A=b -t
	[ "$status" -eq 0 ]
	[ "$output" = "--env A=b -t" ]
	rt delete --force cli-exec
	assert_nothing_left cli-exec
}

@test "cli: unknown flags after the id are positional arguments; counts as runc words them" {
	run --separate-stderr rt state some-id --foo
	[ "$status" -eq 1 ]
	[[ "$output" == "Incorrect Usage."* ]]
	[[ "$stderr" == *state*"requires exactly 1 argument(s)"* ]]
	run --separate-stderr rt kill
	[ "$status" -eq 1 ]
	[[ "$stderr" == *kill*"requires a minimum of 1 argument(s)"* ]]
	run --separate-stderr rt kill a b c
	[ "$status" -eq 1 ]
	[[ "$stderr" == *kill*"requires a maximum of 2 argument(s)"* ]]
	run --separate-stderr rt list extra
	[ "$status" -eq 1 ]
	[[ "$stderr" == *list*"requires exactly 0 argument(s)"* ]]
	run --separate-stderr rt exec
	[ "$status" -eq 1 ]
	[[ "$stderr" == *exec*"requires a minimum of 1 argument(s)"* ]]
}

@test "cli: containers named h and help are containers, not the help command" {
	make_bundle
	set_args sleep 100
	make_bundle "$BATS_TEST_TMPDIR/b2"
	set_args -b "$BATS_TEST_TMPDIR/b2" sleep 100
	run_detached h
	run_detached help "$BATS_TEST_TMPDIR/b2"
	[ "$(container_status h)" = running ]
	[ "$(container_status help)" = running ]
	rt delete --force h
	rt delete --force help
	assert_nothing_left h
	assert_nothing_left help "$BATS_TEST_TMPDIR/b2"
}

@test "kill ID 0 is a liveness check; --all hides only 'not running'" {
	make_bundle
	set_args sleep 100
	run_detached cli-k0
	run rt kill cli-k0 0
	[ "$status" -eq 0 ]
	[ "$(container_status cli-k0)" = running ]
	rt kill cli-k0 KILL
	wait_for_status cli-k0 stopped
	run --separate-stderr rt kill cli-k0 0
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"container not running"* ]]
	run --separate-stderr rt kill cli-k0 TERM
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"container not running"* ]]
	run rt kill -a cli-k0 0
	[ "$status" -eq 0 ]
	run rt kill --all cli-k0 TERM
	[ "$status" -eq 0 ]
	# A container that does not exist is an error even with --all.
	run rt kill --all no-such-ctr 0
	[ "$status" -eq 1 ]
	rt delete cli-k0
	assert_nothing_left cli-k0
}

@test "kill: a number goes to kill(2) as it is" {
	make_bundle
	set_args sleep 100
	run_detached cli-knum
	run --separate-stderr rt kill cli-knum 300
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"invalid argument"* ]]
	[ "$(container_status cli-knum)" = running ]
	rt kill cli-knum 9
	wait_for_status cli-knum stopped
	rt delete cli-knum
	assert_nothing_left cli-knum
}

@test "kill KILL of a container in the host pid namespace kills its whole cgroup, also after its init is gone" {
	make_bundle
	remove_namespace pid
	set_args sh -c 'trap "exit 0" TERM; sleep 100 & echo $! >/tmp/child; while :; do sleep 0.05; done'
	run_detached cli-hostpid
	wait_for_file "$BUNDLE/rootfs/tmp/child"
	child=$(cat "$BUNDLE/rootfs/tmp/child")
	remember_pid "$child" cli-hostpid
	init=$(container_pid cli-hostpid)
	st=$(proc_starttime "$child")
	# --all does not signal every process: only the init gets SIGTERM.
	rt kill --all cli-hostpid TERM
	wait_for_status cli-hostpid stopped
	pid_alive "$child" "$st"
	grep -qx "$child" "/sys/fs/cgroup/pids$(config_cgroup)/cgroup.procs"
	# ps of the stopped container still lists what is in its cgroup.
	run rt ps --format json cli-hostpid
	[ "$status" -eq 0 ]
	[ "$output" = "[$child]" ]
	run rt kill cli-hostpid KILL
	[ "$status" -eq 0 ]
	for i in $(seq 100); do pid_alive "$child" "$st" || break; sleep 0.05; done
	! pid_alive "$child" "$st"
	rt delete cli-hostpid
	assert_nothing_left cli-hostpid
}

@test "kill KILL of a host-pid-namespace container whose cgroup is gone: not running, no error with --all" {
	# systemd removes a scope once its last process exits; containerd's
	# shim then still sends `kill --all <id> 9` (and `kill <id> 9`, whose
	# "container not running" it reads as "process already finished").
	make_bundle
	remove_namespace pid
	set_args true
	run_detached cli-cggone
	wait_for_status cli-cggone stopped
	for d in $(test_cgroup_dirs); do rmdir "$d"; done
	[ -z "$(test_cgroup_dirs)" ]
	run --separate-stderr rt kill --all cli-cggone KILL
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	run --separate-stderr rt kill cli-cggone KILL
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"container not running"* ]]
	rt delete cli-cggone
	assert_nothing_left cli-cggone
}

@test "list with a --root that does not exist fails and does not create it" {
	local missing="$BATS_TEST_TMPDIR/no-such-root"
	run --separate-stderr "$RT" --root "$missing" list
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"$missing"*"no such file or directory"* ]]
	[ ! -e "$missing" ]
	run "$RT" --root "$missing" list -q
	[ "$status" -eq 1 ]
	run "$RT" --root "$missing" list --format json
	[ "$status" -eq 1 ]
	[ ! -e "$missing" ]
}

@test "ps of a stopped container succeeds with an empty list" {
	make_bundle
	set_args true
	run_detached cli-psstopped
	wait_for_status cli-psstopped stopped
	run --separate-stderr rt ps cli-psstopped
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == UID*PID*CMD ]]
	run --separate-stderr rt ps --format json cli-psstopped
	[ "$status" -eq 0 ]
	[ "$output" = null ]
	rt delete cli-psstopped
	assert_nothing_left cli-psstopped
}
