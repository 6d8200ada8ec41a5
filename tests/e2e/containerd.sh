# containerd: one self-contained daemon (config, root, state, sockets under
# $E2E_TMP) that the ctr tests, dockerd and the CRI test all use. Sourced by
# run.sh after lib.sh.

CTRD_DIR=
CTRD_SOCK=

# containerd_start: write the config and start the daemon. The CRI plugin
# gets a runtime handler "rt" whose BinaryName is the rt-cri wrapper;
# CTRD_SYSTEMD_CGROUP=true sets its SystemdCgroup (tests/e2e/systemd.bats).
containerd_start() {
	CTRD_DIR="$E2E_TMP/containerd"
	CTRD_SOCK="$CTRD_DIR/containerd.sock"
	mkdir -p "$CTRD_DIR"/{root,state,opt,runc,cni/bin,cni/conf}
	local cri_wrapper
	cri_wrapper=$(make_wrapper cri)
	cat >"$CTRD_DIR/config.toml" <<TOML
version = 2
root = "$CTRD_DIR/root"
state = "$CTRD_DIR/state"
oom_score = 0
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$CTRD_SOCK"
[ttrpc]
  address = "$CTRD_SOCK.ttrpc"
[debug]
  address = "$CTRD_DIR/debug.sock"
  level = "info"
[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$CTRD_DIR/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$E2E_PAUSE_REF"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  disable_apparmor = true
  restrict_oom_score_adj = true
  disable_hugetlb_controller = true
  tolerate_missing_hugetlb_controller = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CTRD_DIR/cni/bin"
    conf_dir = "$CTRD_DIR/cni/conf"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
    default_runtime_name = "rt"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.rt]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.rt.options]
        BinaryName = "$cri_wrapper"
        Root = "$CTRD_DIR/runc/cri"
        SystemdCgroup = ${CTRD_SYSTEMD_CGROUP:-false}
TOML
	start_daemon containerd containerd --config "$CTRD_DIR/config.toml"
	if ! wait_for 30 ctr --address "$CTRD_SOCK" version; then
		fail "containerd starts" "$(tail -20 "$E2E_LOGS/containerd.log")"
		return 1
	fi
	pass "containerd $(containerd --version | awk '{print $3}') starts self-contained"
}

containerd_stop() {
	[ -n "$CTRD_SOCK" ] || return 0
	local ns id
	if [ -S "$CTRD_SOCK" ]; then
		for ns in $(ctr --address "$CTRD_SOCK" namespaces ls -q 2>/dev/null); do
			for id in $(ctr --address "$CTRD_SOCK" -n "$ns" tasks ls -q 2>/dev/null); do
				ctr --address "$CTRD_SOCK" -n "$ns" tasks kill -s SIGKILL "$id" >/dev/null 2>&1
				ctr --address "$CTRD_SOCK" -n "$ns" tasks delete -f "$id" >/dev/null 2>&1
			done
			for id in $(ctr --address "$CTRD_SOCK" -n "$ns" containers ls -q 2>/dev/null); do
				ctr --address "$CTRD_SOCK" -n "$ns" containers delete "$id" >/dev/null 2>&1
			done
		done
	fi
	stop_daemon containerd
}

# ctr_tests: run with exit code, detached + exec + kill + delete, memory
# limit in the cgroup, and a failing start showing rt's error.
ctr_tests() {
	local wrap ns=rt-e2e img=docker.io/rt-e2e/busybox:1 cg
	wrap=$(make_wrapper ctr)
	CTR=(ctr --address "$CTRD_SOCK" --namespace "$ns")
	RUNOPTS=(--snapshotter native --runc-binary "$wrap" --runc-root "$CTRD_DIR/runc/ctr")
	expect "images import (docker-archive)" 0 "" -- "${CTR[@]}" images import --snapshotter native "$E2E_TMP/busybox.tar" || return

	cg="/rt-e2e-ctr-$E2E_ID"
	expect "run: output and exit code 42 come back" 42 '^hello-from-ctr$' -- \
		"${CTR[@]}" run --rm "${RUNOPTS[@]}" --cgroup "$cg/exit" "$img" ctr-exit sh -c 'echo hello-from-ctr; exit 42'

	local limit=$((48 << 20))
	expect "run -d (detached)" 0 "" -- \
		"${CTR[@]}" run -d "${RUNOPTS[@]}" --cgroup "$cg/det" --memory-limit $limit "$img" ctr-det sleep 600 || return
	expect "task exec" 0 '^exec-ok$' -- \
		"${CTR[@]}" task exec --exec-id e1 ctr-det sh -c 'echo exec-ok'
	expect "task exec exit code 3" 3 "" -- \
		"${CTR[@]}" task exec --exec-id e2 ctr-det sh -c 'exit 3'
	local pid got
	pid=$("${CTR[@]}" task ls | awk '$1 == "ctr-det" { print $2 }')
	got=$(cgroup_file "$pid" memory memory.limit_in_bytes 2>&1)
	if [ "$got" = "$limit" ]; then
		pass "memory limit $limit in the task's cgroup"
	else
		fail "memory limit in the task's cgroup" "pid $pid: memory.limit_in_bytes=$got, want $limit"
	fi
	expect "task kill (SIGKILL)" 0 "" -- "${CTR[@]}" task kill -s SIGKILL ctr-det
	if wait_for 10 bash -c "\"\${@}\" task ls | grep -Eq '^ctr-det +[0-9]+ +STOPPED'" _ "${CTR[@]}"; then
		pass "task stopped after kill"
	else
		fail "task stopped after kill" "$("${CTR[@]}" task ls 2>&1)"
	fi
	expect "task delete" 0 "" -- "${CTR[@]}" task delete ctr-det
	expect "container delete" 0 "" -- "${CTR[@]}" containers delete ctr-det

	expect "run of a missing binary fails" 1 "" -- \
		"${CTR[@]}" run --rm "${RUNOPTS[@]}" --cgroup "$cg/fail" "$img" ctr-fail /no/such/binary
	check_error_shown "ctr shows the runtime's error" "$OUT"
	"${CTR[@]}" containers delete ctr-fail >/dev/null 2>&1
	remove_cgroups "rt-e2e-ctr-$E2E_ID"
	record_argv ctr
}
