#!/usr/bin/env bats
# checkpoint and restore through CRIU. CRIU 3.17 (Debian 12) cannot dump on
# a kernel much newer than itself (6.18: "Unexpected rt vDSO area bounds"),
# so the round trips run in the tests/vm/ guest on Debian's 6.1 kernel with
# the CRIU layer (`make vm-test-criu`, tests/vm/run.sh --criu); on a host
# where CRIU cannot work, the clear error is what is tested.
#
# A container to checkpoint has stdio that CRIU can dump: /dev/null (a
# pipe or file from outside its mount namespace fails with "Can't lookup
# mount").

load helpers

setup_file() {
	build_recvtty
}

# criu_works: CRIU passes its own kernel check here.
criu_works() {
	command -v criu >/dev/null && criu check >/dev/null 2>&1
}

requires_criu() {
	command -v criu >/dev/null || skip "no criu installed"
	criu_works || skip "CRIU does not work on this kernel (run in tests/vm/run.sh --criu)"
}

# start_cr ID [DIR] [run flags...]: a detached container with /dev/null stdio.
start_cr() {
	local id="$1" dir="${2:-$BUNDLE}"
	shift 2 || shift $#
	rt run -d --bundle "$dir" "$@" "$id" </dev/null >/dev/null 2>&1
}

# cr ARGS...: rt ARGS; when it fails, the Error lines of every CRIU log of
# the test go to stderr (bats shows them with the failure).
cr() {
	local rc=0 l
	rt "$@" || rc=$?
	if [ "$rc" -ne 0 ]; then
		while read -r l; do
			echo "--- $l" >&2
			grep -E -i 'Error|Warn|tar|gzip|parent' "$l" | tail -n 25 >&2
		done < <(find "$BATS_TEST_TMPDIR" -name '*.log' -path '*' \( -name '*dump.log' -o -name 'restore.log' \))
	fi
	return "$rc"
}

# A workload whose memory CRIU must bring back: a counter in a shell
# variable, written out every 0.1 s.
COUNTER='i=0; while :; do i=$((i+1)); echo $i >/tmp/count; sleep 0.1; done'

# count_passes N: the container's counter goes past N (polled).
count_passes() {
	local i
	for i in $(seq "$(poll_count)"); do
		[ "$(cat "$BUNDLE/rootfs/tmp/count" 2>/dev/null || echo 0)" -gt "$1" ] && return 0
		sleep 0.05
	done
	echo "counter stayed at $(cat "$BUNDLE/rootfs/tmp/count") (wanted > $1)" >&2
	return 1
}

# restored_ok ID: running, the pid state.json holds is a live process with
# the start time recorded, and exec reaches it.
restored_ok() {
	[ "$(container_status "$1")" = running ]
	local pid st
	pid=$(container_pid "$1")
	st=$(jq -r .initStartTime "$RT_ROOT/$1/state.json" 2>/dev/null || true)
	if is_rt; then [ "$st" = "$(proc_starttime "$pid")" ]; fi
	run rt exec "$1" cat /tmp/count
	[ "$status" -eq 0 ]
	[ "$output" -gt 0 ]
}

@test "checkpoint: a criu that cannot start is one line naming the version check" {
	requires_rt
	make_bundle
	set_args sleep 1000
	start_cr cr-nocriu
	run --separate-stderr rt --criu "$BATS_TEST_TMPDIR/no-such-criu" checkpoint --image-path "$BATS_TEST_TMPDIR/img" cr-nocriu
	[ "$status" -ne 0 ]
	[[ "$stderr" == 'time="'*'" level=error msg="CRIU version check failed: fork/exec '"$BATS_TEST_TMPDIR"'/no-such-criu: no such file or directory"' ]]
	[ "$(container_status cr-nocriu)" = running ]
	run --separate-stderr rt --criu "$BATS_TEST_TMPDIR/no-such-criu" restore --image-path "$BATS_TEST_TMPDIR/img" --bundle "$BUNDLE" cr-new
	[ "$status" -ne 0 ]
	[[ "$stderr" == *' level=error msg="CRIU version check failed: '* ]]
	[ ! -e "$RT_ROOT/cr-new" ]
}

