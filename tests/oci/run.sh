#!/bin/bash
# The OCI runtime-tools validation suite against a runtime.
#
#   tests/oci/run.sh [--runtime PATH] [--expected FILE] [--timeout SECS]
#                    [--logs DIR] [PROGRAM...]
#
# Builds the validation programs of github.com/opencontainers/runtime-tools
# (pinned below, from the Go module proxy; cached in $RT_OCI_CACHE, default
# ~/.cache/rt-oci, per version and Go toolchain) and runs each one (or only
# the PROGRAMs named) with a per-program timeout (default 60s), from a temp
# dir holding runtimetest and a busybox-static rootfs tarball. The runtime
# (default ./rt of this tree) is called through a wrapper that gives it this
# run's own --root. Results are compared with tests/oci/expected-failures.txt
# (or --expected FILE): the run fails on a failure not listed there and on a
# listed program that passes; a program listed with "# flaky: reason" may do
# either. Expected failures count as skipped in the
# closing line "oci: N passed, N failed, N skipped". --logs DIR keeps each
# program's TAP and stderr. Needs root, go, jq, tar, unshare.
set -u -o pipefail

OCI_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$OCI_SRC/../.." && pwd)
OCI_MODULE=github.com/opencontainers/runtime-tools
# The newest runtime-tools on the proxy that builds with Go 1.26 (the last
# tag, v0.9.0, is from 2019 and predates runtime-spec 1.1). Change both
# lines together: the sum is the module zip's, as go.sum would hold it.
OCI_VERSION=v0.9.1-0.20260316125833-8a4db579f5c8
OCI_SUM=h1:2NAWFjN0PmdIe3XojVL9wf3lJ1//VqAgc7MOSYHQslE=

OCI_RUNTIME=$REPO/rt
OCI_EXPECTED=$OCI_SRC/expected-failures.txt
OCI_TIMEOUT=60
OCI_LOGS=""
ONLY=()
while [ $# -gt 0 ]; do
	case $1 in
	--runtime) OCI_RUNTIME=$2; shift 2 ;;
	--runtime=*) OCI_RUNTIME=${1#*=}; shift ;;
	--expected) OCI_EXPECTED=$2; shift 2 ;;
	--expected=*) OCI_EXPECTED=${1#*=}; shift ;;
	--timeout) OCI_TIMEOUT=$2; shift 2 ;;
	--timeout=*) OCI_TIMEOUT=${1#*=}; shift ;;
	--logs) OCI_LOGS=$2; shift 2 ;;
	--logs=*) OCI_LOGS=${1#*=}; shift ;;
	-h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "run.sh: unknown flag $1 (see --help)" >&2; exit 2 ;;
	*) ONLY+=("$1"); shift ;;
	esac
done
if [ "$(id -u)" != 0 ]; then
	echo "run.sh: the validation suite needs root" >&2
	exit 2
fi
if [[ ! "$OCI_TIMEOUT" =~ ^[1-9][0-9]*$ ]]; then
	echo "run.sh: --timeout wants a number of seconds, got $OCI_TIMEOUT" >&2
	exit 2
fi
for tool in go jq tar unshare timeout /bin/busybox; do
	if ! command -v "$tool" >/dev/null; then
		echo "run.sh: $tool is missing" >&2
		exit 2
	fi
done
OCI_RUNTIME=$(readlink -f "$OCI_RUNTIME")
if [ ! -x "$OCI_RUNTIME" ]; then
	echo "run.sh: runtime $OCI_RUNTIME is not an executable (make rt first?)" >&2
	exit 2
fi

source "$OCI_SRC/lib.sh"

OCI_CACHE=${RT_OCI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rt-oci}
OCI_BIN=$OCI_CACHE/$OCI_VERSION-$(go env GOVERSION)
mkdir -p "$OCI_CACHE" || exit 2
if ! oci_build; then
	echo "run.sh: building the validation programs failed" >&2
	exit 2
fi
oci_read_expected "$OCI_EXPECTED" || exit 2

# The cgroup programs ask for the fixed paths /cgrouptest and
# testdir/cgrouptest/container: with such a cgroup already on the host the
# run could neither tell its own from it nor clean up without touching it.
if [ -n "$(oci_cgroup_dirs)" ]; then
	echo "run.sh: cgroups named cgrouptest or testdir already exist (not this run's):" >&2
	oci_cgroup_dirs >&2
	exit 2
fi

