#!/usr/bin/env bats
# `run`: foreground exit codes, stdio, signal forwarding, detach, pid file,
# preserved fds.

load helpers

@test "run: exit code of the container comes back" {
	make_bundle
	set_args sh -c 'exit 42'
	run rt run --bundle "$BUNDLE" r-exit
	[ "$status" -eq 42 ]
	assert_nothing_left r-exit
}

@test "run: exit code 0" {
	make_bundle
	set_args true
	run rt run --bundle "$BUNDLE" r-zero
	[ "$status" -eq 0 ]
	assert_nothing_left r-zero
}

@test "run: death by SIGKILL gives 137 (kill -9 \$\$ inside, no pid namespace)" {
	# The init of a pid namespace cannot be killed from inside it; without
	# one the shell's kill -9 $$ is real.
	make_bundle
	remove_namespace pid
	set_args sh -c 'kill -9 $$'
	run rt run --bundle "$BUNDLE" r-sig9
	[ "$status" -eq 137 ]
	assert_nothing_left r-sig9
}

@test "run: init of a pid namespace killed from outside gives 137" {
	make_bundle
	set_args sh -c 'touch /tmp/ready; while :; do sleep 0.05; done'
	"$RT" --root "$RT_ROOT" run --bundle "$BUNDLE" r-sig9out </dev/null >/dev/null 2>&1 3>&- &
	rtpid=$!
	remember_pid "$rtpid"
	wait_for_file "$BUNDLE/rootfs/tmp/ready"
	rt kill r-sig9out KILL
	rc=0
	wait "$rtpid" || rc=$?
	[ "$rc" -eq 137 ]
	assert_nothing_left r-sig9out
}

@test "run: death by SIGTERM gives 143 (no pid namespace)" {
	# pid 1 ignores signals it has no handler for, so the workload runs
	# without a new pid namespace here and kills itself.
	make_bundle
	remove_namespace pid
	set_args sh -c 'kill -TERM $$; sleep 1'
	run rt run --bundle "$BUNDLE" r-sig15
	[ "$status" -eq 143 ]
	assert_nothing_left r-sig15
}

@test "run: stdin, stdout and stderr pass through" {
	make_bundle
	set_args sh -c 'read line; echo "out:$line"; echo "err:$line" >&2'
	echo piped-in | rt run --bundle "$BUNDLE" r-stdio >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = out:piped-in ]
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = err:piped-in ]
	assert_nothing_left r-stdio
}

@test "run: a large stdin stream arrives intact" {
	make_bundle
	set_args sh -c 'cat | md5sum'
	head -c 1048576 /dev/urandom >"$BATS_TEST_TMPDIR/blob"
	want=$(md5sum <"$BATS_TEST_TMPDIR/blob" | cut -d' ' -f1)
	run rt run --bundle "$BUNDLE" r-big <"$BATS_TEST_TMPDIR/blob"
	[ "$status" -eq 0 ]
	[ "${output%% *}" = "$want" ]
	assert_nothing_left r-big
}

@test "run: signals sent to the foreground run reach the container" {
	make_bundle
	set_args sh -c 'trap "exit 7" TERM; trap "exit 8" HUP; touch /tmp/ready; while :; do sleep 0.05; done'
	# $RT itself, not the rt function: $! must be the runtime's pid.
	"$RT" --root "$RT_ROOT" run --bundle "$BUNDLE" r-fwd </dev/null >/dev/null 2>&1 3>&- &
	rtpid=$!
	remember_pid "$rtpid"
	wait_for_file "$BUNDLE/rootfs/tmp/ready"
	kill -TERM "$rtpid"
	rc=0
	wait "$rtpid" || rc=$?
	[ "$rc" -eq 7 ]
	assert_nothing_left r-fwd
}

@test "run: SIGHUP is forwarded too" {
	make_bundle
	set_args sh -c 'trap "exit 8" HUP; touch /tmp/ready; while :; do sleep 0.05; done'
	"$RT" --root "$RT_ROOT" run --bundle "$BUNDLE" r-hup </dev/null >/dev/null 2>&1 3>&- &
	rtpid=$!
	remember_pid "$rtpid"
	wait_for_file "$BUNDLE/rootfs/tmp/ready"
	kill -HUP "$rtpid"
	rc=0
	wait "$rtpid" || rc=$?
	[ "$rc" -eq 8 ]
	assert_nothing_left r-hup
}

