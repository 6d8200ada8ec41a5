#!/usr/bin/env bats
# --pidfd-socket on create, run and exec: a pidfd of the init (or of the
# exec'd process) arrives over the unix socket with SCM_RIGHTS, named as
# runc names it ("standard" for the init, "setns" for exec). The receiver
# is contrib/cmd/pidfd-kill: it reports "<name> <pid>" of what it got and
# signals that process through the pidfd on SIGTERM (or at once, --now).

load helpers

setup_file() {
	if [[ -z "${PIDFD_KILL:-}" ]]; then
		PIDFD_KILL="$BATS_FILE_TMPDIR/pidfd-kill"
		local go=go
		command -v go >/dev/null || go=/usr/local/go/bin/go
		(cd "$REPO" && CGO_ENABLED=0 "$go" build -o "$PIDFD_KILL" ./contrib/cmd/pidfd-kill)
	fi
	export PIDFD_KILL
}

# start_receiver [pidfd-kill flags...]: pidfd-kill on $SOCK in the
# background; returns once the socket listens. It writes what it got to
# $INFO.
start_receiver() {
	SOCK="$BATS_TEST_TMPDIR/pidfd.sock"
	INFO="$BATS_TEST_TMPDIR/pidfd.info"
	rm -f "$INFO" "$BATS_TEST_TMPDIR/pk.pid"
	"$PIDFD_KILL" --pid-file "$BATS_TEST_TMPDIR/pk.pid" --info "$INFO" "$@" "$SOCK" \
		</dev/null >"$BATS_TEST_TMPDIR/pk.out" 2>"$BATS_TEST_TMPDIR/pk.err" 3>&- &
	PK_PID=$!
	remember_pid "$PK_PID" pidfd-kill
	wait_for_file "$BATS_TEST_TMPDIR/pk.pid"
	[ -S "$SOCK" ]
}

# wait_receiver: wait (up to ~10 s) for pidfd-kill to exit; its exit code
# is this function's.
wait_receiver() {
	local i
	for i in $(seq 200); do
		if [[ ! -d /proc/$PK_PID ]] || [[ "$(awk '/^State:/ {print $2}' /proc/$PK_PID/status 2>/dev/null)" == Z ]]; then
			wait "$PK_PID"
			return
		fi
		sleep 0.05
	done
	echo "pidfd-kill $PK_PID still running" >&2
	return 1
}

@test "create --pidfd-socket: the init's pidfd arrives before create returns and kills it" {
	make_bundle
	set_args sleep 100
	start_receiver
	create_container pf-create "$BUNDLE" --pidfd-socket "$SOCK"
	pid=$(container_pid pf-create)
	wait_for_file "$INFO"
	[ "$(cat "$INFO")" = "standard $pid" ]
	[ "$(container_status pf-create)" = created ]
	kill -TERM "$PK_PID"
	wait_receiver
	wait_for_status pf-create stopped
	rt delete pf-create
	assert_nothing_left pf-create
}

@test "run -d --pidfd-socket: the pidfd names the running init" {
	make_bundle
	# PID 1 of a pid namespace ignores SIGTERM unless it handles it.
	set_args sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
	start_receiver --signal SIGTERM
	run_detached pf-run "$BUNDLE" --pidfd-socket "$SOCK"
	pid=$(container_pid pf-run)
	wait_for_file "$INFO"
	[ "$(cat "$INFO")" = "standard $pid" ]
	[ "$(container_status pf-run)" = running ]
	kill -TERM "$PK_PID"
	wait_receiver
	wait_for_status pf-run stopped
	rt delete pf-run
	assert_nothing_left pf-run
}

@test "run --pidfd-socket in the foreground: a signal through the pidfd ends the run" {
	make_bundle
	set_args sleep 100
	start_receiver
	rt run --bundle "$BUNDLE" --pidfd-socket "$SOCK" pf-fg </dev/null >/dev/null 2>&1 &
	run_pid=$!
	wait_for_file "$INFO"
	wait_for_status pf-fg running
	pid=$(container_pid pf-fg)
	[ "$(cat "$INFO")" = "standard $pid" ]
	kill -TERM "$PK_PID"
	wait_receiver
	status=0
	wait "$run_pid" || status=$?
	echo "rt run exited $status"
	[ "$status" -eq 137 ]
	assert_nothing_left pf-fg
}

@test "exec --pidfd-socket: the exec'd process's pidfd, not the init's" {
	make_bundle
	set_args sleep 100
	run_detached pf-exec
	init=$(container_pid pf-exec)
	start_receiver
	rt exec -d --pid-file "$BATS_TEST_TMPDIR/exec.pid" --pidfd-socket "$SOCK" pf-exec sleep 100 </dev/null >/dev/null 2>&1
	epid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	remember_pid "$epid" pf-exec
	wait_for_file "$INFO"
	[ "$(cat "$INFO")" = "setns $epid" ]
	[ "$epid" != "$init" ]
	kill -TERM "$PK_PID"
	wait_receiver
	[ ! -d "/proc/$epid" ] || [ "$(awk '/^State:/ {print $2}' "/proc/$epid/status")" = Z ]
	[ "$(container_status pf-exec)" = running ]
	rt delete --force pf-exec
	assert_nothing_left pf-exec
}

@test "exec --pidfd-socket in the foreground: killed through the pidfd, exec exits 137" {
	make_bundle
	set_args sleep 100
	run_detached pf-exec-fg
	start_receiver
	rt exec --pidfd-socket "$SOCK" pf-exec-fg sleep 100 </dev/null >/dev/null 2>&1 &
	exec_pid=$!
	wait_for_file "$INFO"
	[[ "$(cat "$INFO")" == "setns "* ]]
	kill -TERM "$PK_PID"
	wait_receiver
	status=0
	wait "$exec_pid" || status=$?
	echo "rt exec exited $status"
	[ "$status" -eq 137 ]
	[ "$(container_status pf-exec-fg)" = running ]
	rt delete --force pf-exec-fg
	assert_nothing_left pf-exec-fg
}

@test "--pidfd-socket that nobody listens on fails create, run and exec with one line" {
	make_bundle
	set_args sleep 100
	missing="$BATS_TEST_TMPDIR/nobody.sock"
	for cmd in create "run -d"; do
		id="pf-bad-${cmd%% *}"
		run --separate-stderr rt $cmd --bundle "$BUNDLE" --pidfd-socket "$missing" "$id" </dev/null
		echo "$cmd: $stderr"
		assert_one_error_line
		[[ "$stderr" == *"$missing"*"no such file or directory"* ]]
		# runc 1.5 leaves the container's state dir behind here.
		if is_rt; then
			[[ "$stderr" == *"--pidfd-socket $missing: "* ]]
			assert_nothing_left "$id"
		fi
	done
	run_detached pf-bad2
	run --separate-stderr rt exec --pidfd-socket "$missing" pf-bad2 true
	assert_one_error_line
	[[ "$stderr" == *"$missing"* ]]
	[ "$(container_status pf-bad2)" = running ]
	rt delete --force pf-bad2
	assert_nothing_left pf-bad2
}
