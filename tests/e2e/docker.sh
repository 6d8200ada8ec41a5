# Docker: dockerd with --add-runtime rt=<rt-docker wrapper> on the
# containerd of this run (containerd.sh), its own data root, exec root,
# socket and config under $E2E_TMP; vfs, cgroupfs, no bridge, no iptables.

DOCKER=()
DOCKER_DIR=

docker_start() {
	DOCKER_DIR="$E2E_TMP/docker"
	mkdir -p "$DOCKER_DIR"/{root,exec}
	echo '{}' >"$DOCKER_DIR/daemon.json"
	local wrap nofile nproc
	wrap=$(make_wrapper docker)
	nofile=$(ulimit -Hn)
	nproc=$(ulimit -Hu)
	[ "$nofile" = unlimited ] || [ "$nofile" -gt 4096 ] && nofile=4096
	[ "$nproc" = unlimited ] || [ "$nproc" -gt 4096 ] && nproc=4096
	start_daemon dockerd dockerd --config-file "$DOCKER_DIR/daemon.json" \
		--data-root "$DOCKER_DIR/root" --exec-root "$DOCKER_DIR/exec" --pidfile "$DOCKER_DIR/docker.pid" \
		--host "unix://$DOCKER_DIR/docker.sock" --containerd "$CTRD_SOCK" --containerd-namespace "rt-e2e-moby" \
		--containerd-plugins-namespace "rt-e2e-moby-plugins" \
		--bridge none --iptables=false --ip6tables=false --ip-masq=false --userland-proxy=false \
		--storage-driver vfs --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "/rt-e2e-docker-$E2E_ID" \
		--default-ulimit "nofile=$nofile:$nofile" --default-ulimit "nproc=$nproc:$nproc" \
		--add-runtime "rt=$wrap" --log-level warn
	DOCKER=(/usr/bin/docker --host "unix://$DOCKER_DIR/docker.sock")
	if ! wait_for 60 "${DOCKER[@]}" version; then
		fail "dockerd starts" "$(tail -20 "$E2E_LOGS/dockerd.log")"
		return 1
	fi
	pass "dockerd $("${DOCKER[@]}" version --format '{{.Server.Version}}') starts on this run's containerd"
}

docker_stop() {
	[ -n "$DOCKER_DIR" ] || return 0
	if [ ${#DOCKER[@]} -gt 0 ] && [ -S "$DOCKER_DIR/docker.sock" ]; then
		local ids
		mapfile -t ids < <("${DOCKER[@]}" ps -aq 2>/dev/null)
		[ ${#ids[@]} -gt 0 ] && "${DOCKER[@]}" rm -f "${ids[@]}" >/dev/null 2>&1
	fi
	stop_daemon dockerd
	DOCKER_DIR=
}

docker_tests() {
	docker_start || return
	local img=rt-e2e/busybox:1 run=(run --runtime rt --network none)
	if ! OUT=$(tar -C "$E2E_TMP/rootfs" -c . | "${DOCKER[@]}" import - "$img" 2>&1); then
		fail "docker import" "$OUT"
		return
	fi
	pass "docker import of the busybox rootfs"

	# dockerd puts "cpu": {"shares": 0} and "blockIO": {"weight": 0} in
	# every config (and drops --blkio-weight where only blkio.bfq.weight
	# exists); runc reads 0 as "not set". Every run below needs that.
	if ! expect "run --runtime rt (config has cpu.shares 0, blockIO.weight 0)" 0 '^first-run$' -- \
		"${DOCKER[@]}" "${run[@]}" --rm "$img" echo first-run; then
		fail "remaining docker tests not run: every docker run fails as the first did"
		docker_stop
		remove_cgroups "rt-e2e-docker-$E2E_ID"
		record_argv docker
		return
	fi
	expect "run --runtime rt: output and exit code 6 come back" 6 '^hello-from-docker$' -- \
		"${DOCKER[@]}" "${run[@]}" --rm "$img" sh -c 'echo hello-from-docker; exit 6'
	local limit=$((56 << 20))
	expect "run -d with --memory" 0 "" -- \
		"${DOCKER[@]}" "${run[@]}" -d --name d-det --memory $limit "$img" sleep 600 || return
	expect "exec" 0 '^exec-ok$' -- "${DOCKER[@]}" exec d-det sh -c 'echo exec-ok'
	expect "exec exit code 9" 9 "" -- "${DOCKER[@]}" exec d-det sh -c 'exit 9'
	local pid got
	pid=$("${DOCKER[@]}" inspect --format '{{.State.Pid}}' d-det)
	got=$(cgroup_file "$pid" memory memory.limit_in_bytes 2>&1)
	if [ "$got" = "$limit" ]; then
		pass "memory limit $limit in the container's cgroup"
	else
		fail "memory limit in the container's cgroup" "pid $pid: memory.limit_in_bytes=$got, want $limit"
	fi
	expect "cpu shares seen inside the container" 0 '^512$' -- \
		"${DOCKER[@]}" "${run[@]}" --rm --cpu-shares 512 "$img" cat /sys/fs/cgroup/cpu/cpu.shares
	expect "stop" 0 "" -- "${DOCKER[@]}" stop -t 1 d-det
	expect "rm" 0 "" -- "${DOCKER[@]}" rm d-det

	expect "run of a missing binary fails" 127 "" -- \
		"${DOCKER[@]}" "${run[@]}" --rm "$img" /no/such/binary
	check_error_shown "docker shows the runtime's error" "$OUT"
	docker_stop
	remove_cgroups "rt-e2e-docker-$E2E_ID"
	record_argv docker
}
