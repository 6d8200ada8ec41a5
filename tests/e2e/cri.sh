# The Kubernetes path: containerd's CRI plugin, runtime handler "rt" (its
# BinaryName is the rt-cri wrapper, see containerd.sh), driven by the Go
# client in cri/ (k8s.io/cri-api) as the kubelet would.

cri_tests() {
	local client="$E2E_TMP/bin/cri-client" go=go
	command -v go >/dev/null || go=/usr/local/go/bin/go
	if ! OUT=$(cd "$REPO" && "$go" build -o "$client" ./tests/e2e/cri 2>&1); then
		fail "build the CRI client" "$OUT"
		return
	fi
	local ctr=(ctr --address "$CTRD_SOCK" --namespace k8s.io)
	expect "import pause and busybox images into k8s.io" 0 "" -- \
		"${ctr[@]}" images import --snapshotter native "$E2E_TMP/pause.tar" || return
	expect "import busybox into k8s.io" 0 "" -- \
		"${ctr[@]}" images import --snapshotter native "$E2E_TMP/busybox.tar" || return
	mkdir -p "$E2E_TMP/cri-logs"
	OUT=$(timeout 150 "$client" -endpoint "$CTRD_SOCK" -handler rt -image docker.io/rt-e2e/busybox:1 \
		-log-dir "$E2E_TMP/cri-logs" -cgroup-parent "/rt-e2e-cri-$E2E_ID" 2>&1)
	RC=$?
	local line
	while IFS= read -r line; do
		case $line in
		"ok "*) pass "${line#ok }" ;;
		"FAIL "*) fail "${line#FAIL }" ;;
		esac
	done <<<"$OUT"
	[ $RC -eq 0 ] || fail "CRI client exit status $RC" "$OUT"
	if line=$(grep '^START-ERROR ' <<<"$OUT"); then
		check_error_shown "CRI StartContainer shows the runtime's error" "${line#START-ERROR }"
	else
		fail "CRI StartContainer of a missing binary reports an error" "$OUT"
	fi
	if [ -s "$E2E_TMP/argv/cri" ]; then
		pass "the CRI runtime handler ran the wrapper ($(wc -l <"$E2E_TMP/argv/cri") calls)"
	else
		fail "the CRI runtime handler ran the wrapper" "no argv recorded"
	fi
	remove_cgroups "rt-e2e-cri-$E2E_ID"
	record_argv cri
}
