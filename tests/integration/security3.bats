#!/usr/bin/env bats
# Hostile images, volumes and callers, third part (issue 16): what the init
# reads from the container, what rt exec inherits from the container's
# config and from its caller, /proc and /sys destinations, nodes, sockets
# and files rt makes or changes by path. Each test sets the attack up for
# real and checks the effect from the host.

load helpers

setup() {
	common_setup
	OUT="$BATS_TEST_TMPDIR/host-target"
	mkdir -p "$OUT"
	echo host-original >"$OUT/victim"
	chmod 0600 "$OUT/victim"
}

# cap_field PID FIELD: CapBnd, CapEff ... of PID, from the host's procfs.
cap_field() {
	awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"
}

@test "security3: a fake /proc/sys/kernel/cap_last_cap in the image leaves no capability in the bounding set" {
	make_bundle
	# Control: the same config with the real procfs at /proc.
	make_bundle "$BATS_TEST_TMPDIR/control"
	set_args -b "$BATS_TEST_TMPDIR/control" sleep 100
	create_container sec-caplast-control "$BATS_TEST_TMPDIR/control"
	local want got pid
	pid=$(container_pid sec-caplast-control)
	want=$(cap_field "$pid" CapBnd)
	# The image brings /proc/sys/kernel/cap_last_cap saying 5 and the
	# config mounts no procfs over it.
	update_config '.mounts = [.mounts[] | select(.destination != "/proc")]
		| .linux.maskedPaths = [] | .linux.readonlyPaths = []'
	mkdir -p "$BUNDLE/rootfs/proc/sys/kernel"
	echo 5 >"$BUNDLE/rootfs/proc/sys/kernel/cap_last_cap"
	set_args sleep 100
	create_container sec-caplast
	pid=$(container_pid sec-caplast)
	got=$(cap_field "$pid" CapBnd)
	echo "bounding: control $want, fake cap_last_cap $got"
	[ -n "$want" ]
	[ "$got" = "$want" ]
}

