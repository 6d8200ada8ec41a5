#!/usr/bin/env bats
# systemd contracts: sd_notify through NOTIFY_SOCKET, socket activation
# through LISTEN_FDS/LISTEN_PID.

load helpers

setup_file() {
	SDNOTIFY="$BATS_FILE_TMPDIR/sdnotify"
	CGO_ENABLED=0 go build -o "$SDNOTIFY" "$BATS_TEST_DIRNAME/testdata/sdnotify"
	export SDNOTIFY
}

@test "NOTIFY_SOCKET: READY=1 reaches the caller only when the workload sends it" {
	requires_rt
	make_bundle
	cp "$SDNOTIFY" "$BUNDLE/rootfs/bin/sdnotify"
	# The workload waits for a go-ahead file before it says ready.
	set_args sh -c 'echo "$NOTIFY_SOCKET" > /notify-path; while [ ! -e /go ]; do sleep 0.05; done; sdnotify send READY=1; sleep 100'
	sock="$BATS_TEST_TMPDIR/host-notify.sock"
	"$SDNOTIFY" recv "$sock" > "$BATS_TEST_TMPDIR/received" &
	recv=$!
	wait_for_file "$sock"
	NOTIFY_SOCKET="$sock" rt create --bundle "$BUNDLE" nfy2 </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1
	NOTIFY_SOCKET="$sock" rt start nfy2 &
	start=$!
	wait_for_file "$BUNDLE/rootfs/notify-path"
	[ "$(cat "$BUNDLE/rootfs/notify-path")" = /run/notify/notify.sock ]
	# start has not returned and nothing reached the caller yet.
	sleep 0.3
	kill -0 "$start"
	[ ! -s "$BATS_TEST_TMPDIR/received" ]
	touch "$BUNDLE/rootfs/go"
	wait "$start"
	wait "$recv"
	grep -qx 'READY=1' "$BATS_TEST_TMPDIR/received"
	[ "$(container_status nfy2)" = running ]
	rt delete --force nfy2
	assert_nothing_left nfy2
}

@test "NOTIFY_SOCKET: start returns when the workload exits without READY=1" {
	requires_rt
	make_bundle
	set_args true
	sock="$BATS_TEST_TMPDIR/host-notify.sock"
	"$SDNOTIFY" recv "$sock" > "$BATS_TEST_TMPDIR/received" &
	recv=$!
	wait_for_file "$sock"
	NOTIFY_SOCKET="$sock" rt create --bundle "$BUNDLE" nfy3 </dev/null >/dev/null 2>&1
	run timeout 10 env NOTIFY_SOCKET="$sock" "$RT" --root "$RT_ROOT" start nfy3
	[ "$status" -eq 0 ]
	[ ! -s "$BATS_TEST_TMPDIR/received" ]
	kill "$recv"
	rt delete --force nfy3
	assert_nothing_left nfy3
}

@test "LISTEN_FDS: socket-activation fds reach the container with LISTEN_FDS and LISTEN_PID rewritten" {
	requires_rt
	make_bundle
	set_args sh -c 'echo "fds=$LISTEN_FDS pid=$LISTEN_PID"; cat <&3; cat <&4'
	echo three > "$BATS_TEST_TMPDIR/f3"
	echo four > "$BATS_TEST_TMPDIR/f4"
	run bash -c 'export LISTEN_FDS=2 LISTEN_PID=$$; exec "$0" --root "$1" run --bundle "$2" lfd 3<"$3" 4<"$4"' \
		"$RT" "$RT_ROOT" "$BUNDLE" "$BATS_TEST_TMPDIR/f3" "$BATS_TEST_TMPDIR/f4"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "fds=2 pid=1" ]
	[ "${lines[1]}" = three ]
	[ "${lines[2]}" = four ]
	assert_nothing_left lfd
}

@test "LISTEN_FDS for another pid is ignored" {
	requires_rt
	make_bundle
	set_args sh -c 'echo "fds=${LISTEN_FDS:-unset}"; ls /proc/self/fd | tr "\n" " "'
	run bash -c 'export LISTEN_FDS=1 LISTEN_PID=1; exec "$0" --root "$1" run --bundle "$2" lfd2 3</dev/null' "$RT" "$RT_ROOT" "$BUNDLE"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "fds=unset" ]
	assert_nothing_left lfd2
}
