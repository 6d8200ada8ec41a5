#!/usr/bin/env bats
# Process set-up as runc 1.5 does it: HOME, the environment, exec's own
# failures and the workload's execve failure, the terminal's owner, CPU
# affinity, capability warnings, personality and the scheduler.

load helpers

start_sleeper() {
	make_bundle
	set_args sleep 1000
	run_detached "$1"
}

# home_of: HOME as the workload sees it, for the config's process.
home_of() {
	set_args sh -c 'env | grep -c "^HOME="; echo "$HOME"'
	run rt run --bundle "$BUNDLE" "$1"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "HOME: from the container's /etc/passwd when unset or empty, / without an entry" {
	make_bundle
	home_of ps-home1
	[ "${lines[0]}" = 1 ] && [ "${lines[1]}" = /root ]
	update_config '.process.user = {uid: 1000, gid: 1000}'
	home_of ps-home2
	[ "${lines[0]}" = 1 ] && [ "${lines[1]}" = /home/user ]
	update_config '.process.env += ["HOME="]'
	home_of ps-home3
	[ "${lines[0]}" = 1 ] && [ "${lines[1]}" = /home/user ]
	update_config '.process.user = {uid: 4242, gid: 4242}'
	home_of ps-home4
	[ "${lines[0]}" = 1 ] && [ "${lines[1]}" = / ]
	update_config '.process.env += ["HOME=/custom"] | .process.user = {uid: 1000, gid: 1000}'
	home_of ps-home5
	[ "${lines[0]}" = 1 ] && [ "${lines[1]}" = /custom ]
	assert_nothing_left ps-home5
}

@test "HOME: a /etc/passwd symlink resolves inside the rootfs, never to a host file" {
	make_bundle
	printf 'root:x:0:0:root:/leaked-host-home:/bin/sh\n' >"$BATS_TEST_TMPDIR/host-passwd"
	mv "$BUNDLE/rootfs/etc/passwd" "$BUNDLE/rootfs/etc/passwd.real"
	ln -s "$BATS_TEST_TMPDIR/host-passwd" "$BUNDLE/rootfs/etc/passwd"
	home_of ps-home-link
	[ "${lines[1]}" = / ]
	# The same link, now with a target inside the rootfs.
	mkdir -p "$BUNDLE/rootfs/$BATS_TEST_TMPDIR"
	printf 'root:x:0:0:root:/in-root-home:/bin/sh\n' >"$BUNDLE/rootfs/$BATS_TEST_TMPDIR/host-passwd"
	home_of ps-home-link2
	[ "${lines[1]}" = /in-root-home ]
	assert_nothing_left ps-home-link2
}

@test "HOME: a FIFO as /etc/passwd is not read (rt start does not hang)" {
	requires_rt
	make_bundle
	rm "$BUNDLE/rootfs/etc/passwd"
	mkfifo "$BUNDLE/rootfs/etc/passwd"
	set_args sh -c 'echo "$HOME"'
	run timeout 20 "$RT" --root "$RT_ROOT" run --bundle "$BUNDLE" ps-home-fifo
	[ "$status" -eq 0 ]
	[ "$output" = / ]
	assert_nothing_left ps-home-fifo
}

@test "HOME: exec takes it from /etc/passwd for --user, and exec -p with no env gets only HOME" {
	start_sleeper ps-home-exec
	run rt exec ps-home-exec sh -c 'echo "$HOME"'
	[ "$status" -eq 0 ] && [ "$output" = /root ]
	run rt exec --user 1000:1000 ps-home-exec sh -c 'echo "$HOME"'
	[ "$status" -eq 0 ] && [ "$output" = /home/user ]
	run rt exec --env HOME= --user 65534:65534 ps-home-exec sh -c 'echo "$HOME"'
	[ "$status" -eq 0 ] && [ "$output" = /nonexistent ]
	echo '{"args": ["/bin/env"], "cwd": "/", "user": {"uid": 1000, "gid": 1000}}' >"$BATS_TEST_TMPDIR/p.json"
	run rt exec -p "$BATS_TEST_TMPDIR/p.json" ps-home-exec
	echo "$output"
	[ "$status" -eq 0 ] && [ "$output" = HOME=/home/user ]
	rt delete --force ps-home-exec
	assert_nothing_left ps-home-exec
}

@test "env: values with newlines pass intact, a repeated variable keeps its last value" {
	make_bundle
	update_config '.process.env = ["PATH=/bin", "A=first", "ML=line one\nline two\n", "A=last"]'
	set_args sh -c 'env | grep -c "^A="; echo "$A"; printf "%s" "$ML" | od -An -tx1 | tr -d " \n"'
	run rt run --bundle "$BUNDLE" ps-env-nl
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = last ]
	[ "${lines[2]}" = 6c696e65206f6e650a6c696e652074776f0a ] # "line one\nline two\n"
	assert_nothing_left ps-env-nl
}