# exec_process_file: a process.json printing the capability and rlimit
# lines of its /proc/self, with no capabilities or rlimits of its own.
exec_process_file() {
	cat >"$BATS_TEST_TMPDIR/process.json" <<-'J'
		{"args": ["sh", "-c", "grep -E '^(Cap|NoNewPrivs)' /proc/self/status; grep -E '^Max (open files|processes)' /proc/self/limits"],
		 "cwd": "/", "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}}
	J
}

@test "security3: rt exec --process without capabilities gets the container's, not every capability" {
	make_bundle
	update_config '.process.noNewPrivileges = true'
	set_args sleep 100
	run_detached sec-execcaps
	local pid
	pid=$(container_pid sec-execcaps)
	exec_process_file
	run rt exec --process "$BATS_TEST_TMPDIR/process.json" sec-execcaps
	echo "$output"
	[ "$status" -eq 0 ]
	local f
	for f in CapBnd CapEff CapPrm CapInh CapAmb; do
		[[ "$output" == *"$f:	$(cap_field "$pid" "$f")"* ]] || { echo "$f differs from the init's: $(cap_field "$pid" "$f")" >&2; return 1; }
	done
	# And the flag form, which starts from the container's process.
	run rt exec sec-execcaps sh -c 'grep CapBnd /proc/self/status'
	[ "$status" -eq 0 ]
	[ "$output" = "CapBnd:	$(cap_field "$pid" CapBnd)" ]
}

@test "security3: rt exec --process without rlimits gets the container's, not the caller's" {
	# runc 1.5 leaves the caller's limits here (docs/ARCHITECTURE.md).
	requires_rt
	make_bundle
	update_config '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 777, hard: 777}, {type: "RLIMIT_NPROC", soft: 555, hard: 555}]'
	set_args sleep 100
	run_detached sec-execrl
	exec_process_file
	run bash -c 'ulimit -n 3000; ulimit -u 3001; "$@"' _ "$RT" --root "$RT_ROOT" exec --process "$BATS_TEST_TMPDIR/process.json" sec-execrl
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Max open files            777                  777"* ]]
	[[ "$output" == *"Max processes             555                  555"* ]]
	# A limit the file sets wins over the container's.
	jq '.rlimits = [{type: "RLIMIT_NOFILE", soft: 99, hard: 99}]' "$BATS_TEST_TMPDIR/process.json" >"$BATS_TEST_TMPDIR/p2.json"
	run rt exec --process "$BATS_TEST_TMPDIR/p2.json" sec-execrl
	[ "$status" -eq 0 ]
	[[ "$output" == *"Max open files            99                   99"* ]]
}

@test "security3: rt exec --cwd /proc/self/fd/N cannot reach a dir leaked by rt's caller (CVE-2024-21626)" {
	make_bundle
	set_args sleep 100
	run_detached sec-execcwd
	local n
	for n in 3 4 5 6 7 8 9 10; do
		# fd 7 of rt's caller is a host directory without close-on-exec.
		run --separate-stderr rt exec --cwd "/proc/self/fd/$n" sec-execcwd sh -c 'pwd; cat victim ../victim ../../victim 2>/dev/null; true' 7<"$OUT"
		echo "fd $n: status $status, stdout: $output, stderr: $stderr"
		if [ "$status" -eq 0 ]; then
			[[ "$output" != *host-original* ]] || { echo "fd $n: host file read" >&2; return 1; }
		fi
	done
	# A symlink of the image to the same magic link: not followed either.
	ln -s /proc/self/fd/7 "$BUNDLE/rootfs/cwdlink"
	run --separate-stderr rt exec --cwd /cwdlink sec-execcwd sh -c 'cat victim 2>/dev/null; true' 7<"$OUT"
	echo "link: status $status, stdout: $output, stderr: $stderr"
	[[ "$output" != *host-original* ]]
	# The exec'd process holds none of the caller's fds.
	run rt exec sec-execcwd sh -c 'ls /proc/self/fd | tr "\n" " "' 7<"$OUT" 9<"$OUT/victim"
	[ "$status" -eq 0 ]
	[ "$output" = "0 1 2 3 " ]
}

@test "security3: no fd of rt's caller reaches the init or a hook at any moment of create" {
	make_bundle
	set_args sleep 100
	# A createRuntime hook runs while the init waits half set up: it looks
	# at the init's fds and its own.
	cat >"$BATS_TEST_TMPDIR/hook.sh" <<-'EOF2'
		#!/bin/bash
		pid=$(jq -r .pid)
		for f in /proc/"$pid"/fd/* /proc/self/fd/*; do readlink "$f" || true; done >>"$1"
	EOF2
	chmod +x "$BATS_TEST_TMPDIR/hook.sh"
	update_config '.hooks.createRuntime = [{path: $p, args: ["hook.sh", $o]}]' \
		--arg p "$BATS_TEST_TMPDIR/hook.sh" --arg o "$BATS_TEST_TMPDIR/seen"
	create_container sec-fdcreate "$BUNDLE" 5<"$OUT/victim" 7<"$OUT" 9>"$OUT/written" || { cat "$BATS_TEST_TMPDIR/sec-fdcreate.err"; return 1; }
	local pid f
	pid=$(container_pid sec-fdcreate)
	# And once create is done, waiting for start.
	for f in /proc/"$pid"/fd/*; do readlink "$f"; done >>"$BATS_TEST_TMPDIR/seen"
	cat "$BATS_TEST_TMPDIR/seen"
	[ -s "$BATS_TEST_TMPDIR/seen" ]
	if grep -F "$OUT" "$BATS_TEST_TMPDIR/seen"; then
		echo "a caller's fd reached the init or the hook" >&2
		return 1
	fi
}

# refused_with MSG: the last `run --separate-stderr` failed with MSG, left nothing.
refused_with() {
	echo "status $status, stdout: $output, stderr: $stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"$1"* ]]
}

@test "security3: a symlinked /proc or /sys in the image is refused (must be mounted on ordinary directory)" {
	make_bundle
	set_args true
	local d
	for d in proc sys; do
		rm -rf "$BUNDLE/rootfs/proc" "$BUNDLE/rootfs/sys"
		mkdir "$BUNDLE/rootfs/proc" "$BUNDLE/rootfs/sys"
		rmdir "$BUNDLE/rootfs/$d"
		ln -s /tmp "$BUNDLE/rootfs/$d"
		run --separate-stderr rt run --bundle "$BUNDLE" "sec-link-$d"
		local fs=proc
		[ "$d" = sys ] && fs=sysfs
		refused_with "must be mounted on ordinary directory"
		[[ "$stderr" == *"$fs"* ]]
		assert_nothing_left "sec-link-$d"
	done
	# A proc mount at an image symlink elsewhere: the same.
	rm "$BUNDLE/rootfs/sys" && mkdir "$BUNDLE/rootfs/sys"
	ln -s /proc "$BUNDLE/rootfs/data"
	update_config '.mounts += [{destination: "/data", type: "proc", source: "proc"}]'
	run --separate-stderr rt run --bundle "$BUNDLE" sec-link-data
	refused_with "must be mounted on ordinary directory"
	assert_nothing_left sec-link-data
}

@test "security3: a mount landing on /proc through an image symlink, or inside /proc, is refused" {
	make_bundle
	set_args cat /proc/sys/kernel/cap_last_cap
	mkdir "$BUNDLE/vol"
	# A volume bound at /data, which the image makes a link to /proc.
	ln -s /proc "$BUNDLE/rootfs/data"
	update_config '.mounts += [{destination: "/data", type: "bind", source: $s, options: ["rbind"]}]' --arg s "$BUNDLE/vol"
	run --separate-stderr rt run --bundle "$BUNDLE" sec-procvol
	refused_with "cannot be mounted because it is not of type proc"
	assert_nothing_left sec-procvol
	# A file bound over a procfs file (a fake cap_last_cap), directly and
	# through the link.
	echo 5 >"$BUNDLE/five"
	local dest
	for dest in /proc/sys/kernel/cap_last_cap /data/sys/kernel/cap_last_cap; do
		update_config '.mounts = [.mounts[] | select(.destination != "/data")]
			| .mounts += [{destination: $d, type: "bind", source: $s, options: ["bind"]}]' --arg d "$dest" --arg s "$BUNDLE/five"
		run --separate-stderr rt run --bundle "$BUNDLE" sec-procfile
		refused_with "cannot be mounted because it is inside /proc"
		assert_nothing_left sec-procfile
		update_config '.mounts = [.mounts[] | select(.destination != $d)]' --arg d "$dest"
	done
	# A tmpfs over /proc itself.
	update_config '.mounts += [{destination: "/proc", type: "tmpfs", source: "tmpfs"}]'
	run --separate-stderr rt run --bundle "$BUNDLE" sec-proctmpfs
	refused_with "cannot be mounted because it is not of type proc"
	assert_nothing_left sec-proctmpfs
}

@test "security3: the known-safe /proc sub-mounts (lxcfs style) are still allowed, also through a link" {
	make_bundle
	echo fake-uptime >"$BUNDLE/uptime"
	ln -s /proc "$BUNDLE/rootfs/data"
	update_config '.mounts += [{destination: "/proc/uptime", type: "bind", source: $s, options: ["bind", "ro"]},
		{destination: "/data/meminfo", type: "bind", source: $s, options: ["bind"]}]' --arg s "$BUNDLE/uptime"
	set_args sh -c 'cat /proc/uptime /proc/meminfo'
	run --separate-stderr rt run --bundle "$BUNDLE" sec-procsafe
	echo "status $status, stdout: $output, stderr: $stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "fake-uptime
fake-uptime" ]
	assert_nothing_left sec-procsafe
}

@test "security3: a /dev node swapped for a symlink to a host file while rt makes it: the host file keeps its mode" {
	make_bundle
	# The image's own /dev, which a racer (another container sharing the
	# volume) can reach: it keeps replacing /dev/zero and /dev/full with
	# links to the host's victim.
	update_config '.mounts = [.mounts[] | select(.destination != "/dev")]'
	set_args true
	local dev="$BUNDLE/rootfs/dev" i racer mode
	perl -e 'my ($d, $t, $stop) = @ARGV; my $n = 0;
		until (-e $stop) { for my $f ("zero", "full") { symlink($t, "$d/.r$n"); rename("$d/.r$n", "$d/$f"); $n++ } }' \
		"$dev" "$OUT/victim" "$BATS_TEST_TMPDIR/stop" &
	racer=$!
	for i in $(seq 30); do
		rt run --bundle "$BUNDLE" "sec-devrace-$i" </dev/null >/dev/null 2>&1 || true
		rt delete -f "sec-devrace-$i" >/dev/null 2>&1 || true
		mode=$(stat -c %a "$OUT/victim")
		[ "$mode" = 600 ] || break
	done
	touch "$BATS_TEST_TMPDIR/stop"
	wait "$racer" || true
	echo "after $i runs: victim mode $mode, owner $(stat -c %u:%g "$OUT/victim")"
	[ "$mode" = 600 ]
	[ "$(stat -c %u:%g "$OUT/victim")" = 0:0 ]
	[ "$(cat "$OUT/victim")" = host-original ]
}

@test "security3: --pid-file does not follow a planted symlink at its temp name" {
	make_bundle
	set_args sleep 100
	local dir="$BATS_TEST_TMPDIR/piddir" name
	mkdir "$dir"
	# The temp names rt used and runc uses, planted as links to a host file.
	for name in .pidfile.tmp .pidfile; do
		ln -s "$OUT/victim" "$dir/$name"
	done
	create_container sec-pidfile "$BUNDLE" --pid-file "$dir/pidfile" || true
	cat "$BATS_TEST_TMPDIR/sec-pidfile.err"
	[ "$(cat "$OUT/victim")" = host-original ]
	[ "$(stat -c %a "$OUT/victim")" = 600 ]
	# Creating is fine only with the pid in the file itself, a regular file.
	if [ -e "$RT_ROOT/sec-pidfile" ] || rt state sec-pidfile >/dev/null 2>&1; then
		[ -f "$dir/pidfile" ] && [ ! -L "$dir/pidfile" ]
		[ "$(cat "$dir/pidfile")" = "$(container_pid sec-pidfile)" ]
	fi
}

@test "security3: NOTIFY_SOCKET: the container cannot write into rt's state dir through the notify mount" {
	requires_rt
	make_bundle
	local sdnotify="$BATS_TEST_TMPDIR/sdnotify" sock="$BATS_TEST_TMPDIR/host-notify.sock" recv
	CGO_ENABLED=0 go build -o "$sdnotify" "$BATS_TEST_DIRNAME/testdata/sdnotify"
	cp "$sdnotify" "$BUNDLE/rootfs/bin/sdnotify"
	# As the container's root: plant a file, a link, remove the socket.
	set_args sh -c 'd=$(dirname "$NOTIFY_SOCKET"); touch "$d/planted" 2>/tmp/touch.err; ln -s /etc "$d/link" 2>>/tmp/touch.err;
		rm -f "$NOTIFY_SOCKET" 2>>/tmp/touch.err; sdnotify send READY=1; sleep 100'
	"$sdnotify" recv "$sock" >"$BATS_TEST_TMPDIR/received" &
	recv=$!
	remember_pid "$recv"
	wait_for_file "$sock"
	NOTIFY_SOCKET="$sock" rt create --bundle "$BUNDLE" sec-notify </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1
	NOTIFY_SOCKET="$sock" timeout 10 "$RT" --root "$RT_ROOT" start sec-notify
	wait "$recv"
	cat "$BUNDLE/rootfs/tmp/touch.err"
	grep -qx 'READY=1' "$BATS_TEST_TMPDIR/received"
	[ ! -e "$RT_ROOT/sec-notify/notify/planted" ]
	[ ! -L "$RT_ROOT/sec-notify/notify/link" ]
	[ -S "$RT_ROOT/sec-notify/notify/notify.sock" ]
	grep -q 'Read-only file system' "$BUNDLE/rootfs/tmp/touch.err"
	# Any user of the container may send (made 0777 at bind, no chmod by path).
	[ "$(stat -c %a "$RT_ROOT/sec-notify/notify/notify.sock")" = 777 ]
}

@test "security3: a ro bind in a shared volume stays read-only while a racer swaps its destination for a symlink" {
	make_bundle
	local vol="$BATS_TEST_TMPDIR/vol" i racer bad=
	mkdir -p "$vol/secret" "$BUNDLE/secret-src"
	echo s >"$BUNDLE/secret-src/s"
	ln -s / "$vol/swap"
	# /vol is a volume another container shares: it swaps /vol/secret (the
	# ro bind's destination) with a link to / (renameat2 RENAME_EXCHANGE).
	update_config '.mounts += [{destination: "/vol", type: "bind", source: $v, options: ["rbind"]},
		{destination: "/vol/secret", type: "bind", source: $s, options: ["bind", "ro"]}]' \
		--arg v "$vol" --arg s "$BUNDLE/secret-src"
	# Every mount of secret-src in the container must be read-only.
	set_args sh -c 'awk "\$4 ~ /secret-src\$/ {print \$6}" /proc/self/mountinfo'
	perl -e 'my ($d, $stop) = @ARGV; chdir $d or die;
		my ($a, $b) = ("secret", "swap"); until (-e $stop) { syscall(316, -100, $a, -100, $b, 2) }' "$vol" "$BATS_TEST_TMPDIR/stop" &
	racer=$!
	for i in $(seq 40); do
		run rt run --bundle "$BUNDLE" "sec-bindrace-$i"
		echo "run $i: $status $output" >>"$BATS_TEST_TMPDIR/runs"
		rt delete -f "sec-bindrace-$i" >/dev/null 2>&1 || true
		if [ "$status" -eq 0 ] && [[ "$output" != ro* || "$output" == *rw* ]]; then
			bad="run $i: $output"
			break
		fi
	done
	touch "$BATS_TEST_TMPDIR/stop"
	wait "$racer" || true
	sort "$BATS_TEST_TMPDIR/runs" | cut -c1-150
	echo "after $i runs: ${bad:-every run read-only or refused}"
	[ -z "$bad" ]
}
