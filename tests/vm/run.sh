#!/bin/bash
# Run bats files inside a throw-away qemu guest (Debian 6.1 kernel, cgroup v2 or v1, AppArmor,
# SELinux or no LSM; a shell or systemd as PID 1), all in one boot. See tests/vm/README.md.
#
# usage: tests/vm/run.sh [--cgroup v2|v1] [--lsm apparmor|selinux|none] [--permissive] [--init shell|systemd]
#                        [--timeout S] [--mem MB] [--cpus N] [--accel auto|kvm|tcg] [--rt PATH] [--keep] [--criu]
#                        [--engines] -- BATS_ARG...
# --criu adds the CRIU layer (criu, GNU tar, iproute2's ip, iptables-restore, netfilter and *_diag
# modules); --engines (with --init systemd) the engines layer (containerd, Podman, conmon, images).
# BATS_ARG: bats files or directories under the repository, and bats options (--filter RE, --tap, ...).
# Exit code: that of bats in the guest; 124 when --timeout ran out; 125 when the VM failed (the
# console tail is printed); 2 for a usage error.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
VM_CACHE=${RT_VM_CACHE:-/var/cache/rt-vm}
# shellcheck source=lib/build.sh
. "$HERE/lib/build.sh"

usage() {
	sed -n 's/^# \{0,1\}//; 5,13p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

CG=v2 LSM=apparmor SEMODE=enforcing INIT=shell TIMEOUT=600 MEM=2048 CPUS=2 ACCEL=auto RTBIN=$REPO/rt KEEP=0
CRIU=0 ENGINES=0
while [ $# -gt 0 ]; do
	case $1 in
	--cgroup) CG=${2:-}; shift 2 || usage ;;
	--lsm) LSM=${2:-}; shift 2 || usage ;;
	--permissive) SEMODE=permissive; shift ;;
	--init) INIT=${2:-}; shift 2 || usage ;;
	--timeout) TIMEOUT=${2:-}; shift 2 || usage ;;
	--mem) MEM=${2:-}; shift 2 || usage ;;
	--cpus) CPUS=${2:-}; shift 2 || usage ;;
	--accel) ACCEL=${2:-}; shift 2 || usage ;;
	--rt) RTBIN=${2:-}; shift 2 || usage ;;
	--keep) KEEP=1; shift ;;
	--criu) CRIU=1; shift ;;
	--engines) ENGINES=1; shift ;;
	--) shift; break ;;
	-h | --help) usage ;;
	*) echo "rt-vm: unknown option $1" >&2; usage ;;
	esac
