#!/usr/bin/env bats
# Robustness against hostile input (issue 16, items 9-16): ids that mean
# "unchanged" to the kernel, fd counts, half-made containers, image nodes
# that block, seccomp notify on rt's own syscalls, control characters
# bound for stage 0, and hostile sizes. Each test checks the error and
# that nothing is left behind.

load helpers

setup_file() {
	build_recvtty
}

# start_recvtty: recvtty draining the console on $SOCK in the background.
start_recvtty() {
	SOCK="$BATS_TEST_TMPDIR/console.sock"
	"$RECVTTY" --pid-file "$BATS_TEST_TMPDIR/recvtty.pid" --no-stdin "$SOCK" \
		</dev/null >"$BATS_TEST_TMPDIR/tty.out" 2>"$BATS_TEST_TMPDIR/tty.err" 3>&- &
	RECVTTY_PID=$!
	remember_pid "$RECVTTY_PID" recvtty
	wait_for_file "$BATS_TEST_TMPDIR/recvtty.pid"
	[ -S "$SOCK" ]
}

teardown() {
	stop_agent
	common_teardown
}

@test "security4: uid or gid 4294967295 (setresuid's -1) is refused, not silently root" {
	make_bundle
	set_args id
	local f
	for f in uid gid; do
		update_config '.process.user = {uid: 0, gid: 0} | .process.user[$f] = 4294967295' --arg f "$f"
		run --separate-stderr rt run --bundle "$BUNDLE" "sec4-$f"
		echo "$f: status $status, stdout: $output, stderr: $stderr"
		[ "$status" -ne 0 ]
		[[ "$stderr" == *"cannot set$f to unmapped $f 4294967295 in user namespace"* ]]
		[[ "$output" != *"uid=0"* ]]
		assert_nothing_left "sec4-$f"
	done
	# Above 2^31-1 but mapped: runs as that id (runc does the same).
	update_config '.process.user = {uid: 2147483648, gid: 2147483649}'
	run --separate-stderr rt run --bundle "$BUNDLE" sec4-big
	echo "big: status $status, stdout: $output, stderr: $stderr"
	[ "$status" -eq 0 ]
	[[ "$output" == "uid=2147483648 gid=2147483649"* ]]
}

@test "security4: rt exec --user with uid or gid 4294967295 is refused" {
	make_bundle
	set_args sleep 100
	run_detached sec4-exec
	local u
	for u in 4294967295 0:4294967295; do
		run --separate-stderr rt exec --user "$u" sec4-exec id
		echo "--user $u: status $status, stdout: $output, stderr: $stderr"
		[ "$status" -ne 0 ]
		[[ "$stderr" == *"to unmapped "?"id 4294967295 in user namespace"* ]]
		[[ "$output" != *"uid=0"* ]]
	done
	run --separate-stderr rt exec --user 2147483648:2147483648 sec4-exec id
	[ "$status" -eq 0 ]
	[[ "$output" == "uid=2147483648 gid=2147483648"* ]]
	rt delete -f sec4-exec
	assert_nothing_left sec4-exec
}

@test "security4: --preserve-fds past the open fds fails with one line, quickly" {
	make_bundle
	set_args true
	# Not 24 GB of fd table: the first fd that is not open ends it.
	run --separate-stderr timeout 20 "$RT" --root "$RT_ROOT" run --bundle "$BUNDLE" --preserve-fds 2147483647 sec4-pf </dev/null
	echo "status $status, stdout: $output, stderr: $stderr"
	[ "$status" -eq 1 ]
	assert_one_error_line
	[[ "$stderr" == *"unable to stat preserved-fd "*" (of 2147483647): no such file or directory"* ]]
	# runc 1.5.3 leaves its state dir behind here; rt leaves nothing.
	if is_rt; then assert_nothing_left sec4-pf; fi

	set_args sleep 100
	run_detached sec4-pf-exec
	run --separate-stderr timeout 20 "$RT" --root "$RT_ROOT" exec --preserve-fds 2147483647 sec4-pf-exec true </dev/null
	echo "exec: status $status, stderr: $stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"unable to stat preserved-fd "*" (of 2147483647)"* ]]
}