@test "env: a variable with an empty name fails, nothing left" {
	make_bundle
	update_config '.process.env = ["PATH=/bin", "=x"]'
	set_args true
	run rt run --bundle "$BUNDLE" ps-env-bad
	[ "$status" -ne 0 ]
	assert_nothing_left ps-env-bad
}

@test "exec --env adds to the container's environment, the last value wins" {
	make_bundle
	update_config '.process.env += ["FOO=bar", "KEEP=1"]'
	set_args sleep 1000
	run_detached ps-exec-env
	run rt exec --env FOO=new --env 'X=a
b' ps-exec-env sh -c 'env | grep -c "^FOO="; echo "$FOO $KEEP"; echo "$X"; echo "$PATH"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = "new 1" ]
	[ "${lines[2]}" = a ] && [ "${lines[3]}" = b ]
	[ "${lines[4]}" = "$(jq -r '.process.env[] | select(startswith("PATH=")) | .[5:]' "$BUNDLE/config.json")" ]
	rt delete --force ps-exec-env
	assert_nothing_left ps-exec-env
}

@test "execve failure: runc's message on the workload's stderr, status 255; start itself succeeds" {
	make_bundle
	printf '#!/nonexistent\necho hi\n' >"$BUNDLE/rootfs/run.sh"
	chmod +x "$BUNDLE/rootfs/run.sh"
	set_args /run.sh
	run --separate-stderr rt run --bundle "$BUNDLE" ps-execve
	[ "$status" -eq 255 ]
	[ "$stderr" = "exec /run.sh: no such file or directory" ]
	assert_nothing_left ps-execve
	rt create --bundle "$BUNDLE" ps-execve2 </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err"
	run rt start ps-execve2
	[ "$status" -eq 0 ]
	wait_for_status ps-execve2 stopped
	grep -qx "exec /run.sh: no such file or directory" "$BATS_TEST_TMPDIR/err"
	rt delete ps-execve2
	assert_nothing_left ps-execve2
}

@test "exec: execve failure exits 255 with runc's message; -d still succeeds" {
	start_sleeper ps-exec-fail
	printf '#!/nonexistent\n' >"$BUNDLE/rootfs/run.sh"
	chmod +x "$BUNDLE/rootfs/run.sh"
	run --separate-stderr rt exec ps-exec-fail /run.sh
	[ "$status" -eq 255 ]
	[ "$stderr" = "exec /run.sh: no such file or directory" ]
	run rt exec -d ps-exec-fail /run.sh
	[ "$status" -eq 0 ]
	run rt exec ps-exec-fail sh -c 'exit 7'
	[ "$status" -eq 7 ]
	rt delete --force ps-exec-fail
	assert_nothing_left ps-exec-fail
}

