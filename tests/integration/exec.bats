#!/usr/bin/env bats
# rt exec: a process that joins every namespace, the cgroup and the
# security settings of a running container, with runc's flags.

load helpers

start_sleeper() {
	make_bundle
	set_args sleep 1000
	run_detached "$1"
}

@test "exec joins the container's namespaces and cgroup" {
	start_sleeper ex1
	pid=$(container_pid ex1)
	run rt exec ex1 sh -c 'for n in pid net ipc uts mnt cgroup; do readlink /proc/self/ns/$n; done; hostname; cat /proc/1/cmdline | tr "\0" " "'
	echo "$output"
	[ "$status" -eq 0 ]
	i=0
	for n in pid net ipc uts mnt cgroup; do
		[ "${lines[$i]}" = "$(readlink /proc/$pid/ns/$n)" ]
		i=$((i + 1))
	done
	[ "${lines[6]}" = "$(jq -r .hostname "$BUNDLE/config.json")" ]
	[[ "${lines[7]}" == "sleep 1000"* ]]
	# The exec'd process is in the container's cgroup while it runs.
	rt exec -d --pid-file "$BATS_TEST_TMPDIR/ex.pid" ex1 sleep 100
	epid=$(cat "$BATS_TEST_TMPDIR/ex.pid")
	remember_pid "$epid" ex1
	for f in /proc/$pid/cgroup; do
		diff <(sort /proc/$pid/cgroup) <(sort /proc/$epid/cgroup)
	done
	rt delete --force ex1
	assert_nothing_left ex1
}

@test "exec: the exit code comes back, and 128+N for a signal" {
	start_sleeper ex2
	run rt exec ex2 sh -c 'exit 42'
	[ "$status" -eq 42 ]
	run rt exec ex2 sh -c 'kill -9 $$'
	[ "$status" -eq 137 ]
	rt delete --force ex2
	assert_nothing_left ex2
}

@test "exec: signals sent to rt exec reach the process" {
	start_sleeper ex3
	"$RT" --root "$RT_ROOT" exec ex3 sh -c 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.05; done' >"$BATS_TEST_TMPDIR/out" 2>&1 &
	execpid=$!
	for i in $(seq 100); do grep -q ready "$BATS_TEST_TMPDIR/out" && break; sleep 0.05; done
	kill -TERM "$execpid"
	st=0
	wait "$execpid" || st=$?
	[ "$st" -eq 7 ]
	grep -q got-term "$BATS_TEST_TMPDIR/out"
	rt delete --force ex3
	assert_nothing_left ex3
}

@test "exec: --cwd, --env, --user, --additional-gids" {
	start_sleeper ex4
	run rt exec --cwd /tmp -e FOO=bar -e PATH=/bin -u 1000:1000 -g 10 -g 20 ex4 sh -c 'pwd; echo $FOO; id -u; id -g; id -G'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /tmp ]
	[ "${lines[1]}" = bar ]
	[ "${lines[2]}" = 1000 ]
	[ "${lines[3]}" = 1000 ]
	[[ " ${lines[4]} " == *" 10 "* && " ${lines[4]} " == *" 20 "* ]]
	rt delete --force ex4
	assert_nothing_left ex4
}

@test "exec: --process takes a whole OCI process" {
	start_sleeper ex5
	cat >"$BATS_TEST_TMPDIR/process.json" <<'J'
{"args": ["sh", "-c", "echo from-process-json; id -u; echo $X"], "cwd": "/", "env": ["PATH=/bin", "X=y"],
 "user": {"uid": 5, "gid": 5}}
J
	run rt exec --process "$BATS_TEST_TMPDIR/process.json" ex5
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-process-json ]
	[ "${lines[1]}" = 5 ]
	[ "${lines[2]}" = y ]
	rt delete --force ex5
	assert_nothing_left ex5
}

@test "exec: --cap adds a capability, --no-new-privs sets NoNewPrivs" {
	start_sleeper ex6
	base=$(rt exec ex6 sh -c 'grep CapEff /proc/self/status' | awk '{print $2}')
	with=$(rt exec --cap CAP_SYS_ADMIN ex6 sh -c 'grep CapEff /proc/self/status' | awk '{print $2}')
	[ "$base" != "$with" ]
	# CAP_SYS_ADMIN is bit 21.
	[ $(( (0x$with >> 21) & 1 )) -eq 1 ]
	[ $(( (0x$base >> 21) & 1 )) -eq 0 ]
	update_config '.process.noNewPrivileges = false'
	run rt exec --no-new-privs ex6 grep NoNewPrivs /proc/self/status
	[[ "$output" == *"1" ]]
	# An unknown name is skipped with runc's warning.
	run --separate-stderr rt exec --cap CAP_NOPE ex6 true
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"ignoring unknown or unavailable capabilities: [CAP_NOPE]"* ]]
	rt delete --force ex6
	assert_nothing_left ex6
}

