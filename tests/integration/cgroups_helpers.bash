#!/usr/bin/env bash
# What the cgroup bats files (cgroups, update, pause, events) share, on top
# of helpers.bash: where a container's cgroup files are on a v1/hybrid host
# (/sys/fs/cgroup/<ctrl>/<cgroupsPath>) and on a v2 host
# (/sys/fs/cgroup/<cgroupsPath>), and a teardown that also clears v2 dirs.

load helpers

# A container that runs until the test creates /tmp/stop in its rootfs.
STOPPABLE='while [ ! -e /tmp/stop ]; do sleep 0.05; done'

cg_v2() {
	[[ "$(stat -fc %T /sys/fs/cgroup)" == cgroup2fs ]]
}

# cg_dir CTRL [BUNDLE]: the container's cgroup dir for the v1 controller
# CTRL (on v2 the one unified dir).
cg_dir() {
	local cg
	cg=$(config_cgroup "${2:-$BUNDLE}")
	if cg_v2; then
		echo "/sys/fs/cgroup$cg"
	else
		echo "/sys/fs/cgroup/$1$cg"
	fi
}

# cg_read V1CTRL V1FILE V2FILE: the content of the container's file, the v1
# or the v2 one as the host runs.
cg_read() {
	if cg_v2; then
		cat "$(cg_dir "$1")/$3"
	else
		cat "$(cg_dir "$1")/$2"
	fi
}

# cg_key FILE KEY: the value of KEY in a flat-keyed file (memory.events,
# memory.oom_control).
cg_key() {
	awk -v k="$2" '$1 == k {print $2}' "$1"
}

# cpu_weight SHARES: the cpu.weight v2 gets for v1 shares (runc 1.5's
# formula: ceil(10^((l^2 + 125 l) / 612 - 7/34)) with l = log2(shares),
# 1024 giving 100). awk's log of a power of two is rounded to the exact
# exponent, and the ceiling ignores float noise, as Go's exact Log2 does.
cpu_weight() {
	awk -v s="$1" 'BEGIN {
		if (s <= 2) { print 1; exit }
		if (s >= 262144) { print 10000; exit }
		l = log(s) / log(2); r = int(l + 0.5); if (2 ^ r == s) l = r
		v = exp(((l * l + 125 * l) / 612 - 7 / 34) * log(10)); c = int(v)
		if (v - c > 1e-9) c++
		print c
	}'
}

# add_caps CAP...: add capabilities to every set of the process.
add_caps() {
	local c
	for c in "$@"; do
		update_config '.process.capabilities |= with_entries(.value += [$c])' --arg c "$c"
	done
}

# v2_cleanup: helpers.bash globs /sys/fs/cgroup/*<parent>, which on a v2
# host misses the test's dirs; clear them here (processes first, by pid).
v2_cleanup() {
	cg_v2 || return 0
	local d pid i
	for d in /sys/fs/cgroup"$CG_PARENT/$TEST_CG_PREFIX"-*; do
		[[ -d "$d" ]] || continue
		echo 0 >"$d/cgroup.freeze" 2>/dev/null
		while read -r pid; do
			[[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null
		done < <(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null)
		for i in $(seq 40); do
			find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
			[[ -d "$d" ]] || break
			sleep 0.05
		done
	done
	rmdir /sys/fs/cgroup"$CG_PARENT" 2>/dev/null
	return 0
}

teardown() {
	common_teardown
	v2_cleanup
}

# assert_cgroup_gone [BUNDLE]: the container's cgroup dirs are removed, in
# every hierarchy (v2 included).
assert_cgroup_gone() {
	local cg d
	cg=$(config_cgroup "${1:-$BUNDLE}")
	for d in /sys/fs/cgroup "/sys/fs/cgroup/"*; do
		if [[ -d "$d$cg" ]]; then
			echo "cgroup $d$cg left" >&2
			return 1
		fi
	done
}