@test "checkpoint: where CRIU cannot dump, one line names the failure and the log; the container runs on" {
	command -v criu >/dev/null || skip "no criu installed"
	! criu_works || skip "CRIU works on this kernel: the round trips are tested instead"
	make_bundle
	set_args sleep 1000
	start_cr cr-fail
	pid=$(container_pid cr-fail)
	run --separate-stderr rt checkpoint --image-path "$BATS_TEST_TMPDIR/img" --work-path "$BATS_TEST_TMPDIR/work" cr-fail
	[ "$status" -ne 0 ]
	[ -f "$BATS_TEST_TMPDIR/work/dump.log" ]
	# runc quotes the log as warnings; its last line names the request.
	if is_rt; then
		[ "$(wc -l <<<"$stderr")" -eq 1 ]
		[[ "$stderr" == *' level=error msg="checkpoint: criu dump failed: '*"; log: $BATS_TEST_TMPDIR/work/dump.log\"" ]]
	else
		[[ "$stderr" == *"criu failed: type DUMP"* ]]
	fi
	[ -f "$BATS_TEST_TMPDIR/img/descriptors.json" ]
	[ "$(container_status cr-fail)" = running ]
	[ "$(container_pid cr-fail)" = "$pid" ]
	# restore of those images fails the same way and leaves nothing.
	make_bundle "$BATS_TEST_TMPDIR/b2"
	run --separate-stderr rt restore -d --image-path "$BATS_TEST_TMPDIR/img" --work-path "$BATS_TEST_TMPDIR/work" --bundle "$BATS_TEST_TMPDIR/b2" cr-fail2
	[ "$status" -ne 0 ]
	if is_rt; then
		[[ "$stderr" == *' level=error msg="restore: criu restore failed: '*"; log: $BATS_TEST_TMPDIR/work/restore.log\"" ]]
	fi
	[ ! -e "$RT_ROOT/cr-fail2" ]
	rt delete -f cr-fail
	assert_nothing_left cr-fail
	assert_nothing_left cr-fail2 "$BATS_TEST_TMPDIR/b2"
}

@test "checkpoint: bad flags and states fail with runc's words" {
	make_bundle
	set_args sleep 1000
	create_container cr-created
	run --separate-stderr rt checkpoint --image-path "$BATS_TEST_TMPDIR/img" cr-created
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"Container cannot be checkpointed in created state"* ]]
	rt start cr-created
	for f in "--manage-cgroups-mode bogus:invalid manage-cgroups-mode value" \
		"--parent-path /abs:--parent-path must be relative" \
		"--page-server nohost:Use --page-server ADDRESS:PORT to specify page server" \
		"--empty-ns pid:namespace *pid* is not supported"; do
		# shellcheck disable=SC2086
		run --separate-stderr rt checkpoint ${f%%:*} --image-path "$BATS_TEST_TMPDIR/img" cr-created
		[ "$status" -ne 0 ] || { echo "${f%%:*} accepted"; false; }
		# shellcheck disable=SC2053
		[[ "$stderr" == *${f#*:}* ]] || { echo "${f%%:*}: $stderr"; false; }
	done
	[ "$(container_status cr-created)" = running ]
	make_bundle "$BATS_TEST_TMPDIR/b2"
	run --separate-stderr rt restore --manage-cgroups-mode bogus --bundle "$BATS_TEST_TMPDIR/b2" cr-x
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"invalid manage-cgroups-mode value"* ]] || { echo "$stderr"; false; }
	[ ! -e "$RT_ROOT/cr-x" ]
}