@test "exec: rt's own failures exit 255 (missing binary, unknown container, unwritable --pid-file)" {
	start_sleeper ps-exec-255
	run --separate-stderr rt exec ps-exec-255 /nonexist
	[ "$status" -eq 255 ]
	[[ "$stderr" == *'stat /nonexist: no such file or directory'* ]]
	run --separate-stderr rt exec ps-exec-255 nonexist
	[ "$status" -eq 255 ]
	[[ "$stderr" == *'nonexist'*'executable file not found in $PATH'* ]]
	run rt exec no-such-container true
	[ "$status" -eq 255 ]
	run rt exec --pid-file "$BATS_TEST_TMPDIR/no/such/dir/pid" ps-exec-255 sh -c 'touch /tmp/ran; sleep 5'
	[ "$status" -eq 255 ]
	# The process was killed: soon only the sleeper is left in the container.
	for i in $(seq "$(poll_count)"); do
		run rt ps ps-exec-255
		[ "${#lines[@]}" -eq 2 ] && break
		sleep 0.05
	done
	echo "$output"
	[ "${#lines[@]}" -eq 2 ]
	rt delete --force ps-exec-255
	assert_nothing_left ps-exec-255
}

@test "exec: no PATH in the environment means no search path" {
	start_sleeper ps-nopath
	echo '{"args": ["env"], "cwd": "/"}' >"$BATS_TEST_TMPDIR/p.json"
	run --separate-stderr rt exec -p "$BATS_TEST_TMPDIR/p.json" ps-nopath
	[ "$status" -eq 255 ]
	[[ "$stderr" == *'env'*'executable file not found in $PATH'* ]]
	rt delete --force ps-nopath
	assert_nothing_left ps-nopath
}

@test "CPU affinity: the caller's is reset for the init and exec, to the cgroup's cpuset when set" {
	[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
	all=$(awk '/^Cpus_allowed_list/ {print $2}' /proc/1/status)
	make_bundle
	set_args sh -c 'awk "/^Cpus_allowed_list/ {print \$2}" /proc/self/status'
	run taskset -c 0 "$RT" --root "$RT_ROOT" run --bundle "$BUNDLE" ps-aff1
	[ "$status" -eq 0 ] && [ "$output" = "$all" ]
	update_config '.linux.resources.cpu.cpus = "1"'
	run taskset -c 0 "$RT" --root "$RT_ROOT" run --bundle "$BUNDLE" ps-aff2
	[ "$status" -eq 0 ] && [ "$output" = 1 ]
	update_config 'del(.linux.resources.cpu)'
	set_args sleep 1000
	run_detached ps-aff3
	run taskset -c 0 "$RT" --root "$RT_ROOT" exec ps-aff3 awk '/^Cpus_allowed_list/ {print $2}' /proc/self/status
	[ "$status" -eq 0 ] && [ "$output" = "$all" ]
	rt delete --force ps-aff3
	assert_nothing_left ps-aff3
}

@test "execCPUAffinity: initial and final apply to exec, not to the init (runtime-spec, runc)" {
	[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
	all=$(awk '/^Cpus_allowed_list/ {print $2}' /proc/1/status)
	make_bundle
	update_config '.process.execCPUAffinity = {initial: "0", final: "1"}'
	set_args sh -c 'awk "/^Cpus_allowed_list/ {print \$2}" /proc/self/status'
	run rt run --bundle "$BUNDLE" ps-eaff1
	[ "$status" -eq 0 ] && [ "$output" = "$all" ]
	update_config 'del(.process.execCPUAffinity)'
	set_args sleep 1000
	run_detached ps-eaff2
	for a in '{"initial": "1"}' '{"final": "1"}' '{"initial": "0", "final": "1"}'; do
		jq -n --argjson a "$a" '{args: ["awk", "/^Cpus_allowed_list/ {print $2}", "/proc/self/status"], cwd: "/", env: ["PATH=/bin"], execCPUAffinity: $a}' >"$BATS_TEST_TMPDIR/p.json"
		run taskset -c 0 "$RT" --root "$RT_ROOT" exec -p "$BATS_TEST_TMPDIR/p.json" ps-eaff2
		echo "$a: $output"
		[ "$status" -eq 0 ] && [ "$output" = 1 ]
	done
	# The flag form takes the container's process, execCPUAffinity included.
	rt delete --force ps-eaff2
	update_config '.process.execCPUAffinity = {final: "1"}'
	run_detached ps-eaff3
	run rt exec ps-eaff3 awk '/^Cpus_allowed_list/ {print $2}' /proc/self/status
	[ "$status" -eq 0 ] && [ "$output" = 1 ]
	rt delete --force ps-eaff3
	assert_nothing_left ps-eaff3
}

@test "personality is set before the seccomp filter: a profile refusing personality(2) still starts" {
	make_bundle
	update_config '.linux.personality = {domain: "LINUX32"}
		| .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["personality"], action: "SCMP_ACT_ERRNO"}]}'
	set_args uname -m
	run rt run --bundle "$BUNDLE" ps-pers
	echo "$output"
	[ "$status" -eq 0 ] && [ "$output" = i686 ]
	set_args sleep 1000
	run_detached ps-pers2
	run rt exec ps-pers2 uname -m
	[ "$status" -eq 0 ] && [ "$output" = i686 ]
	rt delete --force ps-pers2
	assert_nothing_left ps-pers2
}

