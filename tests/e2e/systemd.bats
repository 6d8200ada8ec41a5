#!/usr/bin/env bats
# Engines on the systemd cgroup driver, end to end, in the systemd guest
# with cgroup v2 and the engines layer (containerd, Podman, conmon, dockerd
# and the busybox and pause images, made on the host as tests/e2e does):
#
#   tests/vm/run.sh --init systemd --engines -- tests/e2e/systemd.bats
#   tests/vm/run.sh --init systemd --engines --rt /tmp/ref/runc -- tests/e2e/systemd.bats
#
# containerd's CRI plugin with SystemdCgroup = true (the runc v2 shim,
# BinaryName the runtime), Podman with cgroup_manager = "systemd" and
# dockerd with native.cgroupdriver=systemd each run containers through
# $RT; the units systemd made, their properties and the cgroup files are
# read back, stop/remove must leave no unit and no cgroup, and a container
# that cannot start must show the runtime's message. Everything the engines make lives under one temp dir; the
# daemons are stopped by pid. Helpers are tests/e2e/lib.sh's.

bats_require_minimum_version 1.5.0

setup_file() {
	[ "${RT_VM_ENGINES:-}" = 1 ] || skip "needs tests/vm/run.sh --init systemd --engines"
	[ "${RT_VM_CGROUP:-}" = v2 ] || skip "the checks read cgroup v2 files"
}

setup() {
	E2E_SRC=$BATS_TEST_DIRNAME
	E2E_RUNTIME=$RT
	E2E_TMP=$(mktemp -d /tmp/rt-e2e.XXXXXX)
	E2E_LOGS=$E2E_TMP/logs
	E2E_ENGINE=$BATS_TEST_NAME
	E2E_PAUSE_REF=docker.io/rt-e2e/pause:1
	IMAGES=/opt/rt-e2e
	mkdir -p "$E2E_LOGS" "$E2E_TMP"/{bin,argv,errlogs,pids}
	# shellcheck source=lib.sh
	. "$E2E_SRC/lib.sh"
	. "$E2E_SRC/containerd.sh"
	PODMAN=()
	DOCKER=()
}

