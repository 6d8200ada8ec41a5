#!/usr/bin/env bats
# Hostile containers: each config or image below is what an attacker would
# write to get out. Every test checks the host side too (nothing made,
# mounted or changed outside the rootfs), so it fails if the defence goes.

load helpers

setup() {
	common_setup
	# A host directory the attacker aims at; never inside any rootfs.
	OUT="$BATS_TEST_TMPDIR/host-target"
	mkdir -p "$OUT"
	echo host-original >"$OUT/victim"
	: >"$OUT/.listing"
}

# host_unchanged: $OUT holds only what setup put there, unmodified.
host_unchanged() {
	local got
	got=$(cd "$OUT" && find . -mindepth 1 | sort | tr '\n' ' ')
	if [[ "$got" != "./.listing ./victim " ]]; then
		echo "host dir $OUT changed: $got" >&2
		return 1
	fi
	[[ "$(cat "$OUT/victim")" == host-original ]] || { echo "victim modified: $(cat "$OUT/victim")" >&2; return 1; }
}

# bind_at DEST SRC: append a bind mount of host SRC at DEST.
bind_at() {
	update_config '.mounts += [{destination: $d, type: "bind", source: $s, options: ["bind"]}]' --arg d "$1" --arg s "$2"
}

@test "security: mount destination is an absolute symlink to a host dir" {
	make_bundle
	mkdir -p "$BUNDLE/src" && echo from-bind-source >"$BUNDLE/src/marker"
	# /evil -> $OUT/made/deeper: a runtime that follows it mkdirs on the host.
	ln -s "$OUT/made/deeper" "$BUNDLE/rootfs/evil"
	bind_at /evil "$BUNDLE/src"
	set_args cat /evil/marker
	run --separate-stderr rt run --bundle "$BUNDLE" sec-abslink
	echo "status $status, stdout: $output, stderr: $stderr"
	# rt refuses to create through a dangling symlink; a run is fine only
	# if the mount landed where the container sees /evil.
	if [ "$status" -eq 0 ]; then
		[ "$output" = from-bind-source ]
	else
		[[ "$stderr" == *"mount /evil"* ]]
	fi
	host_unchanged
	assert_nothing_left sec-abslink
}

@test "security: mount destination is a ../ symlink climbing out of the rootfs" {
	make_bundle
	mkdir -p "$BUNDLE/src" && echo from-bind-source >"$BUNDLE/src/marker"
	# Enough ../ to reach / from anywhere, then down to the host dir.
	ln -s "../../../../../../../../../../../..$OUT/made" "$BUNDLE/rootfs/evil"
	bind_at /evil "$BUNDLE/src"
	update_config '.mounts += [{destination: "/evil/tmpfs-here", type: "tmpfs", source: "tmpfs"}]'
	set_args cat /evil/marker
	run --separate-stderr rt run --bundle "$BUNDLE" sec-dotdot
	echo "status $status, stdout: $output, stderr: $stderr"
	if [ "$status" -eq 0 ]; then
		[ "${lines[0]}" = from-bind-source ]
	else
		[[ "$stderr" == *"mount /evil"* ]]
	fi
	host_unchanged
	assert_nothing_left sec-dotdot
}

@test "security: file bind onto an image symlink to a host file (source/dest swapped)" {
	make_bundle
	echo container-file >"$BUNDLE/hosts.src"
	# The image's /etc/hosts points at a host file: a runtime following it
	# would bind over (or create, or truncate) the host's victim.
	ln -s "$OUT/victim" "$BUNDLE/rootfs/etc/hosts"
	# And a dir destination planted as a symlink to the bind *source*
	# itself, the other way round.
	ln -s "$BUNDLE" "$BUNDLE/rootfs/bundle-link"
	update_config '.mounts += [{destination: "/etc/hosts", type: "bind", source: $s, options: ["bind","ro"]},
		{destination: "/bundle-link", type: "tmpfs", source: "tmpfs"}]' --arg s "$BUNDLE/hosts.src"
	set_args sh -c 'cat /etc/hosts; echo x > /bundle-link/written'
	run --separate-stderr rt run --bundle "$BUNDLE" sec-swap
	echo "status $status, stdout: $output, stderr: $stderr"
	if [ "$status" -eq 0 ]; then
		[ "${lines[0]}" = container-file ]
	else
		[[ "$stderr" == *"mount /"* ]]
	fi
	host_unchanged
	# The tmpfs did not land on the bundle dir on the host.
	[ ! -e "$BUNDLE/written" ]
	[ "$(cat "$BUNDLE/hosts.src")" = container-file ]
	assert_nothing_left sec-swap
}