OCI_WORK=$(mktemp -d /tmp/rt-oci.XXXXXX) || exit 2
OCI_IDS_SEEN=0
declare -A LEAKS=()
oci_finish() {
	# Whatever the last program left (also after ^C).
	oci_cleanup_after _end
	oci_unmount_under "$OCI_WORK"
	rm -rf --one-file-system "$OCI_WORK"
}
trap oci_finish EXIT
trap 'exit 130' INT TERM
: >"$OCI_WORK/cgroups-before"
mkdir -p "$OCI_WORK/tmp" "$OCI_WORK/logs"
[ -n "$OCI_LOGS" ] && { mkdir -p "$OCI_LOGS" || exit 2; }
LOGS=${OCI_LOGS:-$OCI_WORK/logs}
cp "$OCI_BIN/runtimetest" "$OCI_WORK/runtimetest"
oci_make_rootfs "$OCI_WORK" || { echo "run.sh: making the rootfs failed" >&2; exit 2; }
oci_make_wrapper

mapfile -t PROGRAMS < <(oci_programs)
if [ ${#ONLY[@]} -gt 0 ]; then
	for p in "${ONLY[@]}"; do
		if [ ! -x "$OCI_BIN/$p" ] || [ "$p" = runtimetest ]; then
			echo "run.sh: no validation program $p" >&2
			exit 2
		fi
	done
	PROGRAMS=("${ONLY[@]}")
fi

echo "oci: runtime-tools $OCI_VERSION, runtime $OCI_RUNTIME, ${#PROGRAMS[@]} programs"
declare -A VERDICTS=() WHYS=()
started=$SECONDS
for p in "${PROGRAMS[@]}"; do
	t0=$SECONDS
	# The programs find runtimetest and rootfs-<arch>.tar.gz in their
	# working directory; their bundles go to TMPDIR, inside this run. Each
	# runs in a mount namespace of its own: linux_ns_itype makes a container
	# without one, whose runtime then mounts /proc, /sys and /dev of the
	# bundle in the namespace it was started in; those mounts go when the
	# program and its containers are gone, instead of staying on the host.
	(cd "$OCI_WORK" && TMPDIR=$OCI_WORK/tmp RUNTIME=$OCI_WORK/runtime \
		timeout -k 5 "$OCI_TIMEOUT" unshare --mount --propagation private -- \
		"$OCI_BIN/$p" >"$LOGS/$p.tap" 2>"$LOGS/$p.err" </dev/null)
	rc=$?
	oci_cleanup_after "$p"
	oci_judge "$LOGS/$p.tap" "$rc"
	VERDICTS[$p]=$VERDICT
	WHYS[$p]=$WHY
	printf '%-36s %-5s %3ss  %s\n' "$p" "$VERDICT" "$((SECONDS - t0))" "$WHY"
done

passed=0 failed=0 skipped=0
unexpected=()
echo
echo "oci: summary (expected failures from ${OCI_EXPECTED#"$REPO"/})"
for p in "${PROGRAMS[@]}"; do
	v=${VERDICTS[$p]}
	listed=${EXPECTED[$p]+yes}
	# A hang is never an expected failure.
	[[ "${WHYS[$p]}" == "timed out"* ]] && listed=""
	if [ -n "$listed" ] && [[ "${EXPECTED[$p]}" == flaky:* ]]; then
		# A race in the program itself: either result is accepted.
		skipped=$((skipped + 1))
		printf '  %-36s %s\n' "$p" "flaky ($v)"
		continue
	fi
	case $v/$listed in
	pass/) passed=$((passed + 1)); outcome=pass ;;
	pass/yes) failed=$((failed + 1)); outcome="UNEXPECTED PASS"; unexpected+=("$p") ;;
	fail/) failed=$((failed + 1)); outcome=FAIL; unexpected+=("$p") ;;
	fail/yes) skipped=$((skipped + 1)); outcome="expected failure" ;;
	skip/*) skipped=$((skipped + 1)); outcome="skipped by the suite" ;;
	esac
	printf '  %-36s %s\n' "$p" "$outcome"
done
for p in "${!LEAKS[@]}"; do
	[ "$p" = _end ] && continue
	echo "oci: warning: $p left behind (removed now): ${LEAKS[$p]}"
done
for p in "${unexpected[@]}"; do
	echo
	if [ "${VERDICTS[$p]}" = pass ]; then
		echo "--- $p passes but is listed in ${OCI_EXPECTED##*/} (\"${EXPECTED[$p]}\"): remove it from the list"
		continue
	fi
	echo "--- $p failed: ${WHYS[$p]}"
	grep -E '^not ok [0-9]+' "$LOGS/$p.tap" | grep -viE '# TODO' | head -10 | sed 's/^/    /'
	if [ -s "$LOGS/$p.err" ]; then
		echo "    stderr:"
		tail -15 "$LOGS/$p.err" | sed 's/^/    | /'
	fi
done
echo
echo "oci: $((SECONDS - started))s for ${#PROGRAMS[@]} programs${OCI_LOGS:+, logs in $OCI_LOGS}"
echo "oci: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
