# Podman with --runtime pointing at the rt-podman wrapper (conmon calls it),
# its own root, runroot, tmpdir and config files under $E2E_TMP; vfs
# storage, cgroupfs, file events, no network.

PODMAN=()

# podman_conf DIR: storage.conf and containers.conf for a Podman whose
# root, runroot, tmpdir and event log are under DIR.
podman_conf() {
	local d="$1"
	cat >"$d/storage.conf" <<TOML
[storage]
driver = "vfs"
graphroot = "$d/root"
runroot = "$d/run"
TOML
	cat >"$d/containers.conf" <<TOML
[containers]
netns = "none"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$d/events.log"
tmp_dir = "$d/tmp"
volume_path = "$d/root/volumes"
static_dir = "$d/root/libpod"
TOML
}

podman_setup() {
	local d="$E2E_TMP/podman"
	mkdir -p "$d"/{root,run,tmp}
	podman_conf "$d"
	export CONTAINERS_CONF="$d/containers.conf" CONTAINERS_STORAGE_CONF="$d/storage.conf"
	PODMAN=(podman --root "$d/root" --runroot "$d/run" --tmpdir "$d/tmp" --storage-driver vfs
		--cgroup-manager cgroupfs --events-backend file --runtime "$(make_wrapper podman inject-log)")
}

