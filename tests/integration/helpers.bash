#!/usr/bin/env bash
# Shared helpers for rt's bats integration suite.
#
# The suite runs against any runc-compatible binary:
#   bats tests/integration                      # the rt built by `make` ($REPO/rt)
#   RT=/usr/sbin/runc bats tests/integration    # hold the tests themselves to runc
# Tests that check rt-only behaviour call requires_rt first.
#
# Every test gets its own --root ($RT_ROOT), its own bundle ($BUNDLE) holding a
# copy of a busybox-static rootfs built once per run, and cgroups under
# /rt-test-<suite pid>/ in every hierarchy. teardown removes all of it, even
# when the test failed.

bats_require_minimum_version 1.5.0

REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
RT="${RT:-$REPO/rt}"
CG_PARENT="/rt-test-${BATS_ROOT_PID}"
ROOTFS_CACHE="$BATS_RUN_TMPDIR/rootfs-cache"

# is_rt is true when $RT is rt itself rather than another runtime.
# RT_IS_RT=1 or 0 overrides the guess from the binary's name.
is_rt() {
	if [[ -n "${RT_IS_RT:-}" ]]; then
		[[ "$RT_IS_RT" == 1 ]]
		return
	fi
	[[ "$(basename "$RT")" == rt ]]
}

requires_rt() {
	is_rt || skip "rt-only behaviour; $RT is not rt"
}

rt() {
	"$RT" --root "$RT_ROOT" "$@"
}

# ensure_rootfs builds the busybox-static rootfs once per bats run; parallel
# test files serialise on a lock file.
ensure_rootfs() {
	[[ -e "$ROOTFS_CACHE/.done" ]] && return 0
	(
		flock 9
		[[ -e "$ROOTFS_CACHE/.done" ]] && exit 0
		rm -rf "$ROOTFS_CACHE"
		mkdir -p "$ROOTFS_CACHE"/{bin,proc,sys,dev,tmp,etc,root,home/user}
		cp /bin/busybox "$ROOTFS_CACHE/bin/busybox"
		local applet
		for applet in $(/bin/busybox --list); do
			# "busybox" itself is in the list: linking it would replace the binary.
			[[ "$applet" == busybox ]] && continue
			ln -s busybox "$ROOTFS_CACHE/bin/$applet"
		done
		chmod 1777 "$ROOTFS_CACHE/tmp"
		chown 1000:1000 "$ROOTFS_CACHE/home/user"
		cat >"$ROOTFS_CACHE/etc/passwd" <<-'EOF'
			root:x:0:0:root:/root:/bin/sh
			user:x:1000:1000:user:/home/user:/bin/sh
			nobody:x:65534:65534:nobody:/nonexistent:/bin/false
		EOF
		cat >"$ROOTFS_CACHE/etc/group" <<-'EOF'
			root:x:0:
			user:x:1000:
			extra:x:2000:user
			nogroup:x:65534:
		EOF
		touch "$ROOTFS_CACHE/.done"
	) 9>"$BATS_RUN_TMPDIR/rootfs.lock"
}

# build_recvtty: $RECVTTY, a prebuilt one when set, else built from the
# tree once per test file (call it from setup_file).
build_recvtty() {
	# The VM guest has no Go: make vm-test-criu builds it into .build first.
	if [[ -z "${RECVTTY:-}" && -n "${RT_VM:-}" && -x "$REPO/.build/recvtty" ]]; then
		RECVTTY="$REPO/.build/recvtty"
	fi
	if [[ -z "${RECVTTY:-}" ]]; then
		RECVTTY="$BATS_FILE_TMPDIR/recvtty"
		local go=go
		command -v go >/dev/null || go=/usr/local/go/bin/go
		(cd "$REPO" && CGO_ENABLED=0 "$go" build -o "$RECVTTY" ./contrib/cmd/recvtty)
	fi
	export RECVTTY
}

# build_sysprobe: $SYSPROBE, testdata/sysprobe (raw syscalls by number,
# prints the kernel's answers) built static once per test file (call it
# from setup_file).
build_sysprobe() {
	SYSPROBE="$BATS_FILE_TMPDIR/sysprobe"
	local go=go
	command -v go >/dev/null || go=/usr/local/go/bin/go
	(cd "$REPO" && CGO_ENABLED=0 "$go" build -o "$SYSPROBE" ./tests/integration/testdata/sysprobe)
	export SYSPROBE
}