@test "run: the container is deleted after it exits" {
	make_bundle
	set_args sh -c 'exit 3'
	run rt run --bundle "$BUNDLE" r-gone
	[ "$status" -eq 3 ]
	[ ! -e "$RT_ROOT/r-gone" ]
	run rt state r-gone
	[ "$status" -ne 0 ]
	run rt list -q
	[ -z "$output" ]
	assert_nothing_left r-gone
}

@test "run -d returns while the container keeps running" {
	make_bundle
	set_args sleep 100
	run run_detached r-detach
	[ "$status" -eq 0 ]
	[ "$(container_status r-detach)" = running ]
	pid=$(container_pid r-detach)
	[ "$(tr '\0' ' ' </proc/$pid/cmdline)" = "sleep 100 " ]
	rt delete --force r-detach
	assert_nothing_left r-detach
}

@test "run --detach, long form" {
	make_bundle
	set_args sleep 100
	rt run --detach --bundle "$BUNDLE" r-detach2 </dev/null >/dev/null 2>&1
	[ "$(container_status r-detach2)" = running ]
	container_pid r-detach2 >/dev/null
	rt delete --force r-detach2
	assert_nothing_left r-detach2
}

@test "run -d: a container that exits is stopped, not deleted" {
	make_bundle
	set_args sh -c 'exit 5'
	run_detached r-dexit
	wait_for_status r-dexit stopped
	rt delete r-dexit
	assert_nothing_left r-dexit
}

@test "run --pid-file holds the container init's host pid" {
	make_bundle
	set_args sleep 100
	run_detached r-pidfile "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid"
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	[ "$pid" -eq "$(container_pid r-pidfile)" ]
	# The host pid is the init of the container's own pid namespace.
	[ "$(awk '/^NSpid:/ {print $NF}' /proc/$pid/status)" -eq 1 ]
	rt delete --force r-pidfile
	assert_nothing_left r-pidfile
}

@test "run --pid-file with a relative path is relative to the working directory" {
	make_bundle
	set_args sleep 100
	cd "$BATS_TEST_TMPDIR"
	run_detached r-relpid "$BUNDLE" --pid-file rel.pid
	[ "$(cat "$BATS_TEST_TMPDIR/rel.pid")" -eq "$(container_pid r-relpid)" ]
	rt delete --force r-relpid
	assert_nothing_left r-relpid
}

@test "run --preserve-fds 1 passes fd 3" {
	make_bundle
	set_args sh -c 'cat <&3'
	echo through-fd-3 >"$BATS_TEST_TMPDIR/fd3"
	run rt run --preserve-fds 1 --bundle "$BUNDLE" r-fds 3<"$BATS_TEST_TMPDIR/fd3"
	[ "$status" -eq 0 ]
	[ "$output" = through-fd-3 ]
	assert_nothing_left r-fds
}

@test "run without --preserve-fds does not pass fd 3" {
	make_bundle
	set_args sh -c 'ls /proc/self/fd; cat <&3'
	echo secret >"$BATS_TEST_TMPDIR/fd3"
	run rt run --bundle "$BUNDLE" r-nofds 3<"$BATS_TEST_TMPDIR/fd3"
	[ "$status" -ne 0 ]
	[[ "$output" != *secret* ]]
	assert_nothing_left r-nofds
}

@test "run --preserve-fds 2 passes fds 3 and 4" {
	make_bundle
	set_args sh -c 'cat <&3; cat <&4'
	echo three >"$BATS_TEST_TMPDIR/fd3"
	echo four >"$BATS_TEST_TMPDIR/fd4"
	run rt run --preserve-fds 2 --bundle "$BUNDLE" r-fds2 3<"$BATS_TEST_TMPDIR/fd3" 4<"$BATS_TEST_TMPDIR/fd4"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = three ]
	[ "${lines[1]}" = four ]
	assert_nothing_left r-fds2
}

@test "create --preserve-fds 1 then start" {
	make_bundle
	set_args sh -c 'cat <&3 >/tmp/got'
	echo via-create >"$BATS_TEST_TMPDIR/fd3"
	rt create --preserve-fds 1 --bundle "$BUNDLE" r-cfds 3<"$BATS_TEST_TMPDIR/fd3" </dev/null >/dev/null 2>&1
	rt start r-cfds
	wait_for_status r-cfds stopped
	[ "$(cat "$BUNDLE/rootfs/tmp/got")" = via-create ]
	rt delete r-cfds
	assert_nothing_left r-cfds
}