@test "security: no host fd leaks into the container" {
	make_bundle
	set_args sh -c 'ls /proc/self/fd'
	# Host fds the caller had open without CLOEXEC: rt must not pass them.
	run rt run --bundle "$BUNDLE" sec-fds 7<"$OUT/victim" 9<"$OUT"
	[ "$status" -eq 0 ]
	# ls itself has its dir open as 3 while it lists.
	[ "$(echo $output)" = "0 1 2 3" ]
	assert_nothing_left sec-fds
}

@test "security: process.cwd=/proc/self/fd/N cannot reach the host (CVE-2024-21626)" {
	make_bundle
	set_args sh -c 'pwd; ls; cat victim ../victim ../../victim 2>/dev/null; true'
	local n id
	for n in 3 4 5 6 7 8 9 10 200; do
		id="sec-cwd-$n"
		update_config '.process.cwd = $c' --arg c "/proc/self/fd/$n"
		run rt run --bundle "$BUNDLE" "$id" 7<"$OUT"
		# Failing is fine; running is fine only inside the rootfs.
		if [ "$status" -eq 0 ]; then
			[[ "$output" != *host-original* ]] || { echo "fd $n: host file read: $output" >&2; return 1; }
		fi
		assert_nothing_left "$id"
	done
	host_unchanged
}

@test "security: /dev/null of a bound /dev is a symlink to a host file: masking refuses (CVE-2025-31133)" {
	make_bundle
	mkdir "$BUNDLE/dev"
	ln -s "$OUT/victim" "$BUNDLE/dev/null"
	update_config '.mounts = [.mounts[] | select(.destination | startswith("/dev") | not)]
		| .mounts += [{destination: "/dev", type: "bind", source: $d, options: ["rbind"]}]' --arg d "$BUNDLE/dev"
	set_args sh -c 'cat /proc/timer_list | head -c 20'
	run --separate-stderr rt run --bundle "$BUNDLE" sec-null-link
	echo "status $status, stdout: $output, stderr: $stderr"
	# Resolved inside the rootfs the link dangles: refused either way.
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"/dev/null"* ]]
	host_unchanged
	assert_nothing_left sec-null-link
}

@test "security: /dev/null of a bound /dev is a regular file: masking refuses" {
	make_bundle
	mkdir "$BUNDLE/dev"
	echo not-a-device >"$BUNDLE/dev/null"
	update_config '.mounts = [.mounts[] | select(.destination | startswith("/dev") | not)]
		| .mounts += [{destination: "/dev", type: "bind", source: $d, options: ["rbind"]}]' --arg d "$BUNDLE/dev"
	set_args true
	run --separate-stderr rt run --bundle "$BUNDLE" sec-null-file
	[ "$status" -ne 0 ]
	echo "stderr: $stderr"
	[[ "$stderr" == *"not the null device"* || "$stderr" == *"/dev/null is invalid"* ]] # rt's words, runc's
	[ "$(cat "$BUNDLE/dev/null")" = not-a-device ]
	assert_nothing_left sec-null-file
}