done
case $CG in v1 | v2) ;; *) echo "rt-vm: --cgroup must be v1 or v2, not '$CG'" >&2; exit 2 ;; esac
case $LSM in apparmor | selinux | none) ;; *) echo "rt-vm: --lsm must be apparmor, selinux or none, not '$LSM'" >&2; exit 2 ;; esac
case $INIT in shell | systemd) ;; *) echo "rt-vm: --init must be shell or systemd, not '$INIT'" >&2; exit 2 ;; esac
# systemd would load the SELinux policy itself, differently from the shell init: not combined.
[ "$INIT" = systemd ] && [ "$LSM" = selinux ] && { echo "rt-vm: --init systemd does not go with --lsm selinux" >&2; exit 2; }
# The engines run on the systemd cgroup driver: they need systemd's D-Bus.
[ "$ENGINES" = 1 ] && [ "$INIT" != systemd ] && { echo "rt-vm: --engines needs --init systemd" >&2; exit 2; }
case $ACCEL in auto | kvm | tcg) ;; *) echo "rt-vm: --accel must be auto, kvm or tcg" >&2; exit 2 ;; esac
for n in "$TIMEOUT" "$MEM" "$CPUS"; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "rt-vm: '$n' is not a positive integer" >&2; exit 2; }
done
[ $# -gt 0 ] || { echo "rt-vm: no bats files given" >&2; usage; }
[[ $REPO =~ ^[A-Za-z0-9_./+-]+$ ]] || { echo "rt-vm: repository path '$REPO' has characters the kernel cmdline cannot carry" >&2; exit 2; }

# Bats arguments that name host paths become absolute; the guest sees the repository read-only at
# the same path, so they must lie inside it.
BATS_ARGS=()
for a in "$@"; do
	if [ -e "$a" ]; then
		abs=$(realpath "$a")
		case $abs in "$REPO" | "$REPO"/*) ;; *)
			echo "rt-vm: $a is outside the repository $REPO, which is all the guest sees" >&2
			exit 2
			;;
		esac
		a=$abs
	fi
	BATS_ARGS+=("$a")
done

T0=$(date +%s.%N)
mkdir -p "$VM_CACHE" || { echo "rt-vm: cannot create cache dir $VM_CACHE" >&2; exit 125; }
# One builder at a time; concurrent runs wait here and then share the cached base.
exec 9>"$VM_CACHE/.lock"
flock 9
SE_NEEDS=() SD_NEEDS=()
[ "$LSM" = selinux ] && SE_NEEDS=("${VM_SELINUX_NEEDS[@]}")
[ "$INIT" = systemd ] && SD_NEEDS=("${VM_SYSTEMD_NEEDS[@]}")
CRIU_NEEDS=()
[ "$CRIU" = 1 ] && CRIU_NEEDS=("${VM_CRIU_NEEDS[@]}")
EN_NEEDS=()
[ "$ENGINES" = 1 ] && EN_NEEDS=("${VM_ENGINES_NEEDS[@]}")
vm_ensure_host_tools "${SE_NEEDS[@]}" "${SD_NEEDS[@]}" "${CRIU_NEEDS[@]}" "${EN_NEEDS[@]}" || exit 125
KV=$(vm_kernel_version)
if [ -z "$KV" ]; then
	apt-get update -qq && KV=$(vm_kernel_version)
	[ -n "$KV" ] || { vm_log "apt offers no linux-image-6.1.*-amd64"; exit 125; }
fi
vm_fetch_kernel "$KV" || exit 125
KIMG=$(vm_kernel_image "$KV")
HASH=$({
	cat "$HERE/init" "$HERE/lib/build.sh"
	dpkg-query -W "${VM_GUEST_PKGS[@]}" bats busybox-static apparmor
} | sha256sum | cut -c1-16)
BASE=$VM_CACHE/base-$KV-$HASH.cpio
if [ ! -f "$BASE" ]; then
	vm_log "building base initramfs for $KV (harness hash $HASH)"
	vm_build_base "$KV" "$HERE/init" "$BASE" || { vm_log "base initramfs build failed"; exit 125; }
	find "$VM_CACHE" -maxdepth 1 -name 'base-*.cpio*' ! -name "base-$KV-$HASH.cpio*" -delete
fi
LAYERS=("$BASE")
# add_layer KIND HASH BUILD_FN ARG...: the cached layer base-...cpio.KIND-HASH, built with
# BUILD_FN ARG... (an ARG of {} is the layer's path) when missing (older ones of that kind are
# deleted), goes on LAYERS.
add_layer() {
	local kind=$1 hash=$2 fn=$3 a args=()
	shift 3
	local layer=$BASE.$kind-$hash
	for a in "$@"; do
		[ "$a" = "{}" ] && a=$layer
		args+=("$a")
	done
	if [ ! -f "$layer" ]; then
		vm_log "building the $kind layer (package hash $hash)"
		"$fn" "${args[@]}" || { vm_log "$kind layer build failed"; exit 125; }
		find "$VM_CACHE" -maxdepth 1 -name "base-$KV-$HASH.cpio.$kind-*" ! -name "${layer##*/}" -delete
	fi
	LAYERS+=("$layer")
}
if [ "$LSM" = selinux ]; then
	add_layer selinux "$({
		cat "$HERE/selinux/rt-test.cil"
		dpkg-query -W "${VM_SELINUX_PKGS[@]}"
	} | sha256sum | cut -c1-16)" vm_build_selinux_layer "$BASE" {} "$HERE/selinux/rt-test.cil"