# syscalls_up_to MAX [EXCEPT]: JSON array of the x86_64 syscall names
# numbered 0..MAX but EXCEPT, from linux-libc-dev's unistd_64.h.
UNISTD_64=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
syscalls_up_to() {
	[[ -r "$UNISTD_64" ]] || { echo "no $UNISTD_64: make test-deps installs linux-libc-dev" >&2; return 1; }
	awk -v max="$1" -v except="${2:-}" '$1 == "#define" && $2 ~ /^__NR_/ && $3 ~ /^[0-9]+$/ && $3 <= max {
		name = substr($2, 6); if (name != except) print name }' "$UNISTD_64" | jq -R . | jq -s -c .
}

# start_agent FLAGS...: contrib/cmd/seccomp-agent, built once per run, on
# $AGENT_SOCK; the file's teardown calls stop_agent.
start_agent() {
	AGENT="$BATS_RUN_TMPDIR/seccomp-agent"
	if [[ ! -x "$AGENT" ]]; then
		(cd "$REPO" && CGO_ENABLED=1 go build -o "$AGENT" ./contrib/cmd/seccomp-agent) || return 1
	fi
	AGENT_SOCK="$BATS_TEST_TMPDIR/agent.sock"
	"$AGENT" --socket "$AGENT_SOCK" "$@" </dev/null >"$BATS_TEST_TMPDIR/agent.log" 2>&1 &
	AGENT_PID=$!
	remember_pid "$AGENT_PID"
	wait_for_file "$AGENT_SOCK"
}

# stop_agent: ends and reaps the agent start_agent started, if any.
stop_agent() {
	if [[ -n "${AGENT_PID:-}" ]]; then
		kill "$AGENT_PID" 2>/dev/null
		wait "$AGENT_PID" 2>/dev/null
	fi
	AGENT_PID=
	return 0
}

common_setup() {
	ensure_rootfs
	RT_ROOT="$BATS_TEST_TMPDIR/rt-root"
	BUNDLE="$BATS_TEST_TMPDIR/bundle"
	# Unique over the whole run, readable in `ls /sys/fs/cgroup/memory/rt-test-*`.
	TEST_CG_PREFIX="$(basename "$BATS_TEST_FILENAME" .bats)-${BATS_SUITE_TEST_NUMBER}"
	mkdir -p "$RT_ROOT"
	: >"$BATS_TEST_TMPDIR/bundles"
	: >"$BATS_TEST_TMPDIR/pids"
	: >"$BATS_TEST_TMPDIR/cgroups"
}

setup() {
	common_setup
}

teardown() {
	common_teardown
}

# make_bundle [DIR]: a bundle with a fresh rootfs copy and the config that
# `$RT spec` writes, with terminal off, its own cgroupsPath and a writable
# root (the spec default is read-only; tests talk to the container through
# files in its rootfs).
make_bundle() {
	local dir="${1:-$BUNDLE}" n cg
	mkdir -p "$dir"
	cp -a "$ROOTFS_CACHE" "$dir/rootfs"
	rm -f "$dir/rootfs/.done"
	"$RT" spec --bundle "$dir"
	n=$(wc -l <"$BATS_TEST_TMPDIR/bundles")
	cg="$CG_PARENT/$TEST_CG_PREFIX-$n"
	echo "$dir" >>"$BATS_TEST_TMPDIR/bundles"
	echo "$cg $dir" >>"$BATS_TEST_TMPDIR/cgroups"
	update_config -b "$dir" '.process.terminal = false | .linux.cgroupsPath = $cg | .root.readonly = false' --arg cg "$cg"
}

# update_config [-b DIR] EXPR [jq args...]: edit DIR/config.json (default $BUNDLE).
update_config() {
	local dir="$BUNDLE"
	if [[ "$1" == -b ]]; then
		dir="$2"
		shift 2
	fi
	local expr="$1"
	shift
	jq "$expr" "$@" <"$dir/config.json" >"$dir/config.json.new"
	mv "$dir/config.json.new" "$dir/config.json"
}

# set_args [-b DIR] ARG...: process.args of the bundle.
set_args() {
	local b=()
	if [[ "$1" == -b ]]; then
		b=(-b "$2")
		shift 2
	fi
	update_config "${b[@]}" '.process.args = $a' --argjson a "$(json_array "$@")"
}

