#!/usr/bin/env bats
# terminal: true in the foreground: `rt run` makes the pty and proxies it
# to its own stdio. script(1) (util-linux) gives rt a terminal of its own.

load helpers

# run_in_script CMD: run the shell command CMD on a fresh pty made by
# script(1); stdin of script is $BATS_TEST_TMPDIR/script.in when it exists.
# Sets $status and $output (the pty's output without CRs) and leaves the
# raw bytes in $BATS_TEST_TMPDIR/script.raw. At the end of its stdin script
# types one more character, which the container's pty echoes as "^@" (runc
# shows the same): that is taken out too.
run_in_script() {
	local in=/dev/null
	[[ -e "$BATS_TEST_TMPDIR/script.in" ]] && in="$BATS_TEST_TMPDIR/script.in"
	status=0
	timeout 30 script -qec "$1" /dev/null <"$in" >"$BATS_TEST_TMPDIR/script.raw" 2>&1 3>&- || status=$?
	output=$(tr -d '\r' <"$BATS_TEST_TMPDIR/script.raw" | sed 's/\^@//g')
	mapfile -t lines <<<"$output"
}

# rt_cmd ARGS...: the rt command line as one shell-quoted string.
rt_cmd() {
	printf '%q ' "$RT" --root "$RT_ROOT" "$@"
}

@test "tty: run in the foreground on a terminal gives the container /dev/pts/0" {
	make_bundle
	update_config '.process.terminal = true'
	set_args sh -c 'tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-ttys'
	run_in_script "$(rt_cmd run --bundle "$BUNDLE" tty-fg)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /dev/pts/0 ]
	[ "${lines[1]}" = all-ttys ]
	assert_nothing_left tty-fg
}

@test "tty: the exit code comes back through the terminal run" {
	make_bundle
	update_config '.process.terminal = true'
	set_args sh -c 'exit 3'
	run_in_script "$(rt_cmd run --bundle "$BUNDLE" tty-exit)"
	[ "$status" -eq 3 ]
	assert_nothing_left tty-exit
}

@test "tty: input typed on the terminal reaches the container" {
	make_bundle
	update_config '.process.terminal = true'
	set_args sh -c 'read line; echo "got:$line"'
	echo typed-line >"$BATS_TEST_TMPDIR/script.in"
	run_in_script "$(rt_cmd run --bundle "$BUNDLE" tty-in)"
	[ "$status" -eq 0 ]
	[[ "$output" == *got:typed-line* ]]
	assert_nothing_left tty-in
}

@test "tty: the container's terminal takes the size of the caller's" {
	make_bundle
	update_config '.process.terminal = true'
	# runc sets the size a moment after start, rt before: wait for it.
	set_args sh -c 'i=0; while ! stty size >/dev/null 2>&1 && [ $i -lt 100 ]; do sleep 0.02; i=$((i+1)); done; stty size'
	run_in_script "stty rows 40 cols 100; $(rt_cmd run --bundle "$BUNDLE" tty-size)"
	[ "$status" -eq 0 ]
	[ "$output" = "40 100" ]
	assert_nothing_left tty-size
}

@test "tty: a caller's terminal of size 0x0 does not replace process.consoleSize" {
	# script(1) with stdin not a terminal leaves its pty at 0 rows, 0 cols.
	# runc 1.5 copies the 0x0 onto the container's pty (ARCHITECTURE.md).
	requires_rt
	make_bundle
	update_config '.process.terminal = true | .process.consoleSize = {height: 33, width: 111}'
	set_args stty size
	run_in_script "$(rt_cmd run --bundle "$BUNDLE" tty-zero)"
	echo "got: $output"
	[ "$status" -eq 0 ]
	[ "$output" = "33 111" ]
	assert_nothing_left tty-zero
}