@test "security: masked file paths are the real null device even when the image plants /dev/null" {
	make_bundle
	ln -s "$OUT/victim" "$BUNDLE/rootfs/dev/null"
	set_args sh -c 'stat -c "%F %t:%T" /proc/timer_list; wc -c < /proc/timer_list'
	run rt run --bundle "$BUNDLE" sec-null-tmpfs
	echo "status $status, output: $output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "character special file 1:3" ]
	[ "${lines[1]}" = 0 ]
	host_unchanged
	assert_nothing_left sec-null-tmpfs
}

@test "security: rootfs /proc is a symlink to /tmp: sysctl lands in procfs, not a file" {
	make_bundle
	rmdir "$BUNDLE/rootfs/proc"
	ln -s /tmp "$BUNDLE/rootfs/proc"
	# Without the symlink's help, a fake sysctl file the write could hit.
	mkdir -p "$BUNDLE/rootfs/tmp/sys/net/ipv4"
	echo fake >"$BUNDLE/rootfs/tmp/sys/net/ipv4/ip_forward"
	cp "$BUNDLE/rootfs/tmp/sys/net/ipv4/ip_forward" "$BATS_TEST_TMPDIR/fake.before"
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	set_args sh -c 'cat /proc/sys/net/ipv4/ip_forward; stat -f -c %T /proc/sys/net/ipv4/ip_forward'
	run rt run --bundle "$BUNDLE" sec-proclink
	# Refusing is fine; running must show the real procfs value.
	if [ "$status" -eq 0 ]; then
		[ "${lines[0]}" = 1 ]
		[ "${lines[1]}" = proc ]
	fi
	# The plain file under the rootfs was never written.
	cmp "$BATS_TEST_TMPDIR/fake.before" "$BUNDLE/rootfs/tmp/sys/net/ipv4/ip_forward"
	assert_nothing_left sec-proclink
}

@test "security: image with a fake /proc tree: sysctl still reaches the kernel" {
	make_bundle
	mkdir -p "$BUNDLE/rootfs/proc/sys/net/ipv4"
	echo fake >"$BUNDLE/rootfs/proc/sys/net/ipv4/ip_forward"
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	set_args sh -c 'cat /proc/sys/net/ipv4/ip_forward'
	run rt run --bundle "$BUNDLE" sec-fakeproc
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
	[ "$(cat "$BUNDLE/rootfs/proc/sys/net/ipv4/ip_forward")" = fake ]
	assert_nothing_left sec-fakeproc
}

# exe_attack PID: from inside the container's mount and pid namespaces (as
# its root), try what CVE-2019-5736 does to the runtime binary that PID runs.
exe_attack() {
	nsenter --target "$1" --mount --pid -- /bin/busybox sh -c '
		exec 2>&1
		if (exec 3>>/proc/1/exe) 2>/dev/null; then echo OPENED-APPEND; fi
		if (exec 3<>/proc/1/exe) 2>/dev/null; then echo OPENED-RDWR; fi
		if (exec 3<>/proc/1/exe) 2>/dev/null; then :; else echo refused; fi'
}

@test "security: the init's /proc/self/exe cannot be written from inside (CVE-2019-5736)" {
	make_bundle
	local before after pid out fd err
	before=$(sha256sum <"$RT")
	set_args sh -c 'echo started'
	create_container sec-exe
	pid=$(container_pid sec-exe)
	# Created state: the container's pid 1 is rt init itself.
	out=$(exe_attack "$pid")
	[ "$out" = refused ]
	# Keep a handle on that binary, let the init exec away and exit, then
	# reopen the handle for writing: the step the CVE used once the
	# binary was no longer busy.
	exec {fd}</proc/"$pid"/exe
	rt start sec-exe
	for _ in $(seq 100); do [ -d /proc/"$pid" ] || break; sleep 0.05; done
	err=$( (exec 4<>/proc/self/fd/$fd) 2>&1) && { exec {fd}<&-; echo "reopened rt's binary for writing" >&2; return 1; }
	exec {fd}<&-
	[[ "$err" == *"Read-only file system"* || "$err" == *"Operation not permitted"* ]]
	after=$(sha256sum <"$RT")
	[ "$before" = "$after" ]
}