# json_array ARG...: the arguments as a JSON array of strings (any content,
# including leading dashes, which jq's own --args would take as options).
json_array() {
	local a out=()
	for a in "$@"; do
		out+=("$(jq -n --arg a "$a" '$a')")
	done
	local IFS=,
	echo "[${out[*]}]"
}

# add_namespace [-b DIR] TYPE [PATH]: add (or replace) one namespace entry.
add_namespace() {
	local b=()
	if [[ "$1" == -b ]]; then
		b=(-b "$2")
		shift 2
	fi
	local t="$1" p="${2:-}"
	if [[ -n "$p" ]]; then
		update_config "${b[@]}" '.linux.namespaces = ([.linux.namespaces[] | select(.type != $t)] + [{type: $t, path: $p}])' --arg t "$t" --arg p "$p"
	else
		update_config "${b[@]}" '.linux.namespaces = ([.linux.namespaces[] | select(.type != $t)] + [{type: $t}])' --arg t "$t"
	fi
}

# remove_namespace [-b DIR] TYPE
remove_namespace() {
	local b=()
	if [[ "$1" == -b ]]; then
		b=(-b "$2")
		shift 2
	fi
	update_config "${b[@]}" '.linux.namespaces = [.linux.namespaces[] | select(.type != $t)]' --arg t "$1"
}

# config_cgroup DIR: the cgroupsPath make_bundle gave DIR (read from what
# make_bundle recorded, so it works on a config.json a test broke).
config_cgroup() {
	local dir="${1:-$BUNDLE}" cg d
	while read -r cg d; do
		[[ "$d" == "$dir" ]] && echo "$cg"
	done <"$BATS_TEST_TMPDIR/cgroups"
	return 0
}

# run_detached ID [DIR] [extra run flags...]: `run -d` with stdio on files, so
# the container never holds bats' own pipes open.
run_detached() {
	local id="$1" dir="${2:-$BUNDLE}"
	shift 2 || shift $#
	rt run -d --bundle "$dir" "$@" "$id" </dev/null >"$BATS_TEST_TMPDIR/$id.out" 2>"$BATS_TEST_TMPDIR/$id.err"
}

# create_container ID [DIR] [extra create flags...]
create_container() {
	local id="$1" dir="${2:-$BUNDLE}"
	shift 2 || shift $#
	rt create --bundle "$dir" "$@" "$id" </dev/null >"$BATS_TEST_TMPDIR/$id.out" 2>"$BATS_TEST_TMPDIR/$id.err"
}

container_status() {
	rt state "$1" | jq -r .status
}

# container_pid ID: the init's host pid; remembered so teardown and
# assert_nothing_left can check that exact process (pid + start time).
container_pid() {
	local pid
	pid=$(rt state "$1" | jq -r .pid) || return 1
	remember_pid "$pid" "$1"
	echo "$pid"
}

proc_starttime() {
	# Field 22 of /proc/PID/stat, counted after the ")" that ends comm.
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat="${stat##*) }"
	awk '{print $20}' <<<"$stat"
}

# remember_pid PID [ID]: teardown kills PID if it is still the same process;
# assert_nothing_left ID checks it is gone (for any ID when none is given).
remember_pid() {
	local st
	st=$(proc_starttime "$1") || return 0
	echo "$1 $st ${2:-*}" >>"$BATS_TEST_TMPDIR/pids"
}

# pid_alive PID STARTTIME: the same process (not a reused pid) still exists
# and is not a zombie.
pid_alive() {
	local st state
	st=$(proc_starttime "$1") || return 1
	[[ "$st" == "$2" ]] || return 1
	state=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null)
	[[ -n "$state" && "$state" != Z && "$state" != X ]]
}

# poll_count: how many 50 ms polls a wait allows: ~5 s, ~20 s in the VM
# guest, which runs under software emulation.
poll_count() {
	if [[ -n "${RT_VM:-}" ]]; then echo 400; else echo 100; fi
}

# wait_for_status ID STATUS: poll up to ~5 s (~20 s in the VM).
wait_for_status() {
	local i
	for i in $(seq "$(poll_count)"); do
		[[ "$(container_status "$1" 2>/dev/null)" == "$2" ]] && return 0
		sleep 0.05
	done
	echo "container $1 did not reach status $2 (now: $(container_status "$1" 2>&1))" >&2
	return 1
}