@test "security4: negative --preserve-fds is refused (rt: no panic, the fifo stays off stderr)" {
	requires_rt
	make_bundle
	set_args true
	local n
	local n err="$BATS_TEST_TMPDIR/err"
	# Output to files: with the fifo on stderr a pipe would never see EOF.
	for n in -1 -100; do
		status=0
		timeout 20 "$RT" --root "$RT_ROOT" run --bundle "$BUNDLE" --preserve-fds "$n" "sec4-neg$n" </dev/null >/dev/null 2>"$err" || status=$?
		echo "$n: status $status, stderr: $(cat "$err")"
		[ "$status" -eq 1 ]
		[ "$(wc -l <"$err")" -eq 1 ]
		grep -qF -- "--preserve-fds: $n is negative" "$err"
		assert_nothing_left "sec4-neg$n"
	done
	set_args sleep 100
	run_detached sec4-neg-exec
	status=0
	timeout 20 "$RT" --root "$RT_ROOT" exec --preserve-fds -1 sec4-neg-exec true </dev/null >/dev/null 2>"$err" || status=$?
	echo "exec: status $status, stderr: $(cat "$err")"
	[ "$status" -ne 0 ]
	grep -qF -- "--preserve-fds: -1 is negative" "$err"
}

@test "security4: a newline in linux.namespaces[].path never reaches stage 0 as a line" {
	make_bundle
	set_args true
	update_config '.linux.namespaces |= map(if .type == "network" then .path = "/proc/1/ns/net\nclone 0" else . end)'
	run --separate-stderr timeout 20 "$RT" --root "$RT_ROOT" run --bundle "$BUNDLE" sec4-nsnl </dev/null
	echo "status $status, stderr: $stderr"
	[ "$status" -eq 1 ]
	assert_one_error_line
	if is_rt; then
		[[ "$(log_msg "$stderr")" == *'linux.namespaces[1].path: "/proc/1/ns/net\nclone 0" contains a control character'* ]]
	else
		[[ "$stderr" == *"no such file or directory"* ]]
	fi
	assert_nothing_left sec4-nsnl
}

@test "security4: a timeOffsets key other than monotonic or boottime is refused" {
	# runc 1.5.3 hangs on an unknown clock; rt refuses it up front.
	requires_rt
	make_bundle
	set_args true
	add_namespace time
	local key
	for key in foo $'monotonic 1 0\nns 1073741824 /proc/1/ns/net'; do
		update_config '.linux.timeOffsets = {($k): {secs: 1}}' --arg k "$key"
		run --separate-stderr timeout 20 "$RT" --root "$RT_ROOT" run --bundle "$BUNDLE" sec4-tns </dev/null
		echo "status $status, stderr: $stderr"
		[ "$status" -eq 1 ]
		assert_one_error_line
		[[ "$stderr" == *"linux.timeOffsets: unknown clock"* ]]
		assert_nothing_left sec4-tns
	done
}

@test "security4: a config.json past 16 MiB fails with one clear line, not a broken pipe" {
	requires_rt
	make_bundle
	set_args true
	# 70 MB of annotation: once "broken pipe" when the init refused the frame.
	head -c 70000000 /dev/zero | tr '\0' a >"$BATS_TEST_TMPDIR/big"
	jq --rawfile big "$BATS_TEST_TMPDIR/big" '.annotations = {big: $big}' "$BUNDLE/config.json" >"$BUNDLE/config.json.new"
	mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
	rm "$BATS_TEST_TMPDIR/big"
	run --separate-stderr timeout 60 "$RT" --root "$RT_ROOT" run --bundle "$BUNDLE" sec4-big </dev/null
	echo "status $status, stderr: $stderr"
	[ "$status" -eq 1 ]
	assert_one_error_line
	[[ "$stderr" == *"config.json: larger than 16 MiB"* ]]
	assert_nothing_left sec4-big
}

@test "security4: more than 4096 mounts are refused with one line" {
	requires_rt
	make_bundle
	set_args true
	update_config '.mounts += [range(4100) | {destination: "/tmp/m", type: "tmpfs", source: "tmpfs"}]'
	run --separate-stderr timeout 60 "$RT" --root "$RT_ROOT" run --bundle "$BUNDLE" sec4-mounts </dev/null
	echo "status $status, stderr: $stderr"
	[ "$status" -eq 1 ]
	assert_one_error_line
	[[ "$stderr" == *"mounts: 41"*" entries, more than the 4096 rt allows"* ]]
	assert_nothing_left sec4-mounts
}