@test "SCHED_DEADLINE: works from a pinned caller and with a cpuset of every CPU; a smaller cpuset fails as in runc" {
	[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
	make_bundle
	# A deadline task cannot fork: the workload is one process.
	update_config '.process.scheduler = {policy: "SCHED_DEADLINE", runtime: 10000000, deadline: 30000000, period: 30000000}'
	set_args awk '/^policy/ {print $NF}' /proc/self/sched
	run taskset -c 0 "$RT" --root "$RT_ROOT" run --bundle "$BUNDLE" ps-dl1
	echo "$output"
	[ "$status" -eq 0 ] && [ "$output" = 6 ]
	update_config --arg all "$(awk '/^Cpus_allowed_list/ {print $2}' /proc/1/status)" '.linux.resources.cpu.cpus = $all'
	run rt run --bundle "$BUNDLE" ps-dl2
	[ "$status" -eq 0 ] && [ "$output" = 6 ]
	update_config '.linux.resources.cpu.cpus = "1"'
	run rt run --bundle "$BUNDLE" ps-dl3
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process scheduler can't be used together with AllowedCPUs"* ]]
	assert_nothing_left ps-dl3
}

@test "exec -p: --env, --user, --additional-gids, --cwd and --tty describe the flag form only (runc ignores them with a process file)" {
	start_sleeper ps-pflags
	echo '{"args": ["/bin/sh", "-c", "id -u; id -G; pwd; echo \"[$B]\"; [ -t 0 ] || echo no-tty"], "cwd": "/", "env": ["PATH=/bin", "A=1"]}' >"$BATS_TEST_TMPDIR/p.json"
	run rt exec -p "$BATS_TEST_TMPDIR/p.json" --user 1000:1000 -g 2000 --cwd /tmp --env B=2 -t ps-pflags
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ] && [ "${lines[1]}" = 0 ] && [ "${lines[2]}" = / ] && [ "${lines[3]}" = "[]" ] && [ "${lines[4]}" = no-tty ]
	rt delete --force ps-pflags
	assert_nothing_left ps-pflags
}

@test "exec --user: uid alone means gid 0; --additional-gids add to the container's groups" {
	make_bundle
	update_config '.process.user.additionalGids = [3000]'
	set_args sleep 1000
	run_detached ps-user
	run rt exec --user 1000 ps-user sh -c 'id -u; id -g; echo "$HOME"; grep ^Groups: /proc/self/status'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ] && [ "${lines[1]}" = 0 ] && [ "${lines[2]}" = /home/user ]
	[ "$(echo ${lines[3]#Groups:})" = 3000 ]
	run rt exec --user 1234:5678 -g 2000 -g 4000 ps-user sh -c 'id -u; id -g; echo "$HOME"; grep ^Groups: /proc/self/status'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1234 ] && [ "${lines[1]}" = 5678 ] && [ "${lines[2]}" = / ]
	[ "$(echo ${lines[3]#Groups:})" = "2000 3000 4000" ]
	run --separate-stderr rt exec --user user ps-user true
	[ "$status" -eq 255 ]
	rt delete --force ps-user
	assert_nothing_left ps-user
}