# wait_for_file FILE: poll up to ~5 s for FILE to exist.
wait_for_file() {
	local i
	for i in $(seq "$(poll_count)"); do
		[[ -e "$1" ]] && return 0
		sleep 0.05
	done
	echo "$1 did not appear" >&2
	return 1
}

# test_cgroup_dirs: every cgroup dir this test's bundles name, in any hierarchy.
# cgroup_roots: the hierarchy roots a cgroup path lives under: each v1
# hierarchy (and the hybrid cgroup2), or /sys/fs/cgroup itself on v2.
cgroup_roots() {
	if [[ "$(stat -f -c %T /sys/fs/cgroup)" == cgroup2fs ]]; then
		echo /sys/fs/cgroup
	else
		local d
		for d in /sys/fs/cgroup/*; do
			[[ -d "$d" && ! -L "$d" ]] && echo "$d"
		done
	fi
}

test_cgroup_dirs() {
	local r d
	for r in $(cgroup_roots); do
		for d in "$r$CG_PARENT/$TEST_CG_PREFIX"-*; do
			[[ -d "$d" ]] && echo "$d"
		done
	done
	return 0
}

# bundle_rootfs_pids [DIR...]: processes whose root directory is the rootfs
# of one of the given bundles (default: all of this test's), matched by
# device and inode, which also catches pivoted containers whose
# /proc/PID/root reads "/", or whose root path lies inside such a bundle.
bundle_rootfs_pids() {
	local b r dir root ids=() bundles=("$@")
	[[ $# -gt 0 ]] || mapfile -t bundles <"$BATS_TEST_TMPDIR/bundles"
	[[ ${#bundles[@]} -gt 0 ]] || return 0
	for b in "${bundles[@]}"; do
		[[ -n "$b" ]] || continue
		r=$(jq -r '.root.path // "rootfs"' "$b/config.json" 2>/dev/null) || r=rootfs
		[[ "$r" == /* ]] || r="$b/$r"
		r=$(stat -c '%d:%i' "$r" 2>/dev/null) && ids+=("$r")
	done
	while read -r dir root; do
		for r in "${ids[@]}"; do
			[[ "$root" == "$r" ]] && echo "${dir#/proc/}" && continue 2
		done
	done < <(find -L /proc -mindepth 2 -maxdepth 2 -path '/proc/[0-9]*/root' -printf '%h %D:%i\n' 2>/dev/null)
	while read -r dir root; do
		for b in "${bundles[@]}"; do
			if [[ -n "$b" && ( "$root" == "$b" || "$root" == "$b"/* ) ]]; then
				echo "${dir#/proc/}"
			fi
		done
	done < <(find /proc -mindepth 2 -maxdepth 2 -path '/proc/[0-9]*/root' -printf '%h %l\n' 2>/dev/null)
}

# kill_test_processes: SIGKILL what this test started and rt failed to clean
# up: remembered pids, processes in the test's cgroups, processes rooted in
# the test's bundles. Each one by pid.
kill_test_processes() {
	local pids=() pid st d i
	while read -r pid st _; do
		[[ -n "$pid" ]] && pid_alive "$pid" "$st" && pids+=("$pid")
	done <"$BATS_TEST_TMPDIR/pids"
	for d in $(test_cgroup_dirs); do
		while read -r pid; do
			[[ -n "$pid" ]] && pids+=("$pid")
		done < <(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null)
	done
	while read -r pid; do
		[[ -n "$pid" ]] && pids+=("$pid")
	done < <(bundle_rootfs_pids)
	[[ ${#pids[@]} -gt 0 ]] || return 0
	for pid in "${pids[@]}"; do
		[[ "$pid" != "$$" ]] && kill -9 "$pid" 2>/dev/null
	done
	for i in $(seq 40); do
		local left=0
		for pid in "${pids[@]}"; do
			[[ -d /proc/$pid ]] && [[ "$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null)" != Z ]] && left=1
		done
		[[ $left == 0 ]] && return 0
		sleep 0.05
	done
}

remove_test_cgroups() {
	local d i
	for d in $(test_cgroup_dirs); do
		# Leaf first; a cgroup whose last task just died may need a moment.
		for i in $(seq 20); do
			find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
			[[ -d "$d" ]] || break
			sleep 0.05
		done
	done
	# The per-run parent: only if no other test still uses it.
	for d in $(cgroup_roots); do
		[[ -d "$d$CG_PARENT" ]] && rmdir "$d$CG_PARENT" 2>/dev/null
	done
	return 0
}

# test_mounts: mount points under this test's tmpdir, newest first.
test_mounts() {
	awk -v p="$BATS_TEST_TMPDIR" '$5 == p || index($5, p "/") == 1 {print $5}' /proc/self/mountinfo | tac
}

unmount_test_mounts() {
	local m
	while read -r m; do
		[[ -n "$m" ]] && umount -l "$m" 2>/dev/null
	done < <(test_mounts)
	return 0
}

common_teardown() {
	local id
	if [[ -n "${RT_ROOT:-}" && -d "$RT_ROOT" ]]; then
		for id in $(rt list -q 2>/dev/null); do
			rt delete --force "$id" >/dev/null 2>&1
		done
		# In case list itself is broken: every state dir left.
		for id in "$RT_ROOT"/*; do
			[[ -d "$id" ]] && rt delete --force "$(basename "$id")" >/dev/null 2>&1
		done
	fi
	kill_test_processes
	remove_test_cgroups
	unmount_test_mounts
	if [[ -z "$(test_mounts)" ]]; then
		rm -rf --one-file-system "${BATS_TEST_TMPDIR:?}"/*
	else
		echo "teardown: mounts left under $BATS_TEST_TMPDIR, not removing it" >&2
	fi
	return 0
}

# assert_nothing_left ID [BUNDLE]: no state dir, no cgroup, no mount naming
# the bundle, no process rooted in the bundle or remembered for the test.
assert_nothing_left() {
	local id="$1" dir="${2:-$BUNDLE}" cg d pid st owner fail=0
	# An invalid id ("..", "a/b") names no state dir of its own; the test
	# checks the root is empty instead.
	if [[ "$id" != . && "$id" != .. && "$id" != */* && -e "$RT_ROOT/$id" ]]; then
		echo "state dir $RT_ROOT/$id left" >&2
		fail=1
	fi
	cg=$(config_cgroup "$dir")
	if [[ -n "$cg" ]]; then
		for d in $(cgroup_roots); do
			if [[ -d "$d$cg" ]]; then
				echo "cgroup $d$cg left" >&2
				fail=1
			fi
		done
	fi
	if grep -F -- "$dir" /proc/self/mountinfo >&2; then
		echo "mounts naming $dir left" >&2
		fail=1
	fi
	while read -r pid; do
		[[ -n "$pid" ]] || continue
		echo "process $pid rooted in the bundle left: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" >&2
		fail=1
	done < <(bundle_rootfs_pids "$dir")
	while read -r pid st owner; do
		[[ "$owner" == "$id" || "$owner" == "*" ]] || continue
		if [[ -n "$pid" ]] && pid_alive "$pid" "$st"; then
			echo "process $pid of $id still alive" >&2
			fail=1
		fi
	done <"$BATS_TEST_TMPDIR/pids"
	return $fail
}

# assert_one_error_line: after `run --separate-stderr`, the command failed
# and said so in exactly one line on stderr.
# log_msg LINE: the message of an error line as runc and rt print it on
# stderr without --log (logrus text: time="..." level=error msg="..."),
# with the quoting undone; LINE is returned as it is if it has no msg=.
log_msg() {
	local m=${1##*level=error msg=}
	if [[ "$m" == "$1" ]]; then
		printf '%s\n' "$1"
	elif [[ "$m" == \"* ]]; then
		jq -rn --arg s "$m" '$s | fromjson'
	else
		printf '%s\n' "$m"
	fi
}

assert_one_error_line() {
	if [[ "$status" -eq 0 ]]; then
		echo "expected failure, got status 0; stdout: $output; stderr: $stderr" >&2
		return 1
	fi
	if [[ "${#stderr_lines[@]}" -ne 1 ]]; then
		echo "expected one line on stderr, got ${#stderr_lines[@]}:" >&2
		printf '%s\n' "${stderr_lines[@]}" >&2
		return 1
	fi
}
