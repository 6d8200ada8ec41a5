#!/usr/bin/env bash
# bench/run.sh — start-path benchmarks of rt side by side with runc and crun.
#
# Builds rt (unless -rt PATH names a binary), installs runc, crun and gcc
# from Debian if missing, builds the launcher and the floor (bench/c/), copies
# rt to a temporary install path (as `make install` would; the linker's own
# output sits in the page cache differently, see bench/README.md), makes a
# busybox-static bundle running /bin/true in a temporary directory, builds
# bench/cmd/rtbench and runs it. Every argument but -rt is passed on to rtbench
# (see bench/README.md):
#
#   bench/run.sh                          # run mode, rt,runc,crun,floor, N=100
#   bench/run.sh -mode all                # every figure of the README's table
#   bench/run.sh -mode exec -n 50
#   bench/run.sh -runtimes runc,crun
#   bench/run.sh -rt /path/to/rt -csv /tmp/runs.csv
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=${REPO:-$(cd "$BENCH_DIR/.." && pwd)}
export REPO
export PATH="/usr/local/go/bin:$PATH"

die() {
	echo "bench/run.sh: $*" >&2
	exit 1
}

# Only -runtimes and -rt matter here; rtbench parses (and checks) all flags.
runtimes=rt,runc,crun,floor
rt_bin=
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
	a=${args[i]}
	case $a in
	-runtimes | --runtimes) runtimes=${args[i + 1]:-} ;;
	-runtimes=* | --runtimes=*) runtimes=${a#*=} ;;
	-rt | --rt) rt_bin=${args[i + 1]:-} ;;
	-rt=* | --rt=*) rt_bin=${a#*=} ;;
	esac
done
wants() { [[ ,$runtimes, == *,$1,* ]]; }

if wants rt; then
	if [[ -z $rt_bin ]]; then
		rt_bin=$REPO/rt
		make -C "$REPO" rt || echo "bench/run.sh: 'make rt' failed" >&2
		if [[ ! -x $rt_bin ]]; then
			make -C "$REPO" || die "make in $REPO failed"
		fi
	fi
	[[ -x $rt_bin ]] || die "rt binary $rt_bin missing or not executable"
fi

# runc is needed even when not benchmarked: `runc spec` writes the config.
apt_updated=
install_pkg() {
	command -v "$1" >/dev/null && return 0
	echo "bench/run.sh: installing $1" >&2
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y "$1"; then
		[[ -n $apt_updated ]] && die "apt-get install $1 failed"
		apt-get update && apt_updated=1
		DEBIAN_FRONTEND=noninteractive apt-get install -y "$1" || die "apt-get install $1 failed"
	fi
}
install_pkg runc
if wants crun; then install_pkg crun; fi
command -v jq >/dev/null || install_pkg jq
[[ -x /bin/busybox ]] || install_pkg busybox-static
install_pkg gcc

tmp=$(mktemp -d /tmp/rtbench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# The launcher times every run (see bench/c/launch.c); the floor is the
# yardstick (bench/c/floor.c); folios says how a binary sits in the page
# cache (bench/c/folios.c).
for prog in launch floor folios; do
	gcc -O2 -Wall -Wextra -Werror -o "$tmp/$prog" "$BENCH_DIR/c/$prog.c" || die "build $prog.c failed"
done

# rt is timed as an installed binary, not as the file the linker just wrote:
# the linker's writes leave large folios (up to 2 MiB) in the page cache,
# which a fault maps whole, while a copy made by install(1) (as `make
# install` does) has 64 KiB ones. The same bytes then differ by ~2 MiB of
# peak RSS and ~1.5 ms of CPU per `run` (bench/README.md, "The binary under
# test"). runc and crun are timed where dpkg put them.
if [[ -n $rt_bin ]]; then
	mkdir "$tmp/bin"
	install -m 0755 "$rt_bin" "$tmp/bin/rt" || die "install $rt_bin failed"
	echo "bench/run.sh: rt is $rt_bin, installed as $tmp/bin/rt" >&2
	rt_bin=$tmp/bin/rt
fi

# The bundle: busybox-static and one symlink per applet, /bin/true as the
# process, no terminal. Everything else stays as `runc spec` writes it.
bundle=$tmp/bundle
mkdir -p "$bundle"/rootfs/{bin,dev,etc,proc,sys,tmp}
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
	[[ $applet == busybox ]] && continue
	ln -s busybox "$bundle/rootfs/bin/$applet"
done
runc spec --bundle "$bundle"
jq '.process.terminal = false | .process.args = ["/bin/true"]' \
	"$bundle/config.json" >"$tmp/config.json"
mv "$tmp/config.json" "$bundle/config.json"

(cd "$REPO" && go build -o "$tmp/rtbench" ./bench/cmd/rtbench) || die "build rtbench failed"

cmd=("$tmp/rtbench" -bundle "$bundle" -launcher "$tmp/launch")
[[ -n $rt_bin ]] && cmd+=(-rt "$rt_bin")
wants floor && cmd+=(-floor "$tmp/floor")
# Every argument but -rt (replaced by the installed copy above).
for ((i = 0; i < ${#args[@]}; i++)); do
	case ${args[i]} in
	-rt | --rt) i=$((i + 1)) ;;
	-rt=* | --rt=*) ;;
	*) cmd+=("${args[i]}") ;;
	esac
done

# How each benchmarked binary sits in the page cache (KiB in folios of each
# order: o0 4 KiB, o4 64 KiB, o9 2 MiB), for the record: an A/B of two
# binaries is fair only when both look alike here.
folio_bins=()
wants rt && folio_bins+=("$rt_bin")
for name in runc crun; do
	wants $name || continue
	bin=$(command -v "$name" || true)
	for ((i = 0; i < ${#args[@]}; i++)); do
		case ${args[i]} in
		-$name | --$name) bin=${args[i + 1]:-} ;;
		-$name=* | --$name=*) bin=${args[i]#*=} ;;
		esac
	done
	[[ $bin == */* ]] || bin=$(command -v "$bin" || true)
	[[ -n $bin ]] && folio_bins+=("$bin")
done
if ((${#folio_bins[@]})); then
	"$tmp/folios" "${folio_bins[@]}" | sed 's/^/bench\/run.sh: page cache: /' >&2 || true
fi

# crun (1.8) refuses to run at all on a hybrid host whose cgroup2 mount has
# any controller enabled ("cgroups in hybrid mode not supported"); this host
# has hugetlb there. The host must not be changed, so rtbench runs in a
# private mount namespace where an empty file is bound over the unified
# mount's cgroup.controllers: crun then uses the same v1 hierarchies (and
# cgroup2 process tracking) as runc and rt. The mount is private to this
# namespace and disappears with it. All runtimes run in the same namespace.
unified=/sys/fs/cgroup/unified
if wants crun && [[ $(stat -fc %T /sys/fs/cgroup) == tmpfs ]] &&
	[[ $(stat -fc %T $unified 2>/dev/null) == cgroup2fs ]] &&
	[[ -n $(cat $unified/cgroup.controllers 2>/dev/null) ]]; then
	echo "bench/run.sh: hybrid cgroups with cgroup2 controllers ($(cat $unified/cgroup.controllers));" \
		"hiding them from the benchmark's private mount namespace for crun" >&2
	: >"$tmp/empty"
	unshare --mount --propagation private -- /bin/sh -c \
		'mount --bind "$1" "$2/cgroup.controllers" && shift 2 && exec "$@"' \
		sh "$tmp/empty" "$unified" "${cmd[@]}"
else
	"${cmd[@]}"
fi