@test "tty: output is translated once (a line ends in one CR LF, as with runc)" {
	# The container's pty turns LF into CR LF; the caller's terminal must
	# not do it a second time.
	make_bundle
	update_config '.process.terminal = true'
	set_args echo one-line
	run_in_script "$(rt_cmd run --bundle "$BUNDLE" tty-crlf)"
	[ "$status" -eq 0 ]
	# The raw bytes, with CR shown as ^M.
	run bash -c "sed 's/\^@//g' '$BATS_TEST_TMPDIR/script.raw' | cat -v"
	[ "$output" = 'one-line^M' ]
	assert_nothing_left tty-crlf
}

@test "tty: terminal true with stdin and stdout pipes, on a controlling terminal" {
	make_bundle
	update_config '.process.terminal = true'
	set_args sh -c 'tty; read line; echo "got:$line"'
	run_in_script "echo piped-line | $(rt_cmd run --bundle "$BUNDLE" tty-pipe) | cat"
	[ "$status" -eq 0 ]
	[[ "$output" == */dev/pts/0* ]]
	[[ "$output" == *got:piped-line* ]]
	assert_nothing_left tty-pipe
}

@test "rt-only: terminal true with no terminal at all (stdio pipes, no controlling tty)" {
	# runc opens /dev/tty here and fails; rt proxies the pipes.
	requires_rt
	make_bundle
	update_config '.process.terminal = true'
	set_args sh -c 'tty; read line; echo "got:$line"'
	run bash -c "echo piped-line | setsid -w $(rt_cmd run --bundle "$BUNDLE" tty-nottty) 3>&-"
	[ "$status" -eq 0 ]
	output=$(tr -d '\r' <<<"$output")
	[[ "$output" == */dev/pts/0* ]]
	[[ "$output" == *got:piped-line* ]]
	assert_nothing_left tty-nottty
}

@test "rt-only: without a terminal on stdin process.consoleSize stays" {
	requires_rt
	make_bundle
	update_config '.process.terminal = true | .process.consoleSize = {height: 25, width: 90}'
	set_args stty size
	run setsid -w "$RT" --root "$RT_ROOT" run --bundle "$BUNDLE" tty-csize </dev/null
	[ "$status" -eq 0 ]
	[ "$(tr -d '\r' <<<"$output")" = "25 90" ]
	assert_nothing_left tty-csize
}

@test "rt-only: terminal false on a terminal: the container gets the caller's tty as is" {
	# runc puts pipes between a foreground container and its own stdio.
	requires_rt
	make_bundle
	set_args sh -c '[ -t 0 ] && [ -t 1 ] && echo inherited-tty; ls /dev/pts'
	run_in_script "$(rt_cmd run --bundle "$BUNDLE" tty-inherit)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = inherited-tty ]
	# No pty was made in the container's own devpts.
	[ "${lines[1]}" = ptmx ]
	assert_nothing_left tty-inherit
}

@test "tty: the pts belongs to the process's uid (group kept) in run and exec" {
	make_bundle
	update_config '.process.terminal = true | .process.user = {uid: 1000, gid: 1000}'
	set_args sh -c 'stat -c %u:%g "$(readlink /proc/self/fd/0)"'
	run_in_script "$(rt_cmd run --bundle "$BUNDLE" tty-owner)"
	echo "$output"
	[ "$status" -eq 0 ]
	# devpts makes it gid 5 (the spec's gid=5 option); runc keeps that.
	[ "${lines[0]}" = 1000:5 ]
	assert_nothing_left tty-owner
	update_config '.process.terminal = false | .process.user = {uid: 0, gid: 0}'
	set_args sleep 1000
	run_detached tty-owner2
	run_in_script "$(rt_cmd exec -t --user 1234:5678 tty-owner2 sh -c 'stat -c %u:%g "$(readlink /proc/self/fd/0)"')"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1234:5 ]
	run_in_script "$(rt_cmd exec -t tty-owner2 sh -c 'stat -c %u:%g "$(readlink /proc/self/fd/0)"')"
	[ "${lines[0]}" = 0:5 ]
	rt delete --force tty-owner2
	assert_nothing_left tty-owner2
}
