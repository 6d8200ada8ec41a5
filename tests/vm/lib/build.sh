# shellcheck shell=bash
# Sourced by tests/vm/run.sh: host tool install, Debian kernel fetch, and the cached base initramfs.
#
# Cache layout under $RT_VM_CACHE (default /var/cache/rt-vm):
#   kernel-<KV>/            linux-image.deb (apt-get download, never installed), its vmlinuz and
#                           the vmlinux unpacked from it
#   base-<KV>-<hash>.cpio   the guest userland + modules; <hash> covers every harness file, so an
#                           edit to the harness rebuilds it and an unchanged harness reuses it.
#   base-<KV>-<hash>.cpio.selinux-<sehash>
#                           the SELinux layer (--lsm selinux only): Debian's policy and its tools,
#                           appended to that base; <sehash> covers the SELinux package versions.
#   base-<KV>-<hash>.cpio.systemd-<sdhash>
#                           the systemd layer (--init systemd only): systemd, its shared library
#                           and D-Bus with the units that run the tests; <sdhash> covers their
#                           package versions.

# Host packages the harness needs, as "path-that-proves-it-is-there:package".
VM_HOST_NEEDS=(
	/usr/bin/qemu-system-x86_64:qemu-system-x86
	/usr/share/qemu/qboot.rom:qemu-system-data
	/usr/bin/cpio:cpio
	/sbin/depmod:kmod
	/usr/sbin/apparmor_parser:apparmor
	/bin/busybox:busybox-static
	/usr/bin/bats:bats
	/usr/bin/jq:jq
	/usr/bin/timeout:coreutils
	/usr/bin/xz:xz-utils
	/usr/bin/readelf:binutils
)

# Host packages the SELinux layer needs (--lsm selinux only). They install a policy under
# /etc/selinux and tools; on a kernel without SELinux (or one booted with another LSM) they enable
# nothing, and the only boot hook (policycoreutils' sysvinit selinux-autorelabel) does nothing
# without SELinux either.
VM_SELINUX_NEEDS=(
	/etc/selinux/default/policy:selinux-policy-default
	/usr/sbin/load_policy:policycoreutils
	/usr/sbin/getenforce:selinux-utils
)
VM_SELINUX_PKGS=(selinux-policy-default policycoreutils selinux-utils)

# Host packages the systemd layer needs (--init systemd only). On a host whose init is not systemd
# they switch nothing (that is systemd-sysv, which is not installed) and start nothing (policy-rc.d).
VM_SYSTEMD_NEEDS=(
	/lib/systemd/systemd:systemd
	/usr/bin/dbus-daemon:dbus-daemon
	/usr/share/dbus-1/system.conf:dbus-system-bus-common
	/lib/systemd/system/dbus.service:dbus
	/usr/bin/newuidmap:uidmap
	/usr/lib/systemd/user/dbus.socket:dbus-user-session
	/usr/share/dbus-1/session.conf:dbus-session-bus-common
)
# uidmap (newuidmap/newgidmap, setuid) and dbus-user-session with its bus configuration (the user
# bus of systemd --user) are for the rootless tests, run as the layer's user rttest (uid 1000,
# subordinate ids 100000-165535).
VM_SYSTEMD_PKGS=(systemd libsystemd-shared dbus dbus-daemon dbus-system-bus-common uidmap dbus-user-session
	dbus-session-bus-common)

# Host packages whose executables are copied whole into the guest (GNU tools bats and tests use).
VM_GUEST_PKGS=(bash coreutils findutils grep sed mawk diffutils procps util-linux mount kmod jq)

# Kernel modules loaded at boot or on demand in the guest (their dependencies come along).
# autofs4 is for systemd (--init systemd), which loads it itself at start.
VM_MODULES=(virtio_pci virtio_console virtio_rng 9pnet_virtio 9p overlay veth bridge dummy loop tun autofs4)

vm_log() { echo "rt-vm: $*" >&2; }

# vm_ensure_host_tools [NEED...] installs the host packages of VM_HOST_NEEDS and of the given
# "path:package" pairs that are missing; apt-get update runs only if one is missing.
vm_ensure_host_tools() {
	local need missing=()
	for need in "${VM_HOST_NEEDS[@]}" "$@"; do
		[ -e "${need%%:*}" ] || missing+=("${need#*:}")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	vm_log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || { vm_log "apt-get update failed"; return 1; }
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		{ vm_log "apt-get install ${missing[*]} failed"; return 1; }
}

