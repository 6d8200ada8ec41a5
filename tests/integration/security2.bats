#!/usr/bin/env bats
# More hostile containers (see security.bats): a /dev that is a symlink, a
# device path planted as a symlink, a dangling symlink in a shared volume,
# a /dev/console symlink under a terminal, and a default-deny seccomp
# profile that must still let rt finish its own work. Each test sets the
# attack up for real and checks the host side: a snapshot of the host dir
# the attacker aims at (names, types, modes, owners, device numbers,
# contents) is identical afterwards.

load helpers

setup_file() {
	build_recvtty
}

setup() {
	common_setup
	OUT="$BATS_TEST_TMPDIR/host-target"
	mkdir -p "$OUT"
	echo host-original >"$OUT/victim"
	# A host device node the attacker would like re-moded or re-owned.
	mknod -m 0600 "$OUT/hostnode" c 1 3
	snapshot_out >"$BATS_TEST_TMPDIR/out.before"
}

# snapshot_out: everything about $OUT a runtime could change.
snapshot_out() {
	(cd "$OUT" && find . -printf '%p %y %m %U:%G\n' | sort)
	(cd "$OUT" && find . -type c -printf '%p ' -exec stat -c '%t:%T' {} \; | sort)
	(cd "$OUT" && find . -type f -exec sha256sum {} + | sort)
}

host_unchanged() {
	snapshot_out >"$BATS_TEST_TMPDIR/out.after"
	if ! diff -u "$BATS_TEST_TMPDIR/out.before" "$BATS_TEST_TMPDIR/out.after" >&2; then
		echo "host dir $OUT changed" >&2
		return 1
	fi
}

# no_dev_mount: drop the /dev tmpfs, so rt makes its nodes and links in the
# image's own /dev (what the attacker controls).
no_dev_mount() {
	update_config -b "${1:-$BUNDLE}" '.mounts = [.mounts[] | select(.destination != "/dev")]'
}

@test "security2: rootfs /dev is a symlink to a host dir: no node lands on the host (CVE-2026-41579 class)" {
	local target mode id b
	for target in "$OUT" "../../../../../../../../../../..$OUT"; do
		for mode in tmpfs image; do
			id="sec2-devlink-$mode-${#target}"
			b="$BATS_TEST_TMPDIR/$id"
			make_bundle "$b"
			rmdir "$b/rootfs/dev"
			ln -s "$target" "$b/rootfs/dev"
			[[ "$mode" == tmpfs ]] || no_dev_mount "$b"
			set_args -b "$b" sh -c 'stat -c "%F %t:%T" /dev/null /dev/zero'
			run --separate-stderr rt run --bundle "$b" "$id"
			echo "$mode -> $target: status $status, stdout: $output, stderr: $stderr"
			# Refusing is fine; a run must see real nodes, made inside
			# the rootfs (where the link resolves in-root, or in a /dev
			# that replaced it).
			if [ "$status" -eq 0 ]; then
				[ "${lines[0]}" = "character special file 1:3" ]
				[ "${lines[1]}" = "character special file 1:5" ]
				if [[ "$mode" == image ]]; then
					[ -c "$b/rootfs$OUT/null" ] || [ -c "$b/rootfs/dev/null" -a ! -L "$b/rootfs/dev" ]
				fi
			fi
			host_unchanged
			assert_nothing_left "$id" "$b"
		done
	done
}

