# `rt features`: the OCI features document checked against this host
# (namespaces under /proc/self/ns, cap_last_cap, the native seccomp arch)
# and against the runtime-spec version the tree builds with.

features_tests() {
	local doc="$E2E_TMP/features.json"
	if ! "$E2E_RUNTIME" features >"$doc" 2>"$E2E_LOGS/features.err"; then
		fail "features runs" "$(cat "$E2E_LOGS/features.err")"
		return
	fi
	if ! jq -e . "$doc" >/dev/null 2>&1; then
		fail "features prints JSON" "$(head -20 "$doc")"
		return
	fi
	pass "features prints a JSON document"

	local spec
	spec=$(awk '$1 == "github.com/opencontainers/runtime-spec" { sub(/^v/, "", $2); print $2 }' "$REPO/go.mod")
	expect "ociVersionMax is the runtime-spec of go.mod ($spec)" 0 "" -- \
		jq -e --arg v "$spec" '.ociVersionMax == $v and (.ociVersionMin | startswith("1.0"))' "$doc"
	expect "all six hooks" 0 "" -- jq -e '[.hooks[]] | sort ==
		["createContainer","createRuntime","poststart","poststop","prestart","startContainer"]' "$doc"
	expect "mount options include ro, rbind, rro, tmpcopyup" 0 "" -- \
		jq -e '.mountOptions as $m | all("ro","rbind","rro","tmpcopyup","rprivate"; . as $o | $m | index([$o]))' "$doc"

	local n want=()
	for n in cgroup:cgroup ipc:ipc mnt:mount net:network pid:pid time:time user:user uts:uts; do
		[ -e "/proc/self/ns/${n%%:*}" ] && want+=("${n#*:}")
	done
	expect "namespaces are those of this kernel (${want[*]})" 0 "" -- \
		jq -e --arg w "${want[*]}" '(.linux.namespaces | sort | join(" ")) == $w' "$doc"

	local last
	last=$(cat /proc/sys/kernel/cap_last_cap)
	expect "capabilities are the kernel's $((last + 1))" 0 "" -- \
		jq -e --argjson n $((last + 1)) '(.linux.capabilities | length) == $n and (.linux.capabilities | index(["CAP_SYS_ADMIN"]))' "$doc"

	local arch
	case $(uname -m) in x86_64) arch=SCMP_ARCH_X86_64 ;; aarch64) arch=SCMP_ARCH_AARCH64 ;; *) arch=SCMP_ARCH_$(uname -m | tr '[:lower:]' '[:upper:]') ;; esac
	expect "seccomp enabled with actions, operators and the native arch" 0 "" -- \
		jq -e --arg a "$arch" '.linux.seccomp | .enabled and (.actions | index(["SCMP_ACT_ERRNO"])) and
			(.operators | index(["SCMP_CMP_EQ"])) and (.archs | index([$a]))' "$doc"
	expect "cgroup v1 and v2 compiled in" 0 "" -- jq -e '.linux.cgroup | .v1 and .v2' "$doc"
	expect "apparmor and selinux flags present" 0 "" -- \
		jq -e '(.linux.apparmor.enabled | type) == "boolean" and (.linux.selinux.enabled | type) == "boolean"' "$doc"
}
