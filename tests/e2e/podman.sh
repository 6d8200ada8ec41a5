# Podman with --runtime pointing at the rt-podman wrapper (conmon calls it),
# its own root, runroot, tmpdir and config files under $E2E_TMP; vfs
# storage, cgroupfs, file events, no network.

PODMAN=()

podman_setup() {
	local d="$E2E_TMP/podman"
	mkdir -p "$d"/{root,run,tmp}
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