teardown() {
	local pid cg
	if [ ${#PODMAN[@]} -gt 0 ]; then
		"${PODMAN[@]}" rm -a -f -t 0 >/dev/null 2>&1
		"${PODMAN[@]}" system reset -f >/dev/null 2>&1
	fi
	if [ ${#DOCKER[@]} -gt 0 ]; then
		"${DOCKER[@]}" ps -aq 2>/dev/null | xargs -r "${DOCKER[@]}" rm -f >/dev/null 2>&1
		stop_daemon dockerd
	fi
	containerd_stop
	for pid in $(own_pids); do kill -KILL "$pid" 2>/dev/null; done
	# The pod's slice is the kubelet's to remove; this test is the kubelet.
	[ -n "${POD_SLICE:-}" ] && systemctl stop "$POD_SLICE" 2>/dev/null
	systemctl reset-failed 2>/dev/null
	grep -F " $E2E_TMP/" /proc/self/mountinfo | awk '{ print $5 }' | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	if [ -n "${BATS_TEST_COMPLETED:-}" ]; then
		rm -rf "$E2E_TMP"
	else
		# What a failed test's engines said, for the report.
		for f in "$E2E_LOGS"/*.log "$E2E_TMP"/argv/*; do
			[ -f "$f" ] && { echo "--- $f"; tail -n 30 "$f"; }
		done
		# Last, so a report that keeps only the head and tail shows them.
		[ -f "$E2E_TMP/cri-output" ] && { echo "--- what failed:"; grep -E '^(FAIL|# )' "$E2E_TMP/cri-output"; }
	fi
}

prop() { systemctl show -P "$2" "$1"; }

# docker_start: dockerd on this test's containerd with the systemd cgroup
# driver and the runtime as "rt" (a make_wrapper wrapper); data root, exec
# root, socket and config under $E2E_TMP; vfs, no bridge, no iptables.
docker_start() {
	local d=$E2E_TMP/docker w
	mkdir -p "$d"/{root,exec}
	echo '{}' >"$d/daemon.json"
	w=$(make_wrapper docker)
	start_daemon dockerd dockerd --config-file "$d/daemon.json" \
		--data-root "$d/root" --exec-root "$d/exec" --pidfile "$d/docker.pid" \
		--host "unix://$d/docker.sock" --containerd "$CTRD_SOCK" --containerd-namespace rt-e2e-moby \
		--containerd-plugins-namespace rt-e2e-moby-plugins \
		--bridge none --iptables=false --ip6tables=false --ip-masq=false --userland-proxy=false \
		--storage-driver vfs --exec-opt native.cgroupdriver=systemd \
		--add-runtime "rt=$w" --default-runtime rt --log-level warn
	DOCKER=(timeout 120 docker --host "unix://$d/docker.sock")
	# Up to 3 min (a docker call alone takes a while under TCG), and no
	# longer than dockerd lives.
	local end=$((SECONDS + 180))
	until "${DOCKER[@]}" version >/dev/null 2>&1; do
		if [ $SECONDS -ge $end ] || ! kill -0 "$(cat "$E2E_TMP/pids/dockerd")" 2>/dev/null; then
			tail -n 30 "$E2E_LOGS/dockerd.log"
			return 1
		fi
		sleep 1
	done
}

# unit_gone UNIT DIR: no such unit loaded (not even failed), no cgroup DIR.
unit_gone() {
	[ "$(prop "$1" LoadState)" = not-found ] || {
		systemctl status "$1"
		return 1
	}
	[ ! -e "$2" ]
}

# runtime_error_shown NAME OUTPUT: the msg of the last error line of one
# of the runtime's failed calls (their --log, kept by make_wrapper NAME) is
# in the engine's output. One of them: after a failed create the shim's
# clean-up calls (state, delete of what is gone) fail too, in an order
# that varies.
runtime_error_shown() {
	local f msg want out
	out=$(normalize <<<"$2")
	echo "engine said: $2"
	for f in "$E2E_TMP/errlogs/$1".[0-9]*; do
		[ -f "$f" ] || continue
		msg=$(grep '"level":"error"' "$f" | tail -1 | jq -r '.msg // empty')
		echo "runtime said: $msg"
		[ -n "$msg" ] || continue
		want=$(normalize <<<"$msg" | sed 's/ $//')
		if grep -qF -- "$want" <<<"$out"; then
			echo "# $1 said: $2" >&3
			return 0
		fi
	done
	return 1
}

@test "containerd CRI, SystemdCgroup: pod slice, scopes with limits, update, exec, nothing left" {
	CTRD_SYSTEMD_CGROUP=true containerd_start
	local ctr=(ctr --address "$CTRD_SOCK" --namespace k8s.io)
	"${ctr[@]}" images import --snapshotter native "$IMAGES/pause.tar"
	"${ctr[@]}" images import --snapshotter native "$IMAGES/busybox.tar"
	# A pod slice as the kubelet names it (kubepods-<qos>-pod<uid>.slice).
	POD_SLICE=kubepods-besteffort-pod$$_${BATS_TEST_NUMBER}.slice
	mkdir -p "$E2E_TMP/cri-logs"
	run env HOOK_SLICE="$POD_SLICE" HOOK_MEMORY=$((64 << 20)) HOOK_MEMORY_UPDATED=$((80 << 20)) HOOK_CPU_MAX="50000 100000" \
		HOOK_CPU_PER_SEC=500ms HOOK_PIDS=50 \
		timeout 300 "$REPO/.build/cri-client" -endpoint "$CTRD_SOCK" -handler rt \
		-image docker.io/rt-e2e/busybox:1 -log-dir "$E2E_TMP/cri-logs" -cgroup-parent "$POD_SLICE" \
		-memory $((64 << 20)) -update-memory $((80 << 20)) -cpu-quota 50000 -cpu-period 100000 -pids-max 50 \
		-hook "$E2E_SRC/cri-systemd-hook.sh" -timeout 240s
	echo "$output"
	echo "$output" >"$E2E_TMP/cri-output"
	[ "$status" -eq 0 ]
	[ -z "$(grep "^FAIL" <<<"$output")" ]
	grep -q '^ok sandbox scope in the pod' <<<"$output"
	grep -q '^ok .*TasksMax: 50$' <<<"$output"
	grep -q "^ok .*MemoryMax: $((80 << 20))\$" <<<"$output"
	grep -q '^ok pod sandbox stopped and removed$' <<<"$output"
	# The shim asked the runtime for the systemd driver.
	grep -q -- '--systemd-cgroup' "$E2E_TMP/argv/cri"
	line=$(grep '^START-ERROR ' <<<"$output")
	runtime_error_shown cri "${line#START-ERROR }"
	# Nothing of the pod is left in its slice (systemd removes a stopped
	# scope's cgroup when it unloads the unit: give it up to 10 s).
	local slice_dir left i
	slice_dir=/sys/fs/cgroup$(systemctl show -P ControlGroup "$POD_SLICE")
	for ((i = 0; i < 100; i++)); do
		left=$(find "$slice_dir" -mindepth 1 -type d)
		[ -z "$left" ] && break
		sleep 0.1
	done
	echo "left in $slice_dir: $left"
	[ -z "$left" ]
}

# podman_setup: Podman with its root, runroot, tmpdir and events under
# $E2E_TMP, vfs storage, the systemd cgroup manager, and the runtime as
# "rt" (a make_wrapper wrapper) that is listed in runtime_supports_json,
# so Podman passes it --log-format json and reads its errors from the log.
podman_setup() {
	local d=$E2E_TMP/podman w
	mkdir -p "$d"/{root,run,tmp}
	w=$(make_wrapper podman)
	cat >"$d/storage.conf" <<-TOML
		[storage]
		driver = "vfs"
		graphroot = "$d/root"
		runroot = "$d/run"
	TOML
	cat >"$d/containers.conf" <<-TOML
		[containers]
		netns = "none"
		[engine]
		cgroup_manager = "systemd"
		runtime = "rt"
		runtime_supports_json = ["crun", "runc", "kata", "runsc", "youki", "krun", "rt"]
		events_logger = "file"
		events_logfile_path = "$d/events.log"
		tmp_dir = "$d/tmp"
		volume_path = "$d/root/volumes"
		static_dir = "$d/root/libpod"
		[engine.runtimes]
		rt = ["$w"]
	TOML
	export CONTAINERS_CONF=$d/containers.conf CONTAINERS_STORAGE_CONF=$d/storage.conf
	PODMAN=(podman --root "$d/root" --runroot "$d/run" --tmpdir "$d/tmp")
	"${PODMAN[@]}" load -i "$IMAGES/busybox.tar"
}

@test "podman, cgroup_manager systemd: libpod scope with limits, exec, stop/rm leave nothing" {
	podman_setup
	local img=docker.io/rt-e2e/busybox:1 id u dir
	id=$("${PODMAN[@]}" run -d --network none --memory 64m --pids-limit 50 --name p1 "$img" sleep 600)
	u=libpod-$id.scope dir=/sys/fs/cgroup/machine.slice/$u
	[ "$(prop "$u" ActiveState)" = active ]
	[ "$(prop "$u" Slice)" = machine.slice ]
	[ "$(prop "$u" Delegate)" = yes ]
	[ "$(prop "$u" MemoryMax)" = $((64 << 20)) ]
	[ "$(prop "$u" TasksMax)" = 50 ]
	[ "$(cat "$dir/memory.max")" = $((64 << 20)) ]
	[ "$(cat "$dir/pids.max")" = 50 ]
	pid=$("${PODMAN[@]}" inspect --format '{{.State.Pid}}' p1)
	grep -qx "$pid" "$dir/cgroup.procs"
	conmon=$("${PODMAN[@]}" inspect --format '{{.State.ConmonPid}}' p1)
	echo "conmon $conmon: $(cat "/proc/$conmon/cgroup")"
	grep -q -- "--systemd-cgroup" "$E2E_TMP/argv/podman"
	grep -Eq -- "--log-format[= ]json" "$E2E_TMP/argv/podman"

	run "${PODMAN[@]}" exec p1 sh -c 'echo exec-ok; exit 4'
	[ "$status" -eq 4 ]
	[ "$output" = exec-ok ]

	"${PODMAN[@]}" stop -t 1 p1
	"${PODMAN[@]}" rm p1
	unit_gone "$u" "$dir"
	[ -z "$(systemctl list-units --all --no-legend | grep "libpod-.*$id")" ]
}

@test "podman, cgroup_manager systemd: a failing container shows the runtime's error" {
	podman_setup
	run -127 "${PODMAN[@]}" run --rm --network none --name p2 docker.io/rt-e2e/busybox:1 /no/such/binary
	runtime_error_shown podman "$output"
	# Its scope went with it.
	[ -z "$(systemctl list-units --all --no-legend | grep libpod-)" ]
}

@test "docker, native.cgroupdriver=systemd: docker scope with limits, exec, update, stop/rm leave nothing, errors shown" {
	containerd_start
	docker_start
	"${DOCKER[@]}" load -i "$IMAGES/busybox.tar"
	local img=docker.io/rt-e2e/busybox:1 id u dir
	id=$("${DOCKER[@]}" run -d --network none --memory 64m --pids-limit 50 --cpus 0.5 "$img" sleep 600)
	u=docker-$id.scope dir=/sys/fs/cgroup/system.slice/$u
	[ "$(prop "$u" ActiveState)" = active ]
	[ "$(prop "$u" Slice)" = system.slice ]
	[ "$(prop "$u" Delegate)" = yes ]
	[ "$(prop "$u" MemoryMax)" = $((64 << 20)) ]
	[ "$(prop "$u" TasksMax)" = 50 ]
	[ "$(prop "$u" CPUQuotaPerSecUSec)" = 500ms ]
	[ "$(cat "$dir/memory.max")" = $((64 << 20)) ]
	[ "$(cat "$dir/pids.max")" = 50 ]
	[ "$(cat "$dir/cpu.max")" = "50000 100000" ]
	pid=$("${DOCKER[@]}" inspect --format '{{.State.Pid}}' "$id")
	grep -qx "$pid" "$dir/cgroup.procs"
	grep -q -- "--systemd-cgroup" "$E2E_TMP/argv/docker"

	run "${DOCKER[@]}" exec "$id" sh -c 'echo exec-ok; exit 4'
	[ "$status" -eq 4 ]
	[ "$output" = exec-ok ]

	# update goes to the unit's properties and to the files.
	"${DOCKER[@]}" update --memory 96m --memory-swap 192m --pids-limit 60 --cpus 0.25 "$id"
	[ "$(prop "$u" MemoryMax)" = $((96 << 20)) ]
	[ "$(prop "$u" TasksMax)" = 60 ]
	[ "$(prop "$u" CPUQuotaPerSecUSec)" = 250ms ]
	[ "$(cat "$dir/memory.max")" = $((96 << 20)) ]
	[ "$(cat "$dir/memory.swap.max")" = $((96 << 20)) ]
	[ "$(cat "$dir/pids.max")" = 60 ]
	[ "$(cat "$dir/cpu.max")" = "25000 100000" ]

	"${DOCKER[@]}" stop -t 1 "$id"
	"${DOCKER[@]}" rm "$id"
	unit_gone "$u" "$dir"

	run -127 "${DOCKER[@]}" run --rm --network none "$img" /no/such/binary
	runtime_error_shown docker "$output"
	[ -z "$(systemctl list-units --all --no-legend | grep 'docker-.*scope')" ]
}