# podman_cleanup: remove what is left (containers, then storage mounts).
podman_cleanup() {
	[ ${#PODMAN[@]} -gt 0 ] || return 0
	"${PODMAN[@]}" rm -a -f -t 0 >/dev/null 2>&1
	"${PODMAN[@]}" system reset -f >/dev/null 2>&1
	unset CONTAINERS_CONF CONTAINERS_STORAGE_CONF
	PODMAN=()
}

podman_tests() {
	podman_setup
	local img=localhost/rt-e2e/busybox:1 cg="/rt-e2e-podman-$E2E_ID"
	local run=(run --network none --cgroup-parent "$cg" --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
	if ! OUT=$(tar -C "$E2E_TMP/rootfs" -c . | "${PODMAN[@]}" import - "$img" 2>&1); then
		fail "podman import" "$OUT"
		return
	fi
	pass "podman $(podman --version | awk '{print $3}') import of the busybox rootfs"

	expect "run: output and exit code 5 come back" 5 '^hello-from-podman$' -- \
		"${PODMAN[@]}" "${run[@]}" --rm "$img" sh -c 'echo hello-from-podman; exit 5'
	local limit=$((40 << 20))
	expect "run -d with --memory" 0 "" -- \
		"${PODMAN[@]}" "${run[@]}" -d --name p-det --memory $limit "$img" sleep 600 || return
	expect "exec" 0 '^exec-ok$' -- "${PODMAN[@]}" exec p-det sh -c 'echo exec-ok'
	expect "exec exit code 4" 4 "" -- "${PODMAN[@]}" exec p-det sh -c 'exit 4'
	local pid got
	pid=$("${PODMAN[@]}" inspect --format '{{.State.Pid}}' p-det)
	got=$(cgroup_file "$pid" memory memory.limit_in_bytes 2>&1)
	if [ "$got" = "$limit" ]; then
		pass "memory limit $limit in the container's cgroup"
	else
		fail "memory limit in the container's cgroup" "pid $pid: memory.limit_in_bytes=$got, want $limit"
	fi
	expect "pids limit seen inside the container" 0 '^77$' -- \
		"${PODMAN[@]}" "${run[@]}" --rm --pids-limit 77 "$img" cat /sys/fs/cgroup/pids/pids.max
	expect "stop" 0 "" -- "${PODMAN[@]}" stop -t 1 p-det
	expect "rm" 0 "" -- "${PODMAN[@]}" rm p-det

	expect "run -t: a tty through conmon's console socket" 0 'is-a-tty' -- \
		"${PODMAN[@]}" "${run[@]}" --rm -t "$img" sh -c '[ -t 0 ] && [ -t 1 ] && tty && echo is-a-tty'
	if grep -q -- '--console-socket' "$E2E_TMP/argv/podman"; then
		pass "run -t passed --console-socket"
	else
		fail "run -t passed --console-socket" "$(cat "$E2E_TMP/argv/podman")"
	fi

	expect "run of a missing binary fails" 127 "" -- \
		"${PODMAN[@]}" "${run[@]}" --rm "$img" /no/such/binary
	check_error_shown "podman shows the runtime's error" "$OUT"
	"${PODMAN[@]}" rm -a -f -t 0 >/dev/null 2>&1
	remove_cgroups "rt-e2e-podman-$E2E_ID"
	record_argv podman
}

# Rootless Podman: a user made here (65536 subordinate ids) runs Podman,
# which maps its ids with newuidmap into its own user namespace and calls
# the runtime there as that namespace's root (rootless cgroup mode). The
# user, its subordinate ids, its processes and files go in
# podman_rootless_cleanup.
PODMAN_RL=()
PODMAN_RL_USER=""

podman_rootless_setup() {
	local d="$E2E_TMP/podman-rootless" f start
	PODMAN_RL_USER="rte2e$$"
	useradd -M -N -d "$d/home" -s /bin/sh "$PODMAN_RL_USER" || { PODMAN_RL_USER=""; return 1; }
	# useradd grants SUB_UID_COUNT ids where login.defs says so; else
	# a range past every one already granted.
	for f in subuid subgid; do
		if ! grep -q "^$PODMAN_RL_USER:" /etc/$f; then
			start=$(awk -F: 'BEGIN { m = 100000 } { e = $2 + $3; if (e > m) m = e } END { print m }' /etc/$f)
			usermod "--add-${f}s" "$start-$((start + 65535))" "$PODMAN_RL_USER" || return 1
		fi
	done
	# The user reaches its dir through the run's temp dir (not list it).
	chmod 711 "$E2E_TMP"
	mkdir -p "$d"/{home,xdg,root,run,tmp}
	chmod 755 "$d"
	chmod 700 "$d/xdg"
	podman_conf "$d"
	# The runtime as the user runs it: a copy in reach (the tree's own dir
	# may be root's alone), under the same name, behind make_wrapper's
	# argv log, written as the user.
	local w
	mkdir -m 755 "$d/bin"
	cp "$E2E_RUNTIME" "$d/bin/"
	w=$(E2E_RUNTIME="$d/bin/$(basename "$E2E_RUNTIME")" make_wrapper podman-rootless)
	: >"$E2E_TMP/argv/podman-rootless"
	chown -R "$PODMAN_RL_USER:" "$d" "$E2E_TMP/argv/podman-rootless"
	PODMAN_RL=(runuser -u "$PODMAN_RL_USER" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$d/home"
		USER="$PODMAN_RL_USER" XDG_RUNTIME_DIR="$d/xdg" CONTAINERS_CONF="$d/containers.conf"
		CONTAINERS_STORAGE_CONF="$d/storage.conf"
		podman --root "$d/root" --runroot "$d/run" --tmpdir "$d/tmp" --storage-driver vfs
		--cgroup-manager cgroupfs --events-backend file --runtime "$w")
}

podman_rootless_cleanup() {
	[ -n "$PODMAN_RL_USER" ] || return 0
	if [ ${#PODMAN_RL[@]} -gt 0 ]; then
		"${PODMAN_RL[@]}" rm -a -f -t 0 >/dev/null 2>&1
		"${PODMAN_RL[@]}" system reset -f >/dev/null 2>&1
	fi
	# Podman's pause process holds its user namespace open; its pid is on file.
	local d="$E2E_TMP/podman-rootless" f pid
	for f in "$d"/tmp/pause.pid "$d"/xdg/libpod/tmp/pause.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		[ "$(stat -c %U "/proc/$pid" 2>/dev/null)" = "$PODMAN_RL_USER" ] || continue
		kill -KILL "$pid"
		# userdel refuses a user that still has a process, a zombie too:
		# wait until its reaper took it.
		local i
		for i in $(seq 50); do
			[ -e "/proc/$pid" ] || break
			sleep 0.1
		done
	done
	rm -rf "$d"
	local sub
	for f in subuid subgid; do
		for sub in $(awk -F: -v u="$PODMAN_RL_USER" '$1 == u { print $2 "-" $2 + $3 - 1 }' /etc/$f); do
			usermod "--del-${f}s" "$sub" "$PODMAN_RL_USER" || echo "usermod --del-${f}s $sub failed" >&2
		done
	done
	userdel "$PODMAN_RL_USER" || echo "userdel $PODMAN_RL_USER failed" >&2
	PODMAN_RL=()
	PODMAN_RL_USER=""
}

podman_rootless_tests() {
	if ! command -v newuidmap >/dev/null; then
		fail "rootless: newuidmap (package uidmap) is missing"
		return
	fi
	podman_rootless_setup || { fail "rootless: test user set-up"; return; }
	local img=localhost/rt-e2e/busybox:1 uid
	uid=$(id -u "$PODMAN_RL_USER")
	local run=(run --network none)
	if ! OUT=$(tar -C "$E2E_TMP/rootfs" -c . | "${PODMAN_RL[@]}" import - "$img" 2>&1); then
		fail "rootless: podman import as the user" "$OUT"
		podman_rootless_cleanup
		return
	fi
	pass "rootless: podman import as the user"
	expect "rootless: run: output and exit code 5 come back" 5 '^hello-rootless$' -- \
		"${PODMAN_RL[@]}" "${run[@]}" --rm "$img" sh -c 'echo hello-rootless; exit 5'
	expect "rootless: the container's root is the user" 0 "^ *0 +$uid +1\$" -- \
		"${PODMAN_RL[@]}" "${run[@]}" --rm "$img" cat /proc/self/uid_map
	if expect "rootless: run -d" 0 "" -- "${PODMAN_RL[@]}" "${run[@]}" -d --name rl-det "$img" sleep 600; then
		local pid
		pid=$("${PODMAN_RL[@]}" inspect --format '{{.State.Pid}}' rl-det)
		if [ "$(stat -c %u "/proc/$pid" 2>/dev/null)" = "$uid" ]; then
			pass "rootless: the container's process is the user's on the host"
		else
			fail "rootless: the container's process is the user's on the host" "pid $pid: owner $(stat -c %u "/proc/$pid" 2>&1)"
		fi
		expect "rootless: exec" 0 '^exec-ok$' -- "${PODMAN_RL[@]}" exec rl-det sh -c 'echo exec-ok'
		expect "rootless: exec exit code 4" 4 "" -- "${PODMAN_RL[@]}" exec rl-det sh -c 'exit 4'
		expect "rootless: stop" 0 "" -- "${PODMAN_RL[@]}" stop -t 1 rl-det
		expect "rootless: rm" 0 "" -- "${PODMAN_RL[@]}" rm rl-det
	fi
	expect "rootless: run -t: a tty through conmon's console socket" 0 'is-a-tty' -- \
		"${PODMAN_RL[@]}" "${run[@]}" --rm -t "$img" sh -c '[ -t 0 ] && [ -t 1 ] && echo is-a-tty'
	expect "rootless: run of a missing binary fails with the runtime's words" 127 'no such file or directory' -- \
		"${PODMAN_RL[@]}" "${run[@]}" --rm "$img" /no/such/binary
	if grep -q '^create ' "$E2E_TMP/argv/podman-rootless"; then
		pass "rootless: Podman called the runtime"
	else
		fail "rootless: Podman called the runtime" "argv log: $(cat "$E2E_TMP/argv/podman-rootless")"
	fi
	record_argv podman-rootless
	podman_rootless_cleanup
}