@test "security4: seccomp notify on setresuid/capset without noNewPrivileges: the listener gets the fd first, no deadlock" {
	start_agent --mkdir-errno 13
	make_bundle
	# Loaded before the user switch (no noNewPrivileges): rt's own
	# setgroups, setresgid, setresuid and capset are notified, and only a
	# listener that already holds the fd can let them continue.
	update_config '.process.noNewPrivileges = false | .process.user = {uid: 1000, gid: 1000}
		| .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: $l,
			syscalls: [{names: ["setgroups", "setresgid", "setresuid", "capset", "mkdir"], action: "SCMP_ACT_NOTIFY"}]}' --arg l "$AGENT_SOCK"
	set_args sh -c 'id -u; mkdir /tmp/d; echo rc=$?'
	run timeout 20 "$RT" --root "$RT_ROOT" run --bundle "$BUNDLE" sec4-notify </dev/null
	echo "status $status, output: $output"
	cat "$BATS_TEST_TMPDIR/agent.log"
	[ "$status" -eq 0 ]
	[[ "$output" == *1000* ]]
	[[ "$output" == *rc=1* ]]
	grep -q 'msg=notification .*syscall=capset.*continue=true' "$BATS_TEST_TMPDIR/agent.log"
	kill "$AGENT_PID"
	wait "$AGENT_PID" || true
	AGENT_PID=
	assert_nothing_left sec4-notify
}

@test "security4: a FIFO at the image's /dev/console does not hang create" {
	# runc 1.5.3 hangs here too (its bats run had to be killed).
	requires_rt
	make_bundle
	# The image's own /dev, where the attacker planted the FIFO.
	update_config '.mounts = [.mounts[] | select(.destination != "/dev")] | .process.terminal = true'
	mkfifo "$BUNDLE/rootfs/dev/console"
	set_args true
	start_recvtty
	run --separate-stderr timeout 20 "$RT" --root "$RT_ROOT" create --bundle "$BUNDLE" --console-socket "$SOCK" sec4-fifo </dev/null
	echo "status $status, stderr: $stderr"
	kill "$RECVTTY_PID" 2>/dev/null || true
	wait "$RECVTTY_PID" || true
	# Not timeout's 124: rt refuses the FIFO.
	[ "$status" -eq 1 ]
	assert_one_error_line
	[[ "$stderr" == *"/dev/console: a FIFO in the image, not a regular file or character device"* ]]
	rt delete -f sec4-fifo 2>/dev/null || true
	assert_nothing_left sec4-fifo
}

@test "security4: a failed create and a delete in a cgroup another process still uses (a pod) are quick and leave it" {
	make_bundle
	local b2 cg r start pid other
	b2="$BATS_TEST_TMPDIR/b2"
	make_bundle "$b2"
	cg=$(config_cgroup "$BUNDLE")
	update_config -b "$b2" '.linux.cgroupsPath = $cg' --arg cg "$cg"
	set_args sleep 100
	run_detached sec4-pod-a
	pid=$(container_pid sec4-pod-a)

	# A second container into the busy cgroup fails (runc's check), quickly.
	set_args -b "$b2" true
	start=$SECONDS
	run --separate-stderr timeout 60 "$RT" --root "$RT_ROOT" run --bundle "$b2" sec4-pod-b </dev/null
	echo "failed create: status $status in $((SECONDS - start)) s, stderr: $stderr"
	[ "$status" -ne 0 ] && [ "$status" -ne 124 ]
	[ $((SECONDS - start)) -lt 10 ]
	[ ! -e "$RT_ROOT/sec4-pod-b" ]

	# Another process of the pod joins the first container's cgroup; the
	# container is deleted while that process lives on. (runc 1.5.3 fails
	# this delete after ~11 s: "unable to remove container's cgroup".)
	if ! is_rt; then
		rt delete -f sec4-pod-a || true
		return 0
	fi
	sleep 100 </dev/null >/dev/null 2>&1 3>&- &
	other=$!
	remember_pid "$other"
	for r in $(cgroup_roots); do
		echo "$other" >"$r$cg/cgroup.procs"
	done
	start=$SECONDS
	run timeout 60 "$RT" --root "$RT_ROOT" delete -f sec4-pod-a
	echo "delete: status $status in $((SECONDS - start)) s: $output"
	[ "$status" -eq 0 ]
	[ $((SECONDS - start)) -lt 10 ]
	[ ! -e "$RT_ROOT/sec4-pod-a" ]
	# The cgroup stays for the process still in it.
	kill -0 "$other"
	for r in $(cgroup_roots); do
		[ -d "$r$cg" ] || { echo "cgroup $r$cg removed under a live process"; false; }
	done
	kill "$other" 2>/dev/null || true
	wait "$other" 2>/dev/null || true
}

