#!/usr/bin/env bats
# File descriptors: what the container's stdio are, --pid-file,
# --preserve-fds, and that no other fd of rt reaches the container.

load helpers

# fd_list PID: the fd numbers PID holds, space separated, ascending.
fd_list() {
	ls /proc/"$1"/fd | sort -n | tr '\n' ' ' | sed 's/ $//'
}

@test "run -d without a terminal: the container's stdio are the fds rt was given" {
	make_bundle
	set_args sh -c 'read line; echo "out:$line"; echo "err:$line" >&2; exec sleep 100'
	echo given-stdin >"$BATS_TEST_TMPDIR/in"
	rt run -d --bundle "$BUNDLE" fd-stdio <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
	pid=$(container_pid fd-stdio)
	[ "$(readlink /proc/$pid/fd/0)" = "$BATS_TEST_TMPDIR/in" ]
	[ "$(readlink /proc/$pid/fd/1)" = "$BATS_TEST_TMPDIR/out" ]
	[ "$(readlink /proc/$pid/fd/2)" = "$BATS_TEST_TMPDIR/err" ]
	for i in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/err" ] && break; sleep 0.05; done
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = out:given-stdin ]
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = err:given-stdin ]
	rt delete --force fd-stdio
	assert_nothing_left fd-stdio
}

@test "create + start without a terminal: the workload gets create's stdio, a pipe included" {
	make_bundle
	set_args sleep 100
	# A pipe as stdout: the container must hold a pipe, not a copy of it.
	rt create --bundle "$BUNDLE" fd-cstdio </dev/null 2>"$BATS_TEST_TMPDIR/err" \
		> >(cat >"$BATS_TEST_TMPDIR/out" 3>&-)
	rt start fd-cstdio
	pid=$(container_pid fd-cstdio)
	[ "$(readlink /proc/$pid/fd/0)" = /dev/null ]
	[[ "$(readlink /proc/$pid/fd/1)" == pipe:* ]]
	[ "$(readlink /proc/$pid/fd/2)" = "$BATS_TEST_TMPDIR/err" ]
	rt delete --force fd-cstdio
	assert_nothing_left fd-cstdio
}

@test "no fd of rt reaches the workload: the init holds 0 1 2 only" {
	make_bundle
	set_args sleep 100
	# Fds rt inherits without close-on-exec, beyond --preserve-fds.
	run_detached fd-leak "$BUNDLE" 5</dev/null 7>"$BATS_TEST_TMPDIR/seven" 9<"$BUNDLE/config.json"
	pid=$(container_pid fd-leak)
	[ "$(fd_list "$pid")" = "0 1 2" ]
	rt delete --force fd-leak
	assert_nothing_left fd-leak
}

@test "no fd of rt reaches the workload: ls /proc/self/fd inside shows 0 1 2 3" {
	make_bundle
	# 3 is ls's own handle on the directory it lists.
	set_args sh -c 'ls /proc/self/fd | tr "\n" " "'
	run rt run --bundle "$BUNDLE" fd-ls 5</dev/null 7>"$BATS_TEST_TMPDIR/seven" 9<"$BUNDLE/config.json"
	[ "$status" -eq 0 ]
	[ "$output" = "0 1 2 3 " ]
	assert_nothing_left fd-ls
}

@test "no fd of rt reaches the workload after create + start" {
	make_bundle
	set_args sh -c 'ls /proc/self/fd | tr "\n" " " >/tmp/fds'
	create_container fd-cls "$BUNDLE" 5</dev/null 7>"$BATS_TEST_TMPDIR/seven"
	rt start fd-cls 6</dev/null
	wait_for_status fd-cls stopped
	[ "$(cat "$BUNDLE/rootfs/tmp/fds")" = "0 1 2 3 " ]
	rt delete fd-cls
	assert_nothing_left fd-cls
}

@test "the workload's working directory is inside its rootfs" {
	make_bundle
	update_config '.process.cwd = "/tmp"'
	set_args sleep 100
	run_detached fd-cwd
	pid=$(container_pid fd-cwd)
	# Seen from the host the paths are the container's own; compare the
	# directories themselves (the rootfs bind keeps device and inode).
	[ "$(stat -L -c %d:%i /proc/$pid/cwd)" = "$(stat -c %d:%i "$BUNDLE/rootfs/tmp")" ]
	[ "$(stat -L -c %d:%i /proc/$pid/root)" = "$(stat -c %d:%i "$BUNDLE/rootfs")" ]
	rt delete --force fd-cwd
	assert_nothing_left fd-cwd
}

@test "--preserve-fds 2: the init holds 0 1 2 3 4 and nothing above" {
	make_bundle
	set_args sleep 100
	run_detached fd-keep2 "$BUNDLE" --preserve-fds 2 3<"$BUNDLE/config.json" 4>"$BATS_TEST_TMPDIR/four" 5</dev/null
	pid=$(container_pid fd-keep2)
	[ "$(fd_list "$pid")" = "0 1 2 3 4" ]
	[ "$(readlink /proc/$pid/fd/3)" = "$BUNDLE/config.json" ]
	[ "$(readlink /proc/$pid/fd/4)" = "$BATS_TEST_TMPDIR/four" ]
	rt delete --force fd-keep2
	assert_nothing_left fd-keep2
}