@test "security: args[0]=/proc/self/exe runs rt's protected copy, which stays read-only" {
	requires_rt # rt's own protection (a detached read-only bind); runc 1.5 has its own
	make_bundle
	local before after pid out fd err
	before=$(sha256sum <"$RT")
	# The workload execs the init's own exe, rt, made to block opening its
	# log, a fifo: rt stays up as the container's pid 1.
	mkfifo "$BUNDLE/rootfs/tmp/logfifo"
	update_config '.process.args = ["/proc/self/exe", "--log", "/tmp/logfifo", "list"]'
	run_detached sec-selfexe
	pid=$(container_pid sec-selfexe)
	for _ in $(seq 100); do
		[[ "$(tr '\0' ' ' </proc/"$pid"/cmdline)" == "/proc/self/exe --log"* ]] && break
		sleep 0.05
	done
	# It is not the host's binary that runs, but the detached copy.
	[ "$(readlink /proc/"$pid"/exe)" != "$(readlink -f "$RT")" ]
	cmp /proc/"$pid"/exe "$RT"
	out=$(exe_attack "$pid")
	[ "$out" = refused ]
	exec {fd}</proc/"$pid"/exe
	rt delete --force sec-selfexe
	for _ in $(seq 100); do [ -d /proc/"$pid" ] || break; sleep 0.05; done
	err=$( (exec 4<>/proc/self/fd/$fd) 2>&1) && { exec {fd}<&-; echo "reopened rt's binary for writing" >&2; return 1; }
	exec {fd}<&-
	echo "reopen: $err"
	[[ "$err" == *"Read-only file system"* || "$err" == *"Operation not permitted"* ]]
	after=$(sha256sum <"$RT")
	[ "$before" = "$after" ]
	assert_nothing_left sec-selfexe
}

@test "security: rt exec of /proc/self/exe runs rt's protected copy too, which stays read-only (CVE-2019-5736)" {
	requires_rt # rt's own protection (a detached read-only bind); runc 1.5 has its own
	make_bundle
	local before after pid out fd err
	before=$(sha256sum <"$RT")
	mkfifo "$BUNDLE/rootfs/tmp/logfifo"
	set_args sleep 1000
	run_detached sec-execexe
	# The exec'd process is the exec init's own exe, rt, blocked opening its log.
	rt exec -d --pid-file "$BATS_TEST_TMPDIR/exec.pid" sec-execexe /proc/self/exe --log /tmp/logfifo list
	pid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	remember_pid "$pid" sec-execexe
	for _ in $(seq 100); do
		[[ "$(tr '\0' ' ' </proc/"$pid"/cmdline)" == "/proc/self/exe --log"* ]] && break
		sleep 0.05
	done
	[ "$(readlink /proc/"$pid"/exe)" != "$(readlink -f "$RT")" ]
	cmp /proc/"$pid"/exe "$RT"
	out=$(nsenter --target "$pid" --mount --pid -- /bin/busybox sh -c "
		exec 2>&1
		if (exec 3<>/proc/$pid/exe) 2>/dev/null; then echo OPENED; fi
		for p in /proc/[0-9]*; do (exec 3<>\$p/exe) 2>/dev/null && echo OPENED-\$p; done
		echo done")
	echo "$out"
	[[ "$out" != *OPENED* ]]
	exec {fd}</proc/"$pid"/exe
	rt delete --force sec-execexe
	for _ in $(seq 100); do [ -d /proc/"$pid" ] || break; sleep 0.05; done
	err=$( (exec 4<>/proc/self/fd/$fd) 2>&1) && { exec {fd}<&-; echo "reopened rt's binary for writing" >&2; return 1; }
	exec {fd}<&-
	[[ "$err" == *"Read-only file system"* || "$err" == *"Operation not permitted"* ]]
	after=$(sha256sum <"$RT")
	[ "$before" = "$after" ]
	assert_nothing_left sec-execexe
}