# kill_create_after ID DELAY: start `rt create ID` in the background, SIGKILL
# it (the rt process only, as a shim's timeout does) after DELAY seconds.
kill_create_after() {
	local id="$1" delay="$2" pid
	"$RT" --root "$RT_ROOT" create --bundle "$BUNDLE" "$id" </dev/null >"$BATS_TEST_TMPDIR/$id.out" 2>&1 3>&- &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

@test "security4: rt create killed during its createRuntime hook: delete -f removes dir, cgroups, processes; create reclaims the id" {
	# runc 1.5.3 leaves the cgroups of a killed create behind `delete -f`.
	requires_rt
	make_bundle
	set_args true
	local marker="$BATS_TEST_TMPDIR/hook.pid" hookpid i
	update_config '.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", ("echo $$ >" + $m + "; exec sleep 30")]}]' --arg m "$marker"
	"$RT" --root "$RT_ROOT" create --bundle "$BUNDLE" sec4-half </dev/null >"$BATS_TEST_TMPDIR/half.out" 2>&1 3>&- &
	local pid=$!
	wait_for_file "$marker"
	for i in $(seq 20); do [ -s "$marker" ] && break; sleep 0.05; done
	hookpid=$(cat "$marker")
	kill -9 "$pid"
	wait "$pid" || true
	kill "$hookpid" 2>/dev/null || true
	# Half made: a dir, a cgroup and a waiting init.
	[ -d "$RT_ROOT/sec4-half" ]
	[ -n "$(bundle_rootfs_pids)" ] || [ -n "$(test_cgroup_dirs)" ]
	run timeout 30 "$RT" --root "$RT_ROOT" delete -f sec4-half
	echo "delete -f: status $status: $output"
	[ "$status" -eq 0 ]
	assert_nothing_left sec4-half

	# Killed again; this time create itself reclaims the id.
	: >"$marker"
	rm "$marker"
	"$RT" --root "$RT_ROOT" create --bundle "$BUNDLE" sec4-half </dev/null >"$BATS_TEST_TMPDIR/half.out" 2>&1 3>&- &
	pid=$!
	wait_for_file "$marker"
	for i in $(seq 20); do [ -s "$marker" ] && break; sleep 0.05; done
	hookpid=$(cat "$marker")
	kill -9 "$pid"
	wait "$pid" || true
	kill "$hookpid" 2>/dev/null || true
	update_config '.hooks = {}'
	# Output to files: the created init keeps its stdio open.
	create_container sec4-half || { cat "$BATS_TEST_TMPDIR/sec4-half.err"; false; }
	[ "$(container_status sec4-half)" = created ]
	rt delete -f sec4-half
	assert_nothing_left sec4-half
}

@test "security4: rt create SIGKILLed at several moments: delete -f leaves nothing" {
	# runc 1.5.3 leaves the cgroups of a killed create behind `delete -f`.
	requires_rt
	make_bundle
	set_args true
	local d n=0
	for d in 0.01 0.03 0.06 0.1 0.15 0.2 0.3 0.5; do
		n=$((n + 1))
		kill_create_after "sec4-kill$n" "$d"
		run timeout 30 "$RT" --root "$RT_ROOT" delete -f "sec4-kill$n"
		echo "after ${d}s: delete -f status $status: $output"
		[ "$status" -eq 0 ]
		assert_nothing_left "sec4-kill$n"
	done
}
