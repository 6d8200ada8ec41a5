#!/usr/bin/env bats
# terminal: true with --console-socket: the pty master goes to recvtty
# (contrib/cmd/recvtty), which proxies or drains it; the workload sees a
# pty of its own devpts as stdio, controlling terminal and /dev/console.

load helpers

setup_file() {
	build_recvtty
}

# start_recvtty [recvtty flags...]: recvtty on $SOCK in the background,
# stdin from $BATS_TEST_TMPDIR/tty.in when it exists (else /dev/null),
# output in tty.out/tty.err; returns once the socket listens.
start_recvtty() {
	SOCK="$BATS_TEST_TMPDIR/console.sock"
	local in=/dev/null
	[[ -e "$BATS_TEST_TMPDIR/tty.in" ]] && in="$BATS_TEST_TMPDIR/tty.in"
	"$RECVTTY" --pid-file "$BATS_TEST_TMPDIR/recvtty.pid" "$@" "$SOCK" \
		<"$in" >"$BATS_TEST_TMPDIR/tty.out" 2>"$BATS_TEST_TMPDIR/tty.err" 3>&- &
	RECVTTY_PID=$!
	remember_pid "$RECVTTY_PID" recvtty
	wait_for_file "$BATS_TEST_TMPDIR/recvtty.pid"
	[ "$(cat "$BATS_TEST_TMPDIR/recvtty.pid")" -eq "$RECVTTY_PID" ]
	[ -S "$SOCK" ]
}

# wait_recvtty: wait (up to ~10 s) for recvtty to exit; its exit code is
# this function's.
wait_recvtty() {
	local i
	for i in $(seq 200); do
		if [[ ! -d /proc/$RECVTTY_PID ]] || [[ "$(awk '/^State:/ {print $2}' /proc/$RECVTTY_PID/status 2>/dev/null)" == Z ]]; then
			wait "$RECVTTY_PID"
			return
		fi
		sleep 0.05
	done
	echo "recvtty $RECVTTY_PID still running; output: $(cat "$BATS_TEST_TMPDIR/tty.out")" >&2
	return 1
}

# tty_output: what the container wrote to its terminal, without the CRs
# of the pty's output processing.
tty_output() {
	tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out"
}

@test "console socket: create + start, tty is /dev/pts/0 of the container's devpts" {
	make_bundle
	update_config '.process.terminal = true'
	set_args sh -c 'tty; ls -l /dev/console; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-ttys'
	start_recvtty --no-stdin
	create_container con-tty "$BUNDLE" --console-socket "$SOCK"
	[ "$(container_status con-tty)" = created ]
	rt start con-tty
	wait_recvtty
	# recvtty took the one connection and removed its socket.
	[ ! -e "$SOCK" ]
	wait_for_status con-tty stopped
	run tty_output
	[ "${lines[0]}" = /dev/pts/0 ]
	# /dev/console is the same pty: char device 136 (pts), minor 0.
	[[ "${lines[1]}" == c*" 136,"*" 0 "*/dev/console ]]
	[ "${lines[2]}" = all-ttys ]
	rt delete con-tty
	assert_nothing_left con-tty
}

@test "console socket: process.consoleSize is applied" {
	make_bundle
	update_config '.process.terminal = true | .process.consoleSize = {height: 33, width: 111}'
	set_args stty size
	start_recvtty --no-stdin
	create_container con-size "$BUNDLE" --console-socket "$SOCK"
	rt start con-size
	wait_recvtty
	[ "$(tty_output)" = "33 111" ]
	wait_for_status con-size stopped
	rt delete con-size
	assert_nothing_left con-size
}

@test "console socket: the terminal is the controlling tty of a new session" {
	make_bundle
	update_config '.process.terminal = true'
	# Fields 6 and 7 of /proc/self/stat: session id and tty_nr.
	set_args sh -c 'set -- $(cat /proc/$$/stat); echo "pid=$1 sid=$6 tty=$7"'
	start_recvtty --no-stdin
	create_container con-ctty "$BUNDLE" --console-socket "$SOCK"
	rt start con-ctty
	wait_recvtty
	run tty_output
	# sh is pid 1 and leads its session; tty_nr 34816 = makedev(136, 0).
	[ "$output" = "pid=1 sid=1 tty=34816" ]
	wait_for_status con-ctty stopped
	rt delete con-ctty
	assert_nothing_left con-ctty
}

@test "console socket: recvtty single mode carries input to the container" {
	make_bundle
	update_config '.process.terminal = true'
	set_args sh -c 'read line; echo "got:$line"'
	echo hello-tty >"$BATS_TEST_TMPDIR/tty.in"
	start_recvtty
	create_container con-in "$BUNDLE" --console-socket "$SOCK"
	rt start con-in
	wait_recvtty
	run tty_output
	# The pty echoes the line, then the container answers it.
	[[ "$output" == *got:hello-tty* ]]
	wait_for_status con-in stopped
	rt delete con-in
	assert_nothing_left con-in
}

@test "console socket: recvtty null mode drains a large output until the container ends" {
	make_bundle
	update_config '.process.terminal = true'
	# Far more than a pty buffers: the workload finishes only if drained.
	set_args sh -c 'head -c 4000000 /dev/zero | tr "\0" x; touch /tmp/done'
	start_recvtty --mode null
	create_container con-null "$BUNDLE" --console-socket "$SOCK"
	rt start con-null
	wait_recvtty
	[ -e "$BUNDLE/rootfs/tmp/done" ]
	[ ! -s "$BATS_TEST_TMPDIR/tty.out" ]
	wait_for_status con-null stopped
	rt delete con-null
	assert_nothing_left con-null
}

@test "console socket: run -d with a terminal" {
	make_bundle
	update_config '.process.terminal = true'
	set_args sh -c 'tty; exit 0'
	start_recvtty --no-stdin
	run_detached con-rund "$BUNDLE" --console-socket "$SOCK"
	wait_recvtty
	[ "$(tty_output)" = /dev/pts/0 ]
	wait_for_status con-rund stopped
	rt delete con-rund
	assert_nothing_left con-rund
}

@test "console socket: a socket nobody listens on fails create and leaves nothing" {
	make_bundle
	update_config '.process.terminal = true'
	set_args true
	run -1 create_container con-nosock "$BUNDLE" --console-socket "$BATS_TEST_TMPDIR/no-such.sock"
	grep -q 'no-such.sock' "$BATS_TEST_TMPDIR/con-nosock.err"
	assert_nothing_left con-nosock
}

@test "console socket: terminal true and detached without a socket fails" {
	make_bundle
	update_config '.process.terminal = true'
	set_args true
	run -1 create_container con-nosock2
	grep -q -i 'console socket' "$BATS_TEST_TMPDIR/con-nosock2.err"
	assert_nothing_left con-nosock2
}

@test "console socket: a socket without terminal true fails" {
	make_bundle
	set_args true
	start_recvtty --no-stdin
	run -1 create_container con-noterm "$BUNDLE" --console-socket "$SOCK"
	grep -q -i 'console socket' "$BATS_TEST_TMPDIR/con-noterm.err"
	assert_nothing_left con-noterm
	# Nobody connected: recvtty is still waiting.
	[ -S "$SOCK" ]
	kill "$RECVTTY_PID"
}
