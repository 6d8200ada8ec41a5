#!/bin/bash
# The -hook of the CRI client (cri/main.go) in tests/e2e/systemd.bats: what
# containerd's CRI plugin with SystemdCgroup = true made through the runtime,
# checked from systemd's side and from the cgroup files (cgroup v2).
#
#   cri-systemd-hook.sh running CONTAINER-ID POD-ID
#   cri-systemd-hook.sh updated CONTAINER-ID POD-ID
#   cri-systemd-hook.sh removed CONTAINER-ID POD-ID
#   cri-systemd-hook.sh pod-removed POD-ID
#
# From the environment: HOOK_SLICE (the pod's cgroup_parent, a slice),
# HOOK_MEMORY (bytes), HOOK_MEMORY_UPDATED (bytes, after the update), HOOK_CPU_MAX ("quota period"), HOOK_CPU_PER_SEC
# (systemd's CPUQuotaPerSecUSec for it), HOOK_PIDS. One ok/FAIL line a
# check; the exit status is 1 when one failed.
set -u
failed=0
ok() { echo "ok $*"; }
bad() {
	echo "FAIL $*"
	failed=1
}
# check WHAT GOT WANT
check() {
	if [ "$2" = "$3" ]; then ok "$1: $2"; else bad "$1: got '$2', want '$3'"; fi
}
prop() { systemctl show -P "$2" "$1" 2>&1; }

# slice_path NAME: the cgroup of slice NAME, nested at each "-" as systemd
# does (a-b-c.slice is /a.slice/a-b.slice/a-b-c.slice).
slice_path() {
	local base=${1%.slice} p="" acc="" part
	local IFS=-
	for part in $base; do
		acc=${acc:+$acc-}$part
		p="$p/$acc.slice"
	done
	echo "$p"
}

# gone UNIT: no such unit is loaded (not even failed) and its cgroup is gone.
# systemd unloads a stopped unit from its GC queue, after the stop job the
# runtime waited for has finished; under TCG that can take a moment, so
# wait up to 10 s for it (a unit left behind stays and fails the check).
gone() {
	local u=$1 dir i state
	dir=/sys/fs/cgroup$(slice_path "$HOOK_SLICE")/$u
	for ((i = 0; i < 100; i++)); do
		state=$(prop "$u" LoadState)
		[ "$state" = not-found ] && [ ! -e "$dir" ] && break
		sleep 0.1
	done
	[ "$state" = not-found ] || echo "# $u after $((i / 10)) s: $(systemctl show -p ActiveState -p SubState -p Result "$u" 2>&1 | tr '\n' ' ')"
	check "$u LoadState" "$state" not-found
	if [ -e "$dir" ]; then bad "$dir is still there"; else ok "no cgroup $dir"; fi
}

# scope ID: checks of the scope of container (or sandbox) ID; sets DIR.
scope() {
	local u=cri-containerd-$1.scope
	DIR=/sys/fs/cgroup$(slice_path "$HOOK_SLICE")/$u
	check "$u ActiveState" "$(prop "$u" ActiveState)" active
	check "$u Slice" "$(prop "$u" Slice)" "$HOOK_SLICE"
	check "$u Delegate" "$(prop "$u" Delegate)" yes
	check "$u ControlGroup" "$(prop "$u" ControlGroup)" "${DIR#/sys/fs/cgroup}"
	local pid
	pid=$(head -n1 "$DIR/cgroup.procs" 2>/dev/null)
	if [ -n "$pid" ]; then
		check "$u: its process's cgroup" "$(cat "/proc/$pid/cgroup")" "0::${DIR#/sys/fs/cgroup}"
	else
		bad "$u: no process in $DIR/cgroup.procs"
	fi
}

case ${1:-} in
running)
	scope "$3"
	ok "sandbox scope in the pod's slice"
	scope "$2"
	u=cri-containerd-$2.scope
	check "$u MemoryMax" "$(prop "$u" MemoryMax)" "$HOOK_MEMORY"
	check "$u CPUQuotaPerSecUSec" "$(prop "$u" CPUQuotaPerSecUSec)" "$HOOK_CPU_PER_SEC"
	check "$u TasksMax" "$(prop "$u" TasksMax)" "$HOOK_PIDS"
	check "$DIR/memory.max" "$(cat "$DIR/memory.max")" "$HOOK_MEMORY"
	check "$DIR/cpu.max" "$(cat "$DIR/cpu.max")" "$HOOK_CPU_MAX"
	check "$DIR/pids.max" "$(cat "$DIR/pids.max")" "$HOOK_PIDS"
	;;
updated)
	# The update reached systemd (SetUnitProperties) and the cgroup file,
	# and left the other limits as they were.
	u=cri-containerd-$2.scope
	DIR=/sys/fs/cgroup$(slice_path "$HOOK_SLICE")/$u
	check "$u MemoryMax" "$(prop "$u" MemoryMax)" "$HOOK_MEMORY_UPDATED"
	check "$DIR/memory.max" "$(cat "$DIR/memory.max")" "$HOOK_MEMORY_UPDATED"
	check "$u TasksMax" "$(prop "$u" TasksMax)" "$HOOK_PIDS"
	check "$DIR/cpu.max" "$(cat "$DIR/cpu.max")" "$HOOK_CPU_MAX"
	;;
removed)
	gone "cri-containerd-$2.scope"
	;;
pod-removed)
	gone "cri-containerd-$2.scope"
	;;
*)
	echo "usage: $0 running|updated|removed|pod-removed ID..." >&2
	exit 2
	;;
esac
exit $failed