@test "--preserve-fds: a preserved fd is writable from inside, and keeps its offset" {
	make_bundle
	set_args sh -c 'echo from-inside >&3'
	printf 'head\n' >"$BATS_TEST_TMPDIR/three"
	exec 8>>"$BATS_TEST_TMPDIR/three"
	run rt run --preserve-fds 1 --bundle "$BUNDLE" fd-write 3>&8
	exec 8>&-
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/three")" = "head
from-inside" ]
	assert_nothing_left fd-write
}

@test "--preserve-fds 3 through create + start; ls inside shows 0-5 and ls's own 6" {
	make_bundle
	set_args sh -c 'ls /proc/self/fd | tr "\n" " " >/tmp/fds'
	create_container fd-keep3 "$BUNDLE" --preserve-fds 3 3</dev/null 4</dev/null 5</dev/null 6</dev/null 7</dev/null
	rt start fd-keep3
	wait_for_status fd-keep3 stopped
	[ "$(cat "$BUNDLE/rootfs/tmp/fds")" = "0 1 2 3 4 5 6 " ]
	rt delete fd-keep3
	assert_nothing_left fd-keep3
}

@test "--pid-file holds exactly the init's pid" {
	make_bundle
	set_args sleep 100
	run_detached fd-pid "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid"
	pid=$(container_pid fd-pid)
	# Digits only (an optional newline aside), nothing else.
	[[ "$(cat "$BATS_TEST_TMPDIR/pid")" =~ ^[0-9]+$ ]]
	[ "$(cat "$BATS_TEST_TMPDIR/pid")" -eq "$pid" ]
	rt delete --force fd-pid
	assert_nothing_left fd-pid
}

@test "--pid-file is written atomically: a new file renamed over the old one" {
	make_bundle
	set_args sleep 100
	mkdir "$BATS_TEST_TMPDIR/piddir"
	echo stale >"$BATS_TEST_TMPDIR/piddir/pid"
	# A second link to the old file: an in-place rewrite would change it,
	# a rename over the name leaves it alone.
	ln "$BATS_TEST_TMPDIR/piddir/pid" "$BATS_TEST_TMPDIR/old-pid"
	create_container fd-pidatomic "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/piddir/pid"
	pid=$(container_pid fd-pidatomic)
	[ "$(cat "$BATS_TEST_TMPDIR/piddir/pid")" -eq "$pid" ]
	[ "$(cat "$BATS_TEST_TMPDIR/old-pid")" = stale ]
	# No temporary file left beside it.
	[ "$(ls -A "$BATS_TEST_TMPDIR/piddir")" = pid ]
	rt delete --force fd-pidatomic
	assert_nothing_left fd-pidatomic
}

@test "--pid-file is there when create returns, before start" {
	make_bundle
	set_args sleep 100
	create_container fd-pidearly "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid"
	[ "$(container_status fd-pidearly)" = created ]
	[ "$(cat "$BATS_TEST_TMPDIR/pid")" -eq "$(container_pid fd-pidearly)" ]
	rt delete --force fd-pidearly
	assert_nothing_left fd-pidearly
}

@test "--pid-file in a directory that does not exist fails create and leaves nothing" {
	make_bundle
	set_args sleep 100
	run -1 create_container fd-pidbad "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/no/such/dir/pid"
	assert_nothing_left fd-pidbad
}

@test "a /dev/null stdio is reopened as the container's own /dev/null; init and exec lead their own session" {
	make_bundle
	set_args sleep 100
	rt run -d --bundle "$BUNDLE" fd-null </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err"
	pid=$(container_pid fd-null)
	# The same null device (1:3), but on the container's /dev, not the host's:
	# CRIU dumps only fds on the container's own mounts (runc reopens it too).
	[ "$(stat -L -c %t:%T /proc/$pid/fd/0)" = 1:3 ]
	[ "$(stat -L -c %d /proc/$pid/fd/0)" != "$(stat -c %d /dev/null)" ]
	[ "$(stat -L -c %d /proc/$pid/fd/1)" = "$(stat -L -c %d /proc/$pid/fd/0)" ]
	# stderr was a file: left as it was.
	[ "$(readlink /proc/$pid/fd/2)" = "$BATS_TEST_TMPDIR/err" ]
	# A session of its own, without a terminal too (runc's init calls setsid).
	[ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ]
	rt exec -d fd-null sleep 99 </dev/null >/dev/null 2>&1
	epid=
	for p in $(pgrep -x sleep); do
		[ "$(tr '\0' ' ' <"/proc/$p/cmdline")" = "sleep 99 " ] && [ "$(readlink "/proc/$p/ns/pid")" = "$(readlink "/proc/$pid/ns/pid")" ] && epid=$p
	done
	[ -n "$epid" ]
	[ "$(ps -o sid= -p "$epid" | tr -d ' ')" = "$epid" ]
	rt delete --force fd-null
	assert_nothing_left fd-null
}