@test "checkpoint and restore: memory, stdio, hooks, state; exec, kill and delete after" {
	requires_criu
	make_bundle
	set_args sh -c "$COUNTER"
	# prestart and createRuntime run again on restore, with the restored pid.
	update_config '.hooks.prestart = [{path: "/bin/sh", args: ["sh", "-c", "cat >>" + $f + "; echo >>" + $f]}]
		| .hooks.createRuntime = .hooks.prestart' --arg f "$BATS_TEST_TMPDIR/hooks.log"
	start_cr cr1
	count_passes 3
	cr checkpoint --image-path "$BATS_TEST_TMPDIR/img" --work-path "$BATS_TEST_TMPDIR/work" cr1
	# Without --leave-running the container is gone, as in runc.
	run rt state cr1
	[ "$status" -ne 0 ]
	[ "$(jq -c . "$BATS_TEST_TMPDIR/img/descriptors.json")" = '["/dev/null","/dev/null","/dev/null"]' ]
	before=$(cat "$BUNDLE/rootfs/tmp/count")
	: >"$BATS_TEST_TMPDIR/hooks.log"
	cr restore -d --image-path "$BATS_TEST_TMPDIR/img" --work-path "$BATS_TEST_TMPDIR/work" \
		--bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" cr1 </dev/null >/dev/null 2>&1
	[ -f "$BATS_TEST_TMPDIR/work/restore.log" ]
	pid=$(container_pid cr1)
	[ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$pid" ]
	# The counter goes on from where it was, not from 1.
	count_passes "$before"
	restored_ok cr1
	[ "$(jq -s 'length' "$BATS_TEST_TMPDIR/hooks.log")" -eq 2 ]
	[ "$(jq -s '[.[].pid] | unique | .[0]' "$BATS_TEST_TMPDIR/hooks.log")" = "$pid" ]
	rt kill cr1 KILL
	wait_for_status cr1 stopped
	rt delete cr1
	assert_nothing_left cr1
}

@test "checkpoint --leave-running, then restore of the images as a new container" {
	requires_criu
	make_bundle
	set_args sh -c "$COUNTER"
	start_cr cr2
	count_passes 2
	pid=$(container_pid cr2)
	cr checkpoint --leave-running --image-path "$BATS_TEST_TMPDIR/img" cr2
	[ "$(container_status cr2)" = running ]
	[ "$(container_pid cr2)" = "$pid" ]
	rt delete -f cr2
	cr restore -d --image-path "$BATS_TEST_TMPDIR/img" --bundle "$BUNDLE" cr2 </dev/null >/dev/null 2>&1
	restored_ok cr2
	rt delete -f cr2
	assert_nothing_left cr2
}

@test "checkpoint and restore: a bind mount whose destination is a symlink, and nested binds" {
	requires_criu
	make_bundle
	mkdir -p "$BATS_TEST_TMPDIR/h1/b" "$BATS_TEST_TMPDIR/h2" "$BATS_TEST_TMPDIR/h3" "$BUNDLE/rootfs/real"
	ln -s /real "$BUNDLE/rootfs/link"
	echo one >"$BATS_TEST_TMPDIR/h1/f"
	echo two >"$BATS_TEST_TMPDIR/h2/f"
	echo three >"$BATS_TEST_TMPDIR/h3/f"
	update_config '.mounts += [
		{destination: "/link", type: "bind", source: $h3, options: ["rbind"]},
		{destination: "/a", type: "bind", source: $h1, options: ["rbind"]},
		{destination: "/a/b", type: "bind", source: $h2, options: ["rbind"]}]' \
		--arg h1 "$BATS_TEST_TMPDIR/h1" --arg h2 "$BATS_TEST_TMPDIR/h2" --arg h3 "$BATS_TEST_TMPDIR/h3"
	set_args sh -c "$COUNTER"
	start_cr cr3
	count_passes 1
	cr checkpoint --image-path "$BATS_TEST_TMPDIR/img" cr3
	cr restore -d --image-path "$BATS_TEST_TMPDIR/img" --bundle "$BUNDLE" cr3 </dev/null >/dev/null 2>&1
	restored_ok cr3
	run rt exec cr3 cat /real/f /a/f /a/b/f
	[ "$status" -eq 0 ]
	[ "$output" = "three
one
two" ]
	# Still the host's directories: a file made there now shows inside.
	echo later >"$BATS_TEST_TMPDIR/h2/g"
	run rt exec cr3 cat /a/b/g
	[ "$output" = later ]
	rt delete -f cr3
	assert_nothing_left cr3
}

@test "checkpoint and restore: a cgroup namespace stays the container's" {
	requires_criu
	make_bundle
	add_namespace cgroup
	set_args sh -c "$COUNTER"
	start_cr cr4
	count_passes 1
	cr checkpoint --image-path "$BATS_TEST_TMPDIR/img" cr4
	cr restore -d --image-path "$BATS_TEST_TMPDIR/img" --bundle "$BUNDLE" cr4 </dev/null >/dev/null 2>&1
	restored_ok cr4
	pid=$(container_pid cr4)
	[ "$(readlink "/proc/$pid/ns/cgroup")" != "$(readlink /proc/self/ns/cgroup)" ]
	# The restored init sits in the container's cgroup (the config's path).
	cg=$(config_cgroup)
	grep -q ":$cg\$" "/proc/$pid/cgroup"
	rt delete -f cr4
	assert_nothing_left cr4
}

@test "checkpoint and restore: a terminal through --console-socket" {
	requires_criu
	make_bundle
	update_config '.process.terminal = true'
	set_args sh -c "$COUNTER"
	SOCK="$BATS_TEST_TMPDIR/tty.sock"
	"$RECVTTY" --mode null --pid-file "$BATS_TEST_TMPDIR/recvtty.pid" "$SOCK" </dev/null >/dev/null 2>&1 3>&- &
	remember_pid $! recvtty
	wait_for_file "$BATS_TEST_TMPDIR/recvtty.pid"
	rt run -d --console-socket "$SOCK" --bundle "$BUNDLE" cr5 </dev/null >/dev/null 2>&1
	count_passes 1
	pid=$(container_pid cr5)
	[[ "$(readlink "/proc/$pid/fd/0")" == /dev/pts/* ]]
	cr checkpoint --image-path "$BATS_TEST_TMPDIR/img" cr5
	# rt records the fds as they are at the checkpoint (runc: as they were
	# passed to create, before the pty).
	if is_rt; then jq -e '.[0] | startswith("/dev/pts/")' "$BATS_TEST_TMPDIR/img/descriptors.json"; fi
	# A second recvtty gets the pty master CRIU makes on restore.
	rm -f "$BATS_TEST_TMPDIR/recvtty.pid"
	"$RECVTTY" --mode null --pid-file "$BATS_TEST_TMPDIR/recvtty.pid" "$SOCK" </dev/null >/dev/null 2>&1 3>&- &
	remember_pid $! recvtty
	wait_for_file "$BATS_TEST_TMPDIR/recvtty.pid"
	cr restore -d --console-socket "$SOCK" --image-path "$BATS_TEST_TMPDIR/img" --bundle "$BUNDLE" cr5 </dev/null >/dev/null 2>&1
	restored_ok cr5
	pid=$(container_pid cr5)
	[[ "$(readlink "/proc/$pid/fd/0")" == /dev/pts/* ]]
	# recvtty took the connection: the socket is gone once it has the master.
	for i in $(seq "$(poll_count)"); do [ -S "$SOCK" ] || break; sleep 0.05; done
	[ ! -S "$SOCK" ]
	rt delete -f cr5
	assert_nothing_left cr5
}

@test "checkpoint --pre-dump, then a dump with --parent-path, restores" {
	requires_criu
	make_bundle
	set_args sh -c "$COUNTER"
	start_cr cr6
	count_passes 1
	cr checkpoint --pre-dump --image-path "$BATS_TEST_TMPDIR/cr/pre" cr6
	[ "$(container_status cr6)" = running ]
	[ -n "$(ls "$BATS_TEST_TMPDIR/cr/pre"/pagemap-*.img 2>/dev/null)" ]
	cr checkpoint --parent-path ../pre --image-path "$BATS_TEST_TMPDIR/cr/img" cr6
	[ "$(readlink "$BATS_TEST_TMPDIR/cr/img/parent")" = ../pre ]
	run rt state cr6
	[ "$status" -ne 0 ]
	cr restore -d --image-path "$BATS_TEST_TMPDIR/cr/img" --bundle "$BUNDLE" cr6 </dev/null >/dev/null 2>&1
	restored_ok cr6
	rt delete -f cr6
	assert_nothing_left cr6
}

@test "restore into another cgroup with --manage-cgroups-mode ignore" {
	requires_criu
	make_bundle
	set_args sh -c "$COUNTER"
	start_cr cr7
	count_passes 1
	old=$(config_cgroup)
	cr checkpoint --manage-cgroups-mode ignore --image-path "$BATS_TEST_TMPDIR/img" cr7
	# The same bundle with another cgroupsPath (one make_bundle recorded,
	# so teardown removes it).
	make_bundle "$BATS_TEST_TMPDIR/b2"
	new=$(config_cgroup "$BATS_TEST_TMPDIR/b2")
	update_config '.linux.cgroupsPath = $cg' --arg cg "$new"
	cr restore -d --manage-cgroups-mode ignore --image-path "$BATS_TEST_TMPDIR/img" --bundle "$BUNDLE" cr7 </dev/null >/dev/null 2>&1
	restored_ok cr7
	pid=$(container_pid cr7)
	grep -q ":$new\$" "/proc/$pid/cgroup"
	! grep -q ":$old\$" "/proc/$pid/cgroup"
	rt delete -f cr7
	assert_nothing_left cr7
}

@test "restore in the foreground: rt is the restored init's parent, exits with its status, deletes it" {
	requires_criu
	make_bundle
	set_args sh -c 'i=0; while [ ! -e /tmp/stop ]; do i=$((i+1)); echo $i >/tmp/count; sleep 0.1; done; exit 3'
	start_cr cr8
	count_passes 1
	cr checkpoint --image-path "$BATS_TEST_TMPDIR/img" cr8
	# Not through the rt function: $! is then the runtime's own pid.
	"$RT" --root "$RT_ROOT" restore --image-path "$BATS_TEST_TMPDIR/img" --bundle "$BUNDLE" cr8 \
		</dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/restore.err" &
	rpid=$!
	wait_for_status cr8 running
	pid=$(container_pid cr8)
	[ "$(ps -o ppid= -p "$pid" | tr -d ' ')" = "$rpid" ]
	touch "$BUNDLE/rootfs/tmp/stop"
	rc=0
	wait "$rpid" || rc=$?
	[ "$rc" -eq 3 ] || { cat "$BATS_TEST_TMPDIR/restore.err"; false; }
	run rt state cr8
	[ "$status" -ne 0 ]
	assert_nothing_left cr8
}