# vm_kernel_version prints the linux-image-6.1.*-amd64 version apt offers (the one the
# linux-image-amd64 metapackage points at, else the highest), falling back to the newest cached one.
vm_kernel_version() {
	local kv
	kv=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\(6\.1\.[0-9]*-[0-9]*-amd64\)$/\1/p' | head -n1)
	if [ -z "$kv" ]; then
		kv=$(apt-cache search --names-only '^linux-image-6\.1\.[0-9.]*-[0-9]*-amd64$' 2>/dev/null |
			awk '{print $1}' | sed 's/^linux-image-//' | sort -V | tail -n1)
	fi
	if [ -z "$kv" ]; then
		kv=$(find "$VM_CACHE" -maxdepth 1 -name 'kernel-6.1.*-amd64' -printf '%f\n' 2>/dev/null |
			sed 's/^kernel-//' | sort -V | tail -n1)
	fi
	[ -n "$kv" ] && echo "$kv"
}

# vm_fetch_kernel downloads linux-image-$1 once into $VM_CACHE/kernel-$1 (the .deb, kept packed:
# only a base rebuild needs the modules) and unpacks its vmlinuz beside it.
vm_fetch_kernel() {
	local kv=$1 dir=$VM_CACHE/kernel-$1 tmp
	[ -f "$dir/vmlinuz" ] && [ -f "$dir/linux-image.deb" ] && return 0
	vm_log "downloading linux-image-$kv"
	tmp=$(mktemp -d "$VM_CACHE/dl.XXXXXX") || return 1
	# apt drops to the _apt user for downloads; let it write into the directory.
	id _apt >/dev/null 2>&1 && chown _apt "$tmp"
	if ! (cd "$tmp" && apt-get download -qq "linux-image-$kv" 2>/dev/null); then
		apt-get update -qq && (cd "$tmp" && apt-get download -qq "linux-image-$kv") ||
			{ rm -rf "$tmp"; vm_log "apt-get download linux-image-$kv failed"; return 1; }
	fi
	rm -rf "$dir"
	mkdir -p "$dir/x" &&
		mv "$tmp"/linux-image-"$kv"_*.deb "$dir/linux-image.deb" &&
		dpkg-deb --fsys-tarfile "$dir/linux-image.deb" | tar -x -C "$dir/x" "./boot/vmlinuz-$kv" &&
		mv "$dir/x/boot/vmlinuz-$kv" "$dir/vmlinuz" ||
		{ rm -rf "$tmp" "$dir"; vm_log "unpack linux-image-$kv failed"; return 1; }
	rm -rf "$tmp" "$dir/x"
}