@test "security2: linux.devices path planted as a symlink to a host node / file: host untouched, container gets its node" {
	make_bundle
	no_dev_mount
	ln -s "$OUT/hostnode" "$BUNDLE/rootfs/dev/mydev"
	ln -s "$OUT/victim" "$BUNDLE/rootfs/dev/myfile"
	# And a parent directory of a device that points out.
	ln -s "$OUT" "$BUNDLE/rootfs/dev/sub"
	update_config '.linux.devices = [
		{path: "/dev/mydev", type: "c", major: 1, minor: 5, fileMode: 438, uid: 1000, gid: 1000},
		{path: "/dev/myfile", type: "c", major: 1, minor: 7, fileMode: 420}]'
	set_args sh -c 'stat -c "%F %t:%T %a %u:%g" /dev/mydev /dev/myfile'
	run --separate-stderr rt run --bundle "$BUNDLE" sec2-devs
	echo "status $status, stdout: $output, stderr: $stderr"
	[ "$status" -eq 0 ]
	# runc 1.5 leaves a path that exists (the link) as it is; rt makes the
	# node the config asks for. Either way the host is untouched.
	if is_rt; then
		[ "${lines[0]}" = "character special file 1:5 666 1000:1000" ]
		[ "${lines[1]}" = "character special file 1:7 644 0:0" ]
	fi
	host_unchanged

	# A device whose parent directory is the planted symlink: refused, or
	# made inside the rootfs.
	update_config '.linux.devices = [{path: "/dev/sub/node", type: "c", major: 1, minor: 5, fileMode: 438}]'
	set_args sh -c 'stat -c "%F %t:%T" /dev/sub/node'
	run --separate-stderr rt run --bundle "$BUNDLE" sec2-devs-parent
	echo "status $status, stdout: $output, stderr: $stderr"
	if [ "$status" -eq 0 ]; then
		[ "$output" = "character special file 1:5" ]
	elif is_rt; then # runc 1.5 fails on another step, in its own words
		[[ "$stderr" == *"/dev/sub/node"* ]]
	fi
	host_unchanged
	assert_nothing_left sec2-devs
	assert_nothing_left sec2-devs-parent
}

@test "security2: dangling symlink in a shared volume used as mount destination creates nothing on the host (CVE-2024-45310)" {
	make_bundle
	local vol="$BATS_TEST_TMPDIR/vol"
	mkdir "$vol"
	# What another container sharing the volume planted.
	ln -s "$OUT/made-dir" "$vol/link"
	ln -s "../../../../../../../../../../..$OUT/made-rel" "$vol/rel"
	ln -s "$OUT/made-file" "$vol/filelink"
	echo bind-source >"$BATS_TEST_TMPDIR/file.src"
	local before
	before=$(cd "$vol" && find . -printf '%p %y %l\n' | sort)
	# Directory destinations through the links, then a file destination.
	update_config '.mounts += [
		{destination: "/vol", type: "bind", source: $v, options: ["rbind"]},
		{destination: "/vol/link", type: "tmpfs", source: "tmpfs"},
		{destination: "/vol/rel/sub", type: "tmpfs", source: "tmpfs"}]' --arg v "$vol"
	set_args sh -c 'stat -f -c %T /vol/link/. /vol/rel/sub/.'
	run --separate-stderr rt run --bundle "$BUNDLE" sec2-vol-dir
	echo "dirs: status $status, stdout: $output, stderr: $stderr"
	# Refused, or the tmpfs is where the container looks (the link then
	# resolved inside the rootfs).
	if [ "$status" -eq 0 ]; then
		[ "${lines[0]}" = tmpfs ] && [ "${lines[1]}" = tmpfs ]
	else
		[[ "$stderr" == *"mount /vol/"* ]]
	fi
	host_unchanged
	assert_nothing_left sec2-vol-dir
	update_config '.mounts = [.mounts[] | select(.destination | startswith("/vol/") | not)]
		| .mounts += [{destination: "/vol/filelink", type: "bind", source: $f, options: ["bind"]}]' \
		--arg f "$BATS_TEST_TMPDIR/file.src"
	set_args cat /vol/filelink
	run --separate-stderr rt run --bundle "$BUNDLE" sec2-vol
	echo "file: status $status, stdout: $output, stderr: $stderr"
	if [ "$status" -eq 0 ]; then
		[ "$output" = bind-source ]
	else
		[[ "$stderr" == *"mount /vol/filelink"* ]]
	fi
	host_unchanged
	[ ! -e "$OUT/made-dir" ] && [ ! -e "$OUT/made-rel" ] && [ ! -e "$OUT/made-file" ]
	# The volume holds the three links and nothing else.
	[ "$(cd "$vol" && find . -printf '%p %y %l\n' | sort)" = "$before" ]
	[ "$(cat "$BATS_TEST_TMPDIR/file.src")" = bind-source ]
	assert_nothing_left sec2-vol
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