fi
if [ "$INIT" = systemd ]; then
	add_layer systemd "$(dpkg-query -W "${VM_SYSTEMD_PKGS[@]}" | sha256sum | cut -c1-16)" vm_build_systemd_layer "$BASE" {}
fi
if [ "$CRIU" = 1 ]; then
	add_layer criu "$(dpkg-query -W "${VM_CRIU_PKGS[@]}" | sha256sum | cut -c1-16)" vm_build_criu_layer "$KV" "$BASE" {}
fi
if [ "$ENGINES" = 1 ]; then
	add_layer engines "$({
		cat "$REPO/tests/e2e/lib.sh"
		dpkg-query -W "${VM_ENGINES_PKGS[@]}"
	} | sha256sum | cut -c1-16)" vm_build_engines_layer "$BASE" {} "$REPO/tests/e2e/lib.sh"
fi
flock -u 9
T1=$(date +%s.%N)

RUN=$(mktemp -d /tmp/rt-vm.XXXXXX) || exit 125
QPID='' TPID=''
cleanup() {
	[ -n "$TPID" ] && kill "$TPID" 2>/dev/null
	[ -n "$QPID" ] && kill "$QPID" 2>/dev/null && wait "$QPID" 2>/dev/null
	if [ "$KEEP" = 1 ]; then vm_log "kept $RUN"; else rm -rf "$RUN"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Per-run initramfs part: the run script, and rt (plus libraries the base lacks) when it lives
# outside the shared repository.
PR=$RUN/root
mkdir -p "$PR/opt/rt-vm"
RT=$(realpath -m "$RTBIN")
if [ -f "$RT" ]; then
	case $RT in "$REPO"/*) ;; *)
		# Keep the base name: the suite's helpers tell rt from another runtime by it.
		mkdir -p "$PR/opt/rt-vm/bin" && cp "$RT" "$PR/opt/rt-vm/bin/" || exit 125
		RTHOST=$RT RT=/opt/rt-vm/bin/${RT##*/}
		;;
	esac
	# The guest's /lib, /lib64, /bin and /sbin are symlinks into /usr: a file under them must be
	# packed at its /usr path, or the archive would replace the symlink with a directory.
	ldd "${RTHOST:-$RT}" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
		case $lib in /lib/* | /lib64/* | /bin/* | /sbin/*) dst=/usr$lib ;; *) dst=$lib ;; esac
		grep -qxF "$dst" "$BASE.files" && continue
		mkdir -p "$PR$(dirname "$dst")" && cp -L "$lib" "$PR$dst"
	done
else
	vm_log "note: no rt binary at $RT (build it with 'go build -o rt .'); tests that run it will fail"
fi
{
	echo 'export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TMPDIR=/tmp TERM=dumb RT_VM=1'
	printf 'export RT=%q REPO=%q RT_VM_CGROUP=%q RT_VM_LSM=%q RT_VM_INIT=%q\n' "$RT" "$REPO" "$CG" "$LSM" "$INIT"
	[ "$LSM" = selinux ] && printf 'export RT_VM_SELINUX=%q\n' "$SEMODE"
	[ "$CRIU" = 1 ] && printf 'export RT_VM_CRIU=1\n'
	[ "$ENGINES" = 1 ] && printf 'export RT_VM_ENGINES=1\n'
	printf 'echo "rt-vm: guest ready at uptime $(cut -d" " -f1 /proc/uptime)s" >/dev/console\n'
	printf 'exec bats'
	printf ' %q' "${BATS_ARGS[@]}"
	echo
} >"$PR/opt/rt-vm/run"
(cd "$PR" && find . | cpio -o -H newc --quiet -R 0:0) | cat "${LAYERS[@]}" - >"$RUN/initrd" || exit 125

CMDLINE="console=ttyS0 quiet loglevel=4 panic=-1 oops=panic rdinit=/init vm.cgroup=$CG vm.lsm=$LSM vm.init=$INIT vm.repo=$REPO"
case $CG in
v2) CMDLINE+=" systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all" ;;
v1) CMDLINE+=" systemd.unified_cgroup_hierarchy=0" ;;
esac
case $LSM in
apparmor) CMDLINE+=" apparmor=1 security=apparmor" ;;
# SELINUX_BOOTPARAM is off in Debian's kernel: security= (not selinux=1) selects SELinux.
selinux) CMDLINE+=" security=selinux vm.selinux=$SEMODE" ;;
none) CMDLINE+=" apparmor=0" ;;
esac
# A PVM /dev/kvm (kvm_pvm loaded) runs only PVM-built guest kernels: use TCG there.
if [ "$ACCEL" = auto ]; then
	ACCEL=tcg
	[ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ] && ACCEL=kvm
fi
if [ "$ACCEL" = kvm ]; then A=(-enable-kvm -cpu host); else A=(-accel tcg,thread=multi -cpu max); fi
Q=("${A[@]}" -M pc -smp "$CPUS" -m "$MEM" -nodefaults -no-user-config -display none -no-reboot
	-bios /usr/share/qemu/qboot.rom -kernel "$KIMG"
	-initrd "$RUN/initrd" -append "$CMDLINE" -serial "file:$RUN/console.log"
	-device virtio-serial-pci -device virtio-rng-pci
	-fsdev "local,id=repo,path=$REPO,security_model=none,readonly=on"
	-device virtio-9p-pci,fsdev=repo,mount_tag=repo)
for p in stdout stderr rc; do
	: >"$RUN/$p"
	Q+=(-chardev "file,id=$p,path=$RUN/$p" -device "virtserialport,chardev=$p,name=vm.$p")
done

timeout -k 5 "$TIMEOUT" qemu-system-x86_64 "${Q[@]}" </dev/null >"$RUN/qemu.log" 2>&1 &
QPID=$!
# The guest's stdout streams to ours while the tests run.
tail -s 0.2 -n +1 -f --pid="$QPID" "$RUN/stdout" &
TPID=$!
wait "$QPID"
QRC=$?
QPID=
wait "$TPID"
TPID=
cat "$RUN/stderr" >&2
T2=$(date +%s.%N)

RC=$(tr -dc 0-9 <"$RUN/rc")
READY=$(sed -n 's/^rt-vm: guest ready at uptime \([0-9.]*\)s.*/\1/p' "$RUN/console.log" | tail -n1)
DONE=$(sed -n 's/^rt-vm: guest done at uptime \([0-9.]*\)s.*/\1/p' "$RUN/console.log" | tail -n1)
[ "$LSM" = selinux ] && LSM="selinux ($SEMODE)"
vm_log "$(printf 'kernel %s (%s), %s, init %s, cgroup %s, lsm %s: prepare %.1fs, vm %.1fs (guest booted in %ss, tests done at %ss)' \
	"$KV" "${KIMG##*/}" "$ACCEL" "$INIT" "$CG" "$LSM" "$(awk "BEGIN{print $T1 - $T0}")" "$(awk "BEGIN{print $T2 - $T1}")" \
	"${READY:-?}" "${DONE:-?}")"
if [ -z "$RC" ]; then
	if [ "$QRC" = 124 ] || [ "$QRC" = 137 ]; then
		RC=124
		vm_log "timed out after ${TIMEOUT}s; console tail:"
	else
		RC=125
		vm_log "no exit status from the guest (qemu exit $QRC); console tail:"
	fi
	tail -n 40 "$RUN/console.log" >&2
	[ -s "$RUN/qemu.log" ] && { vm_log "qemu said:"; tail -n 20 "$RUN/qemu.log" >&2; }
fi
exit "$RC"