@test "exec -d --pid-file: detached, pid file holds the host pid" {
	start_sleeper ex7
	rt exec -d --pid-file "$BATS_TEST_TMPDIR/p" ex7 sh -c 'echo $$ > /tmp/inner; exec sleep 100'
	p=$(cat "$BATS_TEST_TMPDIR/p")
	remember_pid "$p" ex7
	[ -d "/proc/$p" ]
	wait_for_file "$BUNDLE/rootfs/tmp/inner"
	for i in $(seq 100); do tr '\0' ' ' <"/proc/$p/cmdline" | grep -q "sleep 100" && break; sleep 0.05; done
	tr '\0' ' ' <"/proc/$p/cmdline" | grep -q "sleep 100"
	rt delete --force ex7
	assert_nothing_left ex7
}

@test "exec --preserve-fds passes fd 3" {
	start_sleeper ex8
	echo preserved >"$BATS_TEST_TMPDIR/f"
	run rt exec --preserve-fds 1 ex8 sh -c 'cat <&3' 3<"$BATS_TEST_TMPDIR/f"
	[ "$status" -eq 0 ]
	[ "$output" = preserved ]
	run rt exec ex8 sh -c 'cat <&3' 3<"$BATS_TEST_TMPDIR/f"
	[ "$status" -ne 0 ]
	rt delete --force ex8
	assert_nothing_left ex8
}

@test "exec into a stopped container fails clearly" {
	make_bundle
	set_args true
	create_container ex9
	rt start ex9
	wait_for_status ex9 stopped
	run rt exec ex9 true
	[ "$status" -ne 0 ]
	[[ "$output" == *"stopped"* ]]
	rt delete ex9
	assert_nothing_left ex9
}

@test "exec into a paused container fails unless --ignore-paused" {
	requires_rt
	start_sleeper ex10
	rt pause ex10
	run rt exec ex10 true
	[ "$status" -ne 0 ]
	[[ "$output" == *"paused"* ]]
	# Allowed with --ignore-paused: the process joins the frozen cgroup and
	# runs once the container is resumed.
	rt exec -d --ignore-paused --pid-file "$BATS_TEST_TMPDIR/p" ex10 sh -c 'touch /tmp/ran' &
	execpid=$!
	sleep 0.3
	[ ! -e "$BUNDLE/rootfs/tmp/ran" ]
	rt resume ex10
	wait "$execpid"
	wait_for_file "$BUNDLE/rootfs/tmp/ran"
	rt delete --force ex10
	assert_nothing_left ex10
}

@test "exec of a missing binary and into a missing container fail with one line" {
	start_sleeper ex11
	run rt exec ex11 /nope
	[ "$status" -ne 0 ]
	[[ "$output" == *nope* ]]
	run rt exec no-such-ctr true
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]] || ! is_rt
	rt delete --force ex11
	assert_nothing_left ex11
}

@test "exec in a user-namespaced container" {
	make_bundle
	# The mapped root (host uid 100000) must be able to reach the rootfs.
	chmod o+x "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/test" "$BATS_TEST_TMPDIR"
	add_namespace user
	update_config '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	set_args sleep 1000
	run_detached ex12
	pid=$(container_pid ex12)
	run rt exec ex12 sh -c 'id -u; readlink /proc/self/ns/user; cat /proc/self/uid_map'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = "$(readlink /proc/$pid/ns/user)" ]
	rt delete --force ex12
	assert_nothing_left ex12
}

@test "exec: a set-up failure in the process (--cwd missing or not a directory) exits 255 in runc's words" {
	start_sleeper ex-cwd
	run --separate-stderr rt exec --cwd /missing ex-cwd touch /tmp/ran
	echo "$stderr"
	[ "$status" -eq 255 ]
	# runc's log line escapes the quotes.
	[[ "$stderr" == *'unable to start container process: chdir to cwd ('*'/missing'*') set in config.json failed: no such file or directory'* ]]
	run --separate-stderr rt exec --cwd /bin/sh ex-cwd touch /tmp/ran
	echo "$stderr"
	[ "$status" -eq 255 ]
	[[ "$stderr" == *'unable to start container process: chdir to cwd ('*'/bin/sh'*') set in config.json failed: not a directory'* ]]
	# The process never ran, and the container is as it was.
	[ ! -e "$BUNDLE/rootfs/tmp/ran" ]
	run rt exec ex-cwd true
	[ "$status" -eq 0 ]
	rt delete --force ex-cwd
	assert_nothing_left ex-cwd
}