@test "security2: /dev/console planted as a symlink to a host file, with a terminal: not followed" {
	local target id b
	for target in "$OUT/victim" "$OUT/console-made"; do
		id="sec2-console-${target##*/}"
		b="$BATS_TEST_TMPDIR/$id"
		make_bundle "$b"
		no_dev_mount "$b"
		ln -s "$target" "$b/rootfs/dev/console"
		update_config -b "$b" '.process.terminal = true'
		set_args -b "$b" sh -c 'ls -l /dev/console'
		start_recvtty
		run --separate-stderr rt create --bundle "$b" --console-socket "$SOCK" "$id"
		echo "$target: create status $status, stderr: $stderr"
		if [ "$status" -eq 0 ]; then
			rt start "$id"
			wait_for_status "$id" stopped
			for _ in $(seq 100); do [ -d /proc/$RECVTTY_PID ] || break; sleep 0.05; done
			run tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out"
			echo "tty: $output"
			# The link was replaced in the rootfs by the pty (136 = pts).
			[[ "${lines[0]}" == c*" 136,"*/dev/console ]]
			rt delete "$id"
		else
			[[ "$stderr" == *"/dev/console"* ]]
			kill "$RECVTTY_PID" 2>/dev/null || true
		fi
		wait "$RECVTTY_PID" || true
		host_unchanged
		assert_nothing_left "$id" "$b"
	done
}

# The allow list a busybox `sh -c 'echo ok'` needs under a default-deny
# profile, found by removing one syscall at a time (docs/SECURITY.md
# explains each). rt loads seccomp after no_new_privs: for rt exec as the
# last thing before it writes "ready" and execs; for the init after the
# exec fifo read and the startContainer hooks, just before execve.
SECCOMP_ALLOW_MIN='["arch_prctl", "epoll_pwait", "execve", "exit_group", "futex", "getdents64",
	"mmap", "mprotect", "openat", "read", "rt_sigreturn", "sendmsg", "write"]'
# Go runtime calls that happen only when the scheduler preempts or starts
# a thread in that window: rarely needed, but a profile without them fails
# now and then.
SECCOMP_ALLOW_GO='["clone", "clone3", "getpid", "gettid", "madvise", "munmap", "nanosleep",
	"rt_sigprocmask", "sched_yield", "sigaltstack", "tgkill"]'

default_deny() {
	update_config '.process.noNewPrivileges = true
		| .linux.seccomp = {defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 13,
			syscalls: [{names: ($min + $go), action: "SCMP_ACT_ALLOW"}]}' \
		--argjson min "$SECCOMP_ALLOW_MIN" --argjson go "$SECCOMP_ALLOW_GO"
}

@test "security2: seccomp default-deny with a minimal allow list: the container still starts" {
	requires_rt # the list is rt's needs; runc's init needs others
	make_bundle
	default_deny
	set_args sh -c 'echo ok'
	local n
	# Several runs: a list missing a Go runtime call fails only sometimes.
	for n in 1 2 3 4 5; do
		run --separate-stderr rt run --bundle "$BUNDLE" "sec2-deny-$n"
		echo "run $n: status $status, stdout: $output, stderr: $stderr"
		[ "$status" -eq 0 ]
		[ "$output" = ok ]
		assert_nothing_left "sec2-deny-$n"
	done
}

@test "security2: seccomp default-deny: a syscall not on the list gets defaultErrnoRet" {
	requires_rt # the list is rt's needs; runc's init needs others
	make_bundle
	default_deny
	# mkdir is not on the list: EACCES (13), the configured errno, not EPERM.
	set_args mkdir /tmp/denied
	run --separate-stderr rt run --bundle "$BUNDLE" sec2-deny-mkdir
	echo "status $status, stdout: $output, stderr: $stderr"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"Permission denied"* ]]
	[ ! -e "$BUNDLE/rootfs/tmp/denied" ]
	assert_nothing_left sec2-deny-mkdir

	# Without openat the init still starts: its fd sweep (listing
	# /proc/self/fd) comes before the filter, which is loaded after the exec
	# fifo read. rt exec loads it before its own sweep: there the list is
	# rt's needs, not only the workload's.
	update_config '.linux.seccomp.syscalls[0].names -= ["openat"] | .linux.seccomp.syscalls[0].names += ["clock_nanosleep"]'
	set_args sleep 100
	run_detached sec2-deny-noopenat
	run --separate-stderr rt exec sec2-deny-noopenat sh -c 'echo ok'
	echo "exec: status $status, stdout: $output, stderr: $stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"/proc/self/fd"* ]]
	rt delete --force sec2-deny-noopenat
	set_args sh -c 'echo ok'
	run --separate-stderr rt run --bundle "$BUNDLE" sec2-deny-noopenat
	echo "run: status $status, stdout: $output, stderr: $stderr"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	assert_nothing_left sec2-deny-noopenat
}
