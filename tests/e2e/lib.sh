# Shared helpers for the engine end-to-end tests (sourced by run.sh and the
# per-engine files). Everything an engine makes lives under $E2E_TMP; every
# daemon started here is recorded with its pid and stopped by that pid.

E2E_DEBS=(containerd podman conmon docker.io golang-github-containers-common crun jq busybox-static)

# e2e_install_debs: apt-get install the engines when missing. Daemons are
# kept from starting at install time (no systemd here, and the tests start
# their own): a policy-rc.d that refuses every start, removed afterwards.
e2e_install_debs() {
	local missing=() p
	for p in "${E2E_DEBS[@]}"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "e2e: installing ${missing[*]}"
	local made_policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 0755 /usr/sbin/policy-rc.d
		made_policy=1
	fi
	local rc=0
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends "${missing[@]}" >"$E2E_LOGS/apt.log" 2>&1 ||
		{ apt-get update -q >>"$E2E_LOGS/apt.log" 2>&1 &&
			apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$E2E_LOGS/apt.log" 2>&1; } || rc=$?
	[ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
	if [ $rc -ne 0 ]; then
		tail -20 "$E2E_LOGS/apt.log" >&2
		return $rc
	fi
}

# --- results -------------------------------------------------------------

E2E_PASSED=0
E2E_FAILED=0
E2E_FAILURES=()

# pass NAME / fail NAME WHY: one result line each.
pass() {
	E2E_PASSED=$((E2E_PASSED + 1))
	echo "ok   $E2E_ENGINE: $1"
}
fail() {
	E2E_FAILED=$((E2E_FAILED + 1))
	E2E_FAILURES+=("$E2E_ENGINE: $1")
	echo "FAIL $E2E_ENGINE: $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/     | /' | head -40
	return 0
}

# expect NAME WANT_RC WANT_OUTPUT -- CMD...: runs CMD (stdout+stderr in
# $OUT, its status in $RC) and checks both; WANT_OUTPUT is a grep -E
# pattern, or "" for none.
expect() {
	local name=$1 want_rc=$2 want_out=$3
	shift 4
	OUT=$(timeout 120 "$@" 2>&1)
	RC=$?
	if [ "$RC" != "$want_rc" ]; then
		fail "$name" "exit $RC, want $want_rc: $*
$OUT"
		return 1
	fi
	if [ -n "$want_out" ] && ! grep -Eq -- "$want_out" <<<"$OUT"; then
		fail "$name" "output lacks /$want_out/: $*
$OUT"
		return 1
	fi
	pass "$name"
}

# --- processes -------------------------------------------------------------

# start_daemon NAME CMD...: CMD in the background, output in
# $E2E_LOGS/NAME.log, pid in $E2E_TMP/pids/NAME.
start_daemon() {
	local name=$1
	shift
	"$@" >"$E2E_LOGS/$name.log" 2>&1 &
	echo $! >"$E2E_TMP/pids/$name"
}

# stop_daemon NAME: SIGTERM, then SIGKILL after 10 s; by the recorded pid.
stop_daemon() {
	local f="$E2E_TMP/pids/$1" pid i
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		for i in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	rm -f "$f"
}

# wait_for SECONDS CMD...: retry CMD every 0.1 s.
wait_for() {
	local n=$(($1 * 10))
	shift
	while [ $n -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# own_pids: processes whose command line names $E2E_TMP (shims and
# conmons this run started, which outlive their daemon), by pid.
own_pids() {
	local d pid
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		[ "$pid" = $$ ] && continue
		{ tr '\0' ' ' <"$d/cmdline"; } 2>/dev/null | grep -qF -- "$E2E_TMP/" && echo "$pid"
	done
}

# --- images --------------------------------------------------------------

# make_rootfs DIR: a busybox-static rootfs (no "busybox" applet link).
make_rootfs() {
	local dir=$1 a
	mkdir -p "$dir"/{bin,etc,dev,proc,sys,tmp,root,var/run}
	cp /bin/busybox "$dir/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] && continue
		ln -sf busybox "$dir/bin/$a"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$dir/etc/passwd"
	echo 'root:x:0:' >"$dir/etc/group"
	chmod 1777 "$dir/tmp"
}

go_arch() {
	case $(uname -m) in
	x86_64) echo amd64 ;; aarch64) echo arm64 ;; ppc64le) echo ppc64le ;; s390x) echo s390x ;;
	riscv64) echo riscv64 ;; *) uname -m ;;
	esac
}

