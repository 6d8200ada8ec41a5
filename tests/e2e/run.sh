#!/bin/bash
# Engine end-to-end tests: containerd (ctr and its CRI plugin), Podman and
# Docker drive the runtime binary unchanged, plus `rt features`.
#
#   tests/e2e/run.sh [--runtime PATH] [ENGINE...]
#
# ENGINE is any of features ctr cri podman docker (default: all; features
# only for rt). The
# runtime defaults to ./rt of this tree; --runtime /usr/sbin/runc runs the
# same tests against Debian's runc. Each engine runs self-contained under
# one temp dir (own root, state, sockets; daemons started here and stopped
# by pid; cgroupfs; vfs/native storage; no network). Missing Debian
# packages are installed with apt-get. Logs stay in $E2E_KEEP (or a temp
# dir, printed at the end). The last line is "N passed, N failed".
set -u -o pipefail

E2E_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$E2E_SRC/../.." && pwd)
E2E_RUNTIME="$REPO/rt"
ENGINES=()
while [ $# -gt 0 ]; do
	case $1 in
	--runtime) E2E_RUNTIME=$2; shift 2 ;;
	--runtime=*) E2E_RUNTIME=${1#--runtime=}; shift ;;
	-h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	features | ctr | cri | podman | docker) ENGINES+=("$1"); shift ;;
	*) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
if [ "$(id -u)" != 0 ]; then
	echo "run.sh: the engine tests need root" >&2
	exit 2
fi
E2E_RUNTIME=$(readlink -f "$E2E_RUNTIME")
if [ ! -x "$E2E_RUNTIME" ]; then
	echo "run.sh: runtime $E2E_RUNTIME is not an executable (make rt first?)" >&2
	exit 2
fi

if [ ${#ENGINES[@]} -eq 0 ]; then
	# The features checks hold rt to this tree's spec version; another
	# runtime (an older runc) is only run through the engines.
	ENGINES=(ctr cri podman docker)
	"$E2E_RUNTIME" --version 2>/dev/null | grep -q '^rt version' && ENGINES=(features "${ENGINES[@]}")
fi

E2E_TMP=$(mktemp -d /tmp/rt-e2e.XXXXXX)
E2E_ID=${E2E_TMP##*.}
E2E_LOGS=${E2E_KEEP:-$E2E_TMP/logs}
mkdir -p "$E2E_LOGS" "$E2E_TMP"/{bin,argv,errlogs,pids}
E2E_ENGINE=setup
E2E_PAUSE_REF=docker.io/rt-e2e/pause:1

source "$E2E_SRC/lib.sh"
source "$E2E_SRC/containerd.sh"
source "$E2E_SRC/cri.sh"
source "$E2E_SRC/podman.sh"
source "$E2E_SRC/docker.sh"
source "$E2E_SRC/features.sh"

cleanup() {
	E2E_ENGINE=cleanup
	docker_stop
	podman_cleanup
	podman_rootless_cleanup
	containerd_stop
	local pid
	for pid in $(own_pids); do
		kill -KILL "$pid" 2>/dev/null
	done
	# Mounts left below the temp dir by a killed engine (shm, rootfs).
	grep -F " $E2E_TMP/" /proc/self/mountinfo | awk '{ print $5 }' | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	for cg in "${E2E_CGROUPS[@]}"; do remove_cgroups "$cg"; done
	for p in "${E2E_HOST_NEW[@]}"; do rm -rf "$p"; done
	cp -r "$E2E_TMP/errlogs" "$E2E_LOGS/" 2>/dev/null
	if [ -n "${E2E_KEEP:-}" ] || [ "$E2E_FAILED" -eq 0 ]; then
		rm -rf "$E2E_TMP"
	else
		find "$E2E_TMP" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} +
	fi
	[ "$E2E_LOGS" != "$E2E_TMP/logs" ] || [ "$E2E_FAILED" -ne 0 ] && echo "logs kept in $E2E_LOGS"
}
# Paths the engines make outside the temp dir whatever their flags say
# (ctr's fifo dir, the shims' socket dir, dockerd's trust key, Podman's blob
# cache, and rt's default --root, which rootful Podman gives no --root of its
# own, with the seccomp cache rt keeps there): removed afterwards when this
# run made them.
E2E_HOST_PATHS=(/run/containerd /run/docker /etc/docker/key.json /var/lib/containers /run/rt/@seccomp-cache /run/rt)
E2E_HOST_NEW=()
for p in "${E2E_HOST_PATHS[@]}"; do
	[ -e "$p" ] || E2E_HOST_NEW+=("$p")
done
E2E_CGROUPS=("rt-e2e-ctr-$E2E_ID" "rt-e2e-cri-$E2E_ID" "rt-e2e-podman-$E2E_ID" "rt-e2e-docker-$E2E_ID")
trap cleanup EXIT
trap 'exit 130' INT TERM

need_daemon=""
for e in "${ENGINES[@]}"; do
	case $e in ctr | cri | docker) need_daemon=1 ;; esac
done

T0=$(date +%s)
e2e_install_debs || exit 1
echo "runtime: $E2E_RUNTIME ($("$E2E_RUNTIME" --version | head -1))"
make_rootfs "$E2E_TMP/rootfs"
make_docker_archive "$E2E_TMP/rootfs" docker.io/rt-e2e/busybox:1 "$E2E_TMP/busybox.tar" sh
make_docker_archive "$E2E_TMP/rootfs" "$E2E_PAUSE_REF" "$E2E_TMP/pause.tar" sleep 2147483647

declare -A TIMES
if [ -n "$need_daemon" ]; then
	E2E_ENGINE=containerd
	containerd_start || need_daemon=""
fi
for e in "${ENGINES[@]}"; do
	E2E_ENGINE=$e
	t=$(date +%s)
	case $e in
	features) features_tests ;;
	ctr) [ -n "$need_daemon" ] && ctr_tests ;;
	cri) [ -n "$need_daemon" ] && cri_tests ;;
	podman) podman_tests; podman_rootless_tests ;;
	docker) [ -n "$need_daemon" ] && docker_tests ;;
	esac
	TIMES[$e]=$(($(date +%s) - t))
done

echo
for e in "${ENGINES[@]}"; do echo "time $e: ${TIMES[$e]}s"; done
echo "time total: $(($(date +%s) - T0))s"
for f in "${E2E_FAILURES[@]}"; do echo "failed: $f"; done
echo "e2e: $E2E_PASSED passed, $E2E_FAILED failed"
[ "$E2E_FAILED" -eq 0 ]