# vm_kernel_image prints the image qemu boots for kernel $1. Under TCG, decompressing the bzImage
# costs ~5 s a boot, so the ELF vmlinux inside it is unpacked once and booted through its PVH entry
# note; a kernel without one (or an image that will not unpack) boots as the bzImage.
vm_kernel_image() {
	local dir=$VM_CACHE/kernel-$1 off
	if [ ! -f "$dir/vmlinux" ] && [ ! -f "$dir/vmlinux.none" ]; then
		for off in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$dir/vmlinuz" | cut -d: -f1); do
			# xz stops with an error at the data that follows the stream; the output is whole.
			tail -c +$((off + 1)) "$dir/vmlinuz" | xz -dc >"$dir/vmlinux.tmp" 2>/dev/null
			[ "$(head -c4 "$dir/vmlinux.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || continue
			# XEN_ELFNOTE_PHYS32_ENTRY (type 0x12) is the PVH entry point qemu needs.
			readelf -n "$dir/vmlinux.tmp" 2>/dev/null | grep -q 'note type: (0x00000012)' &&
				mv "$dir/vmlinux.tmp" "$dir/vmlinux"
			break
		done
		rm -f "$dir/vmlinux.tmp"
		[ -f "$dir/vmlinux" ] || touch "$dir/vmlinux.none"
	fi
	if [ -f "$dir/vmlinux" ]; then echo "$dir/vmlinux"; else echo "$dir/vmlinuz"; fi
}

# vm_copy_lib_deps copies the shared libraries $1 loads (per ldd) into the stage dir $2.
vm_copy_lib_deps() {
	local bin=$1 st=$2 lib
	ldd "$bin" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
		[ -e "$st$lib" ] && continue
		mkdir -p "$st$(dirname "$lib")" && cp -L "$lib" "$st$lib"
	done
}

# vm_copy_file copies host file $1 to the same path under stage dir $2 (following symlinks),
# with its libraries when it is an ELF executable.
vm_copy_file() {
	local f=$1 st=$2
	[ -e "$st$f" ] && return 0
	mkdir -p "$st$(dirname "$f")" && cp -L "$f" "$st$f" || return 1
	if [ -x "$f" ] && head -c4 "$f" | grep -q 'ELF'; then vm_copy_lib_deps "$f" "$st"; fi
	return 0
}

# vm_copy_pkg_bins copies every executable a host package installs in a bin or sbin directory.
vm_copy_pkg_bins() {
	local pkg=$1 st=$2 f
	dpkg -L "$pkg" >/dev/null 2>&1 || { vm_log "host package $pkg is not installed"; return 1; }
	while read -r f; do
		[ -f "$f" ] && [ -x "$f" ] || continue
		vm_copy_file "$f" "$st" || return 1
	done < <(dpkg -L "$pkg" | grep -E '^/(usr/)?s?bin/[^/]+$')
}

# vm_stage_modules unpacks the kernel package (dpkg-deb -x, not installed) and copies VM_MODULES and
# their dependencies into the stage dir $2, with a modules.dep so modprobe works in the guest;
# /etc/rt-vm/boot-modules lists the ones init loads at boot.
vm_stage_modules() {
	local kv=$1 st=$2 k m f rel
	k=$(mktemp -d "$VM_CACHE/kmod.XXXXXX") || return 1
	if ! { dpkg-deb -x "$VM_CACHE/kernel-$kv/linux-image.deb" "$k" && depmod -b "$k" "$kv"; }; then
		rm -rf "$k"
		vm_log "unpack modules of linux-image-$kv failed"
		return 1
	fi
	mkdir -p "$st/lib/modules/$kv" "$st/etc/rt-vm"
	for m in "${VM_MODULES[@]}"; do
		modprobe -d "$k" -S "$kv" --show-depends "$m" >"$k/deps" ||
			{ rm -rf "$k"; vm_log "module $m is not in linux-image-$kv"; return 1; }
		while read -r f; do
			rel=${f#"$k"/lib/modules/"$kv"/}
			mkdir -p "$st/lib/modules/$kv/$(dirname "$rel")" && cp -n "$f" "$st/lib/modules/$kv/$rel"
		done < <(awk '$1 == "insmod" {print $2}' "$k/deps")
	done
	cp "$k/lib/modules/$kv"/modules.{order,builtin,builtin.modinfo} "$st/lib/modules/$kv/"
	rm -rf "$k"
	depmod -b "$st" "$kv" || { vm_log "depmod of the guest modules failed"; return 1; }
	printf '%s\n' virtio_pci virtio_console virtio_rng 9pnet_virtio 9p >"$st/etc/rt-vm/boot-modules"
}

# vm_build_base builds the base initramfs $3 for kernel $1 with guest init $2, and $3.files, the
# absolute guest paths it holds (run.sh packs only the libraries of rt that are not among them).
vm_build_base() {
	local kv=$1 init=$2 out=$3 st rc=0
	st=$(mktemp -d "$VM_CACHE/stage.XXXXXX") || return 1
	vm_fill_stage "$kv" "$init" "$st" &&
		(cd "$st" && find . | cpio -o -H newc --quiet -R 0:0) >"$out.tmp" &&
		(cd "$st" && find . ! -type d | sed 's|^\.||') >"$out.files" &&
		mv "$out.tmp" "$out" || rc=1
	rm -rf "$st" "$out.tmp"
	[ $rc = 0 ] || rm -f "$out.files"
	return $rc
}

# vm_fill_stage lays out the guest root filesystem in the stage dir $3.
vm_fill_stage() {
	local kv=$1 init=$2 st=$3 d f a pkg
	mkdir -p "$st"/usr/{bin,sbin,lib,lib64}
	for d in bin sbin lib lib64; do ln -s "usr/$d" "$st/$d"; done
	mkdir -p "$st"/{dev,proc,sys,run,tmp,mnt,etc,root,var/tmp,opt/rt}
	chmod 1777 "$st/tmp" "$st/var/tmp"
	for pkg in "${VM_GUEST_PKGS[@]}"; do vm_copy_pkg_bins "$pkg" "$st" || return 1; done
	# awk is an alternatives link, in no package's file list: mawk, not busybox's (no math).
	ln -s mawk "$st/usr/bin/awk" || return 1
	vm_copy_file /usr/sbin/apparmor_parser "$st" &&
		vm_copy_file /lib64/ld-linux-x86-64.so.2 "$st" || return 1
	# bats is shell scripts: the entry point and its lib/libexec trees.
	mkdir -p "$st/usr/libexec" &&
		cp -L /usr/bin/bats "$st/usr/bin/bats" &&
		cp -a /usr/lib/bats-core "$st/usr/lib/" &&
		cp -a /usr/libexec/bats-core "$st/usr/libexec/" || return 1
	# busybox fills in whatever the GNU packages above did not bring (ip, hostname, ...).
	cp /bin/busybox "$st/usr/bin/busybox" || return 1
	for a in $(/bin/busybox --list-full); do
		f=${a##*/}
		[ -e "$st/usr/bin/$f" ] || [ -e "$st/usr/sbin/$f" ] || ln -s /usr/bin/busybox "$st/usr/bin/$f"
	done
	# AppArmor policy includes the parser needs for profiles that use abstractions/tunables/abi.
	mkdir -p "$st/etc/apparmor.d" "$st/usr/share"
	cp -a /etc/apparmor.d/{tunables,abstractions,abi} "$st/etc/apparmor.d/" &&
		cp -a /etc/apparmor "$st/etc/" || return 1
	[ -d /usr/share/apparmor-features ] && cp -a /usr/share/apparmor-features "$st/usr/share/"
	printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
		>"$st/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$st/etc/group"
	printf '127.0.0.1 localhost vm\n' >"$st/etc/hosts"
	: >"$st/etc/fstab"
	ln -s /proc/self/mounts "$st/etc/mtab"
	vm_stage_modules "$kv" "$st" || return 1
	cp "$init" "$st/init" && chmod 755 "$st/init"
}

# vm_pack_layer ST OUT: the staged tree ST as the cpio layer OUT (through OUT.tmp), without the
# /bin, /sbin, /lib and /lib64 symlinks, which are the base's: a layer must not replace them.
vm_pack_layer() {
	(cd "$1" && find . -path ./bin -prune -o -path ./sbin -prune -o -path ./lib -prune \
		-o -path ./lib64 -prune -o -print | cpio -o -H newc --quiet -R 0:0) >"$2.tmp" &&
		mv "$2.tmp" "$2"
}

# vm_build_selinux_layer builds $2, the SELinux part appended to base $1 for --lsm selinux: Debian's
# policy with the test module $3 (CIL) added, in /etc/selinux (without the 7 MB compiled
# file_contexts.bin, which nothing in the guest needs: libselinux reads the text file_contexts when
# the .bin is missing), the executables of VM_SELINUX_PKGS, and the libraries they load that the base
# lacks.
vm_build_selinux_layer() {
	local base=$1 out=$2 cil=$3 st d rc=0
	st=$(mktemp -d "$VM_CACHE/stage.XXXXXX") || return 1
	mkdir -p "$st"/usr/{bin,sbin,lib,lib64} "$st/etc"
	for d in bin sbin lib lib64; do ln -s "usr/$d" "$st/$d"; done
	(
		set -o pipefail
		for pkg in "${VM_SELINUX_PKGS[@]}"; do vm_copy_pkg_bins "$pkg" "$st" || exit 1; done
		# The policy is rebuilt from a copy of the host's store with the test module added;
		# semodule -p works under the stage dir and never touches the host's store or policy.
		mkdir -p "$st/var/lib/selinux" &&
			cp -a /etc/selinux "$st/etc/" &&
			cp -a /var/lib/selinux/default "$st/var/lib/selinux/" &&
			semodule -p "$st" -s default -i "$cil" 2>"$st/semodule.log" ||
			{ vm_log "semodule -i $cil failed: $(cat "$st/semodule.log")"; exit 1; }
		rm -rf "${st:?}/var" "$st/semodule.log" &&
			find "$st/etc/selinux" -name 'file_contexts*.bin' -delete || exit 1
		# Files the base already has stay out of the layer.
		(cd "$st" && find . ! -type d ! -type l | sed 's|^\.||') | { grep -xF -f "$base.files" || true; } |
			while read -r f; do rm -f "$st$f"; done || exit 1
		vm_pack_layer "$st" "$out"
	) || rc=1
	rm -rf "$st" "$out.tmp"
	return $rc
}

# vm_copy_pkg_tree copies what host package $1 installs (files and symlinks, without docs, manuals,
# translations, shell completions and sysvinit scripts) into the stage dir $2, with the libraries
# of its ELF files. Paths under /bin, /sbin, /lib and /lib64 go to their /usr place, where the
# guest's symlinks lead.
vm_copy_pkg_tree() {
	local pkg=$1 st=$2 f dst
	dpkg -L "$pkg" >/dev/null 2>&1 || { vm_log "host package $pkg is not installed"; return 1; }
	while read -r f; do
		[ -L "$f" ] || [ -f "$f" ] || continue
		case $f in
		/usr/share/doc/* | /usr/share/man/* | /usr/share/locale/* | /usr/share/bash-completion/* | \
			/usr/share/zsh/* | /usr/share/lintian/* | /usr/share/bug/* | /etc/init.d/*) continue ;;
		/lib/* | /lib64/* | /bin/* | /sbin/*) dst=/usr$f ;;
		*) dst=$f ;;
		esac
		[ -e "$st$dst" ] || [ -L "$st$dst" ] && continue
		mkdir -p "$st$(dirname "$dst")" && cp -P --preserve=mode "$f" "$st$dst" || return 1
		if [ ! -L "$f" ] && head -c4 "$f" | grep -q ELF; then vm_copy_lib_deps "$f" "$st"; fi
	done < <(dpkg -L "$pkg")
}

# vm_build_systemd_layer builds $2, the systemd part appended to base $1 for --init systemd: the
# package trees of VM_SYSTEMD_PKGS and the libraries they load that the base lacks, the messagebus
# user D-Bus runs as, the rootless tests' user rttest with its subordinate ids, /etc/os-release, a
# machine id, and the test unit. The guest's /init execs
# systemd (vm.init=systemd); multi-user.target pulls in rt-vm-tests.service, which runs
# `/init tests` (the tests, their output and exit status on the virtio ports, as the shell init
# does) and then forces a reboot, which ends qemu (-no-reboot). getty.target is masked: without
# udev the serial getty waits 90 s for its device. user@.service runs without PAM (the guest has no
# PAM configuration; its PAM session would add pam_systemd's login session and XDG_RUNTIME_DIR,
# which the drop-in sets instead).
vm_build_systemd_layer() {
	local base=$1 out=$2 st d rc=0
	st=$(mktemp -d "$VM_CACHE/stage.XXXXXX") || return 1
	mkdir -p "$st"/usr/{bin,sbin,lib,lib64} "$st/etc"
	for d in bin sbin lib lib64; do ln -s "usr/$d" "$st/$d"; done
	(
		set -o pipefail
		for pkg in "${VM_SYSTEMD_PKGS[@]}"; do vm_copy_pkg_tree "$pkg" "$st" || exit 1; done
		# Files the base already has stay out of the layer (before the layer's own /etc files,
		# which replace the base's).
		(cd "$st" && find . ! -type d ! -type l | sed 's|^\.||') | { grep -xF -f "$base.files" || true; } |
			while read -r f; do rm -f "$st$f"; done || exit 1
		printf '%s\n' root:x:0:0:root:/root:/bin/bash \
			messagebus:x:100:101::/nonexistent:/usr/sbin/nologin \
			rttest:x:1000:1000::/nonexistent:/bin/sh \
			nobody:x:65534:65534:nobody:/nonexistent:/bin/false >"$st/etc/passwd" &&
			printf '%s\n' root:x:0: messagebus:x:101: rttest:x:1000: nogroup:x:65534: >"$st/etc/group" &&
			echo rttest:100000:65536 >"$st/etc/subuid" &&
			echo rttest:100000:65536 >"$st/etc/subgid" &&
			cp /usr/lib/os-release "$st/usr/lib/os-release" &&
			ln -s ../usr/lib/os-release "$st/etc/os-release" &&
			od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$st/etc/machine-id" &&
			echo >>"$st/etc/machine-id" &&
			echo vm >"$st/etc/hostname" || exit 1
		d=$st/etc/systemd/system
		mkdir -p "$d/multi-user.target.wants" &&
			ln -s /dev/null "$d/getty.target" &&
			ln -s /usr/lib/systemd/system/multi-user.target "$d/default.target" &&
			ln -s ../rt-vm-tests.service "$d/multi-user.target.wants/rt-vm-tests.service" || exit 1
		mkdir -p "$d/user@.service.d" && printf '[Service]\nPAMName=\nEnvironment=XDG_RUNTIME_DIR=/run/user/%%i\n' \
			>"$d/user@.service.d/rt-vm-nopam.conf" || exit 1
		cat >"$d/rt-vm-tests.service" <<-'EOF' || exit 1
			[Unit]
			Description=rt VM tests (tests/vm/run.sh --init systemd)
			After=multi-user.target dbus.service systemd-logind.service
			SuccessAction=reboot-force
			FailureAction=reboot-force

			[Service]
			Type=simple
			ExecStart=/init tests
			StandardInput=null
			StandardOutput=journal+console
		EOF
		vm_pack_layer "$st" "$out"
	) || rc=1
	rm -rf "$st" "$out.tmp"
	return $rc
}

# The CRIU layer (--criu only), for checkpoint/restore tests: Debian's criu with its libraries, GNU
# tar and gzip (CRIU dumps a container's tmpfs with tar; busybox tar cannot), iproute2's ip (CRIU
# saves a network namespace's addresses and routes with `ip addr save`), iptables-restore and
# ip6tables-restore (nft backend) with the xtables extensions CRIU's network lock loads, and the
# kernel modules CRIU needs for a container with a network namespace (without nf_conntrack_netlink
# the dump fails with "-22 reported by netlink") and for its socket dumps (*_diag), loaded at boot
# with tun (criu check wants it).
VM_CRIU_NEEDS=(
	/usr/sbin/criu:criu
	/usr/sbin/xtables-nft-multi:iptables
	/usr/bin/ip:iproute2
)
VM_CRIU_PKGS=(criu tar gzip iptables iproute2)
VM_CRIU_MODULES=(nfnetlink nf_tables nft_compat x_tables xt_mark nf_conntrack_netlink
	inet_diag tcp_diag udp_diag raw_diag unix_diag netlink_diag af_packet_diag tun)

# vm_build_criu_layer builds $3, the CRIU part appended to base $2 (kernel $1).
vm_build_criu_layer() {
	local kv=$1 base=$2 out=$3 st d f rc=0
	st=$(mktemp -d "$VM_CACHE/stage.XXXXXX") || return 1
	mkdir -p "$st"/usr/{bin,sbin,lib,lib64} "$st/etc"
	for d in bin sbin lib lib64; do ln -s "usr/$d" "$st/$d"; done
	(
		set -o pipefail
		vm_copy_pkg_bins criu "$st" && vm_copy_pkg_bins tar "$st" && vm_copy_pkg_bins gzip "$st" || exit 1
		vm_copy_file /usr/bin/ip "$st" || exit 1
		# Debian's iptables-restore is xtables-nft-multi under another name (it dispatches on it).
		for f in iptables-restore ip6tables-restore; do
			cp -L "/usr/sbin/$f" "$st/usr/sbin/$f" && vm_copy_lib_deps "/usr/sbin/$f" "$st" || exit 1
		done
		mkdir -p "$st/usr/lib/x86_64-linux-gnu" &&
			cp -a /usr/lib/x86_64-linux-gnu/xtables "$st/usr/lib/x86_64-linux-gnu/" || exit 1
		# The base's modules plus CRIU's, with one modules.dep for all; boot-modules lists the
		# base's and CRIU's.
		VM_MODULES=("${VM_MODULES[@]}" "${VM_CRIU_MODULES[@]}")
		vm_stage_modules "$kv" "$st" || exit 1
		printf '%s\n' "${VM_CRIU_MODULES[@]}" >>"$st/etc/rt-vm/boot-modules"
		# Files the base already has stay out of the layer, except executables (GNU tar and gzip
		# replace busybox's links), the module index and the boot list, which replace the base's.
		(cd "$st" && find . ! -type d ! -type l | sed 's|^\.||') | { grep -xF -f "$base.files" || true; } |
			grep -v -e '^/usr/s\{0,1\}bin/' -e '/lib/modules/[^/]*/modules\.' -e '^/etc/rt-vm/boot-modules$' |
			while read -r f; do rm -f "$st$f"; done || exit 1
		vm_pack_layer "$st" "$out"
	) || rc=1
	rm -rf "$st" "$out.tmp"
	return $rc
}

# The engines layer (--engines only, with --init systemd), for tests/e2e/systemd.bats: containerd
# (the daemon, ctr and the runc v2 shim), Podman with conmon and the containers-common config
# files, dockerd and the docker client, Debian's runc (dockerd will not start without one on its
# PATH, though the tests make rt its default runtime), the libraries they load that the base
# lacks, and the images the tests run, made on the host as tests/e2e does (tests/e2e/lib.sh: a
# busybox-static rootfs as a docker-archive) because the guest has no network:
# /opt/rt-e2e/busybox.tar and /opt/rt-e2e/pause.tar (the CRI sandbox image). Nothing of the
# packages' own units comes along: the tests start the daemons themselves.
VM_ENGINES_NEEDS=(
	/usr/bin/containerd:containerd
	/usr/bin/podman:podman
	/usr/bin/conmon:conmon
	/usr/share/containers/containers.conf:golang-github-containers-common
	/usr/sbin/dockerd:docker.io
	/usr/sbin/runc:runc
)
VM_ENGINES_PKGS=(containerd podman conmon golang-github-containers-common docker.io runc busybox-static)
VM_ENGINES_BINS=(/usr/bin/containerd /usr/bin/ctr /usr/bin/containerd-shim-runc-v2 /usr/bin/podman /usr/bin/conmon
	/usr/sbin/dockerd /usr/bin/docker /usr/sbin/runc)

# vm_build_engines_layer builds $2, the engines part appended to base $1; $3 is tests/e2e/lib.sh.
vm_build_engines_layer() {
	local base=$1 out=$2 e2elib=$3 st d f rc=0
	st=$(mktemp -d "$VM_CACHE/stage.XXXXXX") || return 1
	mkdir -p "$st"/usr/{bin,sbin,lib,lib64} "$st/etc"
	for d in bin sbin lib lib64; do ln -s "usr/$d" "$st/$d"; done
	(
		set -o pipefail
		for f in "${VM_ENGINES_BINS[@]}"; do vm_copy_file "$f" "$st" || exit 1; done
		# policy.json, registries.conf(.d), the default containers.conf and seccomp.json.
		while read -r f; do
			[ -f "$f" ] || continue
			case $f in /etc/containers/* | /usr/share/containers/*) vm_copy_file "$f" "$st" || exit 1 ;; esac
		done < <(dpkg -L golang-github-containers-common)
		# Files the base already has stay out of the layer.
		(cd "$st" && find . ! -type d ! -type l | sed 's|^\.||') | { grep -xF -f "$base.files" || true; } |
			while read -r f; do rm -f "$st$f"; done || exit 1
		# The CRI plugin copies the node's resolv.conf into every sandbox; the guest has no DNS.
		: >"$st/etc/resolv.conf" && mkdir -p "$st/opt/rt-e2e" || exit 1
		(
			# shellcheck source=../../e2e/lib.sh
			. "$e2elib" && E2E_TMP=$(mktemp -d "$VM_CACHE/img.XXXXXX") || exit 1
			trap 'rm -rf "$E2E_TMP"' EXIT
			make_rootfs "$E2E_TMP/rootfs" &&
				make_docker_archive "$E2E_TMP/rootfs" docker.io/rt-e2e/busybox:1 "$st/opt/rt-e2e/busybox.tar" sh &&
				make_docker_archive "$E2E_TMP/rootfs" docker.io/rt-e2e/pause:1 "$st/opt/rt-e2e/pause.tar" sleep 2147483647
		) || { vm_log "making the e2e images failed"; exit 1; }
		vm_pack_layer "$st" "$out"
	) || rc=1
	rm -rf "$st" "$out.tmp"
	return $rc
}