# make_docker_archive ROOTFS REF OUT CMD...: a docker-archive tarball (what
# `docker save` writes) of one layer, for `ctr images import`.
make_docker_archive() {
	local rootfs=$1 ref=$2 out=$3
	shift 3
	local w
	w=$(mktemp -d "$E2E_TMP/archive.XXXX")
	tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -cf "$w/layer.tar" .
	local diff cmd cfg cfgsha
	diff=$(sha256sum "$w/layer.tar" | cut -d' ' -f1)
	mkdir "$w/$diff"
	mv "$w/layer.tar" "$w/$diff/layer.tar"
	cmd=$(jq -cn '$ARGS.positional' --args "$@")
	cfg=$(jq -cn --arg arch "$(go_arch)" --arg diff "sha256:$diff" --argjson cmd "$cmd" '{
		architecture: $arch, os: "linux", created: "2024-01-01T00:00:00Z",
		config: {Cmd: $cmd, Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], WorkingDir: "/"},
		rootfs: {type: "layers", diff_ids: [$diff]},
		history: [{created: "2024-01-01T00:00:00Z", created_by: "rt e2e busybox rootfs"}]}')
	cfgsha=$(printf '%s' "$cfg" | sha256sum | cut -d' ' -f1)
	printf '%s' "$cfg" >"$w/$cfgsha.json"
	jq -cn --arg cfg "$cfgsha.json" --arg ref "$ref" --arg layer "$diff/layer.tar" \
		'[{Config: $cfg, RepoTags: [$ref], Layers: [$layer]}]' >"$w/manifest.json"
	tar -C "$w" -cf "$out" manifest.json "$cfgsha.json" "$diff"
	rm -rf "$w"
}

# --- the runtime wrapper -------------------------------------------------

# make_wrapper NAME [inject-log]: $E2E_TMP/bin/rt-NAME logs every argv to
# $E2E_TMP/argv/NAME, runs $E2E_RUNTIME with it, and when that fails keeps
# a copy of the --log file in $E2E_TMP/errlogs/NAME.* for the error check.
# It runs the runtime as a child rather than exec: the copy needs the exit.
# With inject-log, a call without --log (conmon passes none: Podman shows
# the runtime's stderr) gets "--log F --log-format json" added in front,
# so that its error line can be compared too; the argv log shows the
# engine's own arguments.
make_wrapper() {
	local name=$1 inject=${2:-} w="$E2E_TMP/bin/rt-$1"
	cat >"$w" <<WRAP
#!/bin/bash
printf '%s\n' "\$*" >>"$E2E_TMP/argv/$name"
log=""
prev=""
for a in "\$@"; do
	[ "\$prev" = --log ] && log=\$a
	case \$a in --log=*) log=\${a#--log=} ;; esac
	prev=\$a
done
injected=""
if [ -z "\$log" ] && [ -n "$inject" ]; then
	log="$E2E_TMP/errlogs/$name.injected.\$\$"
	injected=1
	set -- --log "\$log" --log-format json "\$@"
fi
"$E2E_RUNTIME" "\$@"
rc=\$?
if [ \$rc -ne 0 ] && [ -n "\$log" ] && [ -f "\$log" ]; then
	cp "\$log" "$E2E_TMP/errlogs/$name.\$(date +%s%N)"
fi
[ -n "\$injected" ] && rm -f "\$log"
exit \$rc
WRAP
	chmod 0755 "$w"
	echo "$w"
}

# last_runtime_error NAME: the msg of the last "level":"error" line the
# runtime logged in a failed call through wrapper NAME.
last_runtime_error() {
	local f
	f=$(ls -t "$E2E_TMP/errlogs/$1".[0-9]* 2>/dev/null | head -1)
	[ -n "$f" ] || return 1
	grep '"level":"error"' "$f" | tail -1 | jq -r '.msg // empty' 2>/dev/null
}

# normalize: drop quoting and escapes that engines add around messages.
normalize() { tr -d '\\"'"'" | tr -s ' \n' ' '; }

# check_error_shown NAME OUTPUT: the runtime's last error message must be
# in the engine's output. The level must be "error" in lower case: that is
# what containerd's shim (go-runc) and conmon look for in the log.
check_error_shown() {
	local what=$1 out=$2 msg f
	msg=$(last_runtime_error "$E2E_ENGINE")
	if [ -z "$msg" ]; then
		f=$(ls -t "$E2E_TMP/errlogs/$E2E_ENGINE".[0-9]* 2>/dev/null | head -1)
		fail "$what" "no \"level\":\"error\" line in the failed call's --log; its last line: $(tail -1 "$f" 2>/dev/null)
engine said: $out"
		return
	fi
	if grep -qF -- "$(normalize <<<"$msg" | sed 's/ $//')" <<<"$(normalize <<<"$out")"; then
		pass "$what (\"$msg\")"
	else
		fail "$what" "runtime said: $msg
engine said: $out"
	fi
}

# record_argv NAME: show the distinct command shapes the engine used.
record_argv() {
	local f="$E2E_TMP/argv/$1"
	[ -f "$f" ] || return 0
	cp "$f" "$E2E_LOGS/argv-$1.txt"
	echo "     argv used by $1 (ids and paths elided):"
	sed -E 's#/[^ ]+#P#g; s/[0-9a-f]{12,}/ID/g' "$f" | sort | uniq -c | sort -rn | sed 's/^/       /'
}

# cgroup_file PID CONTROLLER FILE: FILE of PID's v1 cgroup for CONTROLLER.
cgroup_file() {
	local p
	p=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup")
	cat "/sys/fs/cgroup/$2$p/$3"
}

# remove_cgroups NAME: rmdir every cgroup dir called NAME (and below it)
# at the top of each v1 hierarchy and the unified one; only test names.
remove_cgroups() {
	local name=$1 h
	case $name in rt-e2e-*) ;; *) return 1 ;; esac
	for h in /sys/fs/cgroup/*/; do
		[ -d "$h$name" ] || continue
		find "$h$name" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	return 0
}
