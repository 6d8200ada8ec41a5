#!/usr/bin/env bats
# root.path / root.readonly / rootfsPropagation, the OCI mounts, mount
# options and propagation, targets and symlinks in the rootfs, --no-pivot.

load helpers

# mountline MOUNTPOINT: the line of $output (a mountinfo) for that mount point
# (the last one: the mount on top).
mountline() {
	awk -v m="$1" '$5 == m' <<<"$output" | tail -n 1
}

# mountopts MOUNTPOINT: its per-mount options (field 6).
mountopts() {
	mountline "$1" | awk '{print $6}'
}

# has_opt OPTS OPT: comma-separated OPTS contains OPT.
has_opt() {
	[[ ",$1," == *",$2,"* ]]
}

add_mount() {
	update_config '.mounts += [$m]' --argjson m "$1"
}

@test "root.path relative to the bundle" {
	make_bundle
	mv "$BUNDLE/rootfs" "$BUNDLE/myroot"
	update_config '.root.path = "myroot"'
	touch "$BUNDLE/myroot/marker"
	set_args ls /marker
	cd /
	run rt run --bundle "$BUNDLE" m-relroot
	[ "$status" -eq 0 ]
	[ "$output" = /marker ]
	assert_nothing_left m-relroot
}

@test "root.path absolute" {
	make_bundle
	update_config '.root.path = $p' --arg p "$BUNDLE/rootfs"
	set_args true
	run rt run --bundle "$BUNDLE" m-absroot
	[ "$status" -eq 0 ]
	assert_nothing_left m-absroot
}

@test "root.readonly: / is not writable, a tmpfs on /tmp is" {
	make_bundle
	update_config '.root.readonly = true'
	add_mount '{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]}'
	set_args sh -c 'if touch /rootfile 2>/dev/null; then echo root-writable; fi; touch /tmp/ok && echo tmp-writable; cat /proc/self/mountinfo'
	run rt run --bundle "$BUNDLE" m-ro
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = tmp-writable ]
	has_opt "$(mountopts /)" ro
	[[ "$(mountline /tmp)" == *" - tmpfs "* ]]
	[ ! -e "$BUNDLE/rootfs/rootfile" ]
	assert_nothing_left m-ro
}

@test "root.readonly false: / is writable" {
	make_bundle
	set_args touch /rootfile
	run rt run --bundle "$BUNDLE" m-rw
	[ "$status" -eq 0 ]
	[ -e "$BUNDLE/rootfs/rootfile" ]
	assert_nothing_left m-rw
}

@test "rootfsPropagation shared: / is a shared mount" {
	if "$RT" --version | head -n 1 | grep -Eq '^runc version 1\.[01]\.'; then
		skip "runc 1.1 leaves / private (opencontainers/runc#1755; fixed by #4724, in 1.2 by #4791)"
	fi
	make_bundle
	update_config '.linux.rootfsPropagation = "shared"'
	set_args cat /proc/self/mountinfo
	run rt run --bundle "$BUNDLE" m-rshared
	[ "$status" -eq 0 ]
	[[ "$(mountline /)" == *" shared:"* ]]
	assert_nothing_left m-rshared
}

@test "rootfsPropagation private: / has no propagation peers" {
	make_bundle
	update_config '.linux.rootfsPropagation = "private"'
	set_args cat /proc/self/mountinfo
	run rt run --bundle "$BUNDLE" m-rprivate
	[ "$status" -eq 0 ]
	line=$(mountline /)
	[ -n "$line" ]
	[[ "$line" != *" shared:"* && "$line" != *" master:"* ]]
	assert_nothing_left m-rprivate
}

@test "rootfsPropagation unbindable: / is unbindable" {
	make_bundle
	update_config '.linux.rootfsPropagation = "unbindable"'
	set_args cat /proc/self/mountinfo
	run rt run --bundle "$BUNDLE" m-runbind
	[ "$status" -eq 0 ]
	[[ "$(mountline /)" == *" unbindable"* ]]
	assert_nothing_left m-runbind
}

@test "rootfsPropagation with an unknown value fails" {
	make_bundle
	update_config '.linux.rootfsPropagation = "sideways"'
	set_args true
	run rt run --bundle "$BUNDLE" m-rbad
	[ "$status" -ne 0 ]
	assert_nothing_left m-rbad
}

@test "the default mounts: proc, sysfs, tmpfs /dev, devpts, mqueue, shm, cgroup" {
	make_bundle
	set_args cat /proc/self/mountinfo
	run rt run --bundle "$BUNDLE" m-default
	[ "$status" -eq 0 ]
	[[ "$(mountline /proc)" == *" - proc "* ]]
	[[ "$(mountline /sys)" == *" - sysfs "* ]]
	[[ "$(mountline /dev)" == *" - tmpfs "* ]]
	[[ "$(mountline /dev/pts)" == *" - devpts "* ]]
	[[ "$(mountline /dev/mqueue)" == *" - mqueue "* ]]
	[[ "$(mountline /dev/shm)" == *" - tmpfs "* ]]
	# cgroup v1 (this host): a hierarchy per controller under /sys/fs/cgroup;
	# cgroup v2: one cgroup2 mount.
	[[ "$output" == *" /sys/fs/cgroup"*" - cgroup"* ]]
	assert_nothing_left m-default
}

@test "mounts are made in order: a bind on top of an earlier tmpfs is visible" {
	make_bundle
	mkdir -p "$BATS_TEST_TMPDIR/host-dir"
	echo from-host >"$BATS_TEST_TMPDIR/host-dir/file"
	add_mount '{"destination": "/data", "type": "tmpfs", "source": "tmpfs"}'
	add_mount "$(jq -n --arg s "$BATS_TEST_TMPDIR/host-dir" '{destination: "/data/sub", type: "bind", source: $s, options: ["bind"]}')"
	set_args sh -c 'cat /data/sub/file; cat /proc/self/mountinfo'
	run rt run --bundle "$BUNDLE" m-order
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-host ]
	tmpfs_n=$(grep -n ' /data ' <<<"$output" | cut -d: -f1)
	bind_n=$(grep -n ' /data/sub ' <<<"$output" | cut -d: -f1)
	[ "$tmpfs_n" -lt "$bind_n" ]
	assert_nothing_left m-order
}

@test "tmpfs with size and mode options" {
	make_bundle
	add_mount '{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "mode=750", "nosuid"]}'
	set_args sh -c 'stat -c %a /scratch; df -k /scratch | tail -n 1; cat /proc/self/mountinfo'
	run rt run --bundle "$BUNDLE" m-tmpfs
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 750 ]
	read -r _ blocks _ <<<"${lines[1]}"
	[ "$blocks" -eq 1024 ]
	has_opt "$(mountopts /scratch)" nosuid
	[[ "$(mountline /scratch)" == *size=1024k* ]]
	assert_nothing_left m-tmpfs
}

@test "devpts: newinstance with ptmxmode" {
	make_bundle
	update_config '.mounts = [.mounts[] | if .destination == "/dev/pts" then .options = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] else . end]'
	set_args sh -c 'stat -c %a /dev/pts/ptmx; cat /proc/self/mountinfo'
	run rt run --bundle "$BUNDLE" m-devpts
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 666 ]
	line=$(mountline /dev/pts)
	[[ "$line" == *ptmxmode=666* ]]
	# A new instance: not the host's devpts (different device).
	[ "$(echo "$line" | awk '{print $3}')" != "$(awk '$5 == "/dev/pts" {print $3}' /proc/self/mountinfo)" ]
	assert_nothing_left m-devpts
}

@test "mqueue is a new instance" {
	make_bundle
	set_args sh -c 'grep " /dev/mqueue " /proc/self/mountinfo; ls /dev/mqueue | wc -l'
	run rt run --bundle "$BUNDLE" m-mqueue
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *" - mqueue "* ]]
	[ "${lines[1]}" -eq 0 ]
	assert_nothing_left m-mqueue
}

@test "cgroup mount is read-only" {
	make_bundle
	set_args sh -c 'ls /sys/fs/cgroup; if mkdir /sys/fs/cgroup/rt-test-must-fail 2>/dev/null; then echo TMPFS-WROTE; fi; if mkdir /sys/fs/cgroup/memory/rt-test-must-fail 2>/dev/null; then echo HIER-WROTE; fi'
	run rt run --bundle "$BUNDLE" m-cgro
	[ "$status" -eq 0 ]
	[[ "$output" != *HIER-WROTE* ]]
	# On v1 rt makes the tmpfs above the hierarchies read-only too (the
	# config says ro); runc 1.5 leaves it writable (ARCHITECTURE.md).
	if is_rt; then [[ "$output" != *TMPFS-WROTE* ]]; fi
	[[ "$output" == *memory* || "$output" == *cgroup.controllers* ]]
	assert_nothing_left m-cgro
}

@test "bind mount of a host directory" {
	make_bundle
	mkdir -p "$BATS_TEST_TMPDIR/host-dir"
	echo hello >"$BATS_TEST_TMPDIR/host-dir/f"
	add_mount "$(jq -n --arg s "$BATS_TEST_TMPDIR/host-dir" '{destination: "/mnt/hd", type: "bind", source: $s, options: ["bind"]}')"
	set_args sh -c 'cat /mnt/hd/f; echo back >/mnt/hd/g'
	run rt run --bundle "$BUNDLE" m-binddir
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
	[ "$(cat "$BATS_TEST_TMPDIR/host-dir/g")" = back ]
	assert_nothing_left m-binddir
}

@test "bind mount of a host file: the target file is created" {
	make_bundle
	echo file-content >"$BATS_TEST_TMPDIR/host-file"
	[ ! -e "$BUNDLE/rootfs/etc/bound" ]
	add_mount "$(jq -n --arg s "$BATS_TEST_TMPDIR/host-file" '{destination: "/etc/bound", type: "bind", source: $s, options: ["bind", "ro"]}')"
	set_args sh -c 'cat /etc/bound; [ -f /etc/bound ] && echo regular'
	run rt run --bundle "$BUNDLE" m-bindfile
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = file-content ]
	[ "${lines[1]}" = regular ]
	[ -f "$BUNDLE/rootfs/etc/bound" ]
	assert_nothing_left m-bindfile
}

@test "bind is not recursive, rbind is" {
	make_bundle
	mkdir -p "$BATS_TEST_TMPDIR/src/sub"
	mount -t tmpfs tmpfs "$BATS_TEST_TMPDIR/src/sub"
	echo in-sub >"$BATS_TEST_TMPDIR/src/sub/f"
	add_mount "$(jq -n --arg s "$BATS_TEST_TMPDIR/src" '{destination: "/b", type: "bind", source: $s, options: ["bind"]}')"
	add_mount "$(jq -n --arg s "$BATS_TEST_TMPDIR/src" '{destination: "/rb", type: "bind", source: $s, options: ["rbind"]}')"
	set_args sh -c 'cat /b/sub/f 2>/dev/null || echo b-empty; cat /rb/sub/f'
	run rt run --bundle "$BUNDLE" m-rbind
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = b-empty ]
	[ "${lines[1]}" = in-sub ]
	umount "$BATS_TEST_TMPDIR/src/sub"
	assert_nothing_left m-rbind
}

@test "bind mount options: ro, nosuid, nodev, noexec, noatime" {
	make_bundle
	mkdir -p "$BATS_TEST_TMPDIR/host-dir"
	cp /bin/busybox "$BATS_TEST_TMPDIR/host-dir/bb"
	add_mount "$(jq -n --arg s "$BATS_TEST_TMPDIR/host-dir" '{destination: "/opt", type: "bind", source: $s, options: ["bind", "ro", "nosuid", "nodev", "noexec", "noatime"]}')"
	set_args sh -c 'if touch /opt/x 2>/dev/null; then echo WROTE; fi; if /opt/bb true 2>/dev/null; then echo EXECUTED; fi; cat /proc/self/mountinfo'
	run rt run --bundle "$BUNDLE" m-opts
	[ "$status" -eq 0 ]
	[[ "$output" != *WROTE* && "$output" != *EXECUTED* ]]
	opts=$(mountopts /opt)
	for o in ro nosuid nodev noexec noatime; do
		has_opt "$opts" "$o"
	done
	assert_nothing_left m-opts
}

@test "bind mount options: rw, strictatime, and no nosuid/noexec by default" {
	make_bundle
	mkdir -p "$BATS_TEST_TMPDIR/host-dir"
	add_mount "$(jq -n --arg s "$BATS_TEST_TMPDIR/host-dir" '{destination: "/opt", type: "bind", source: $s, options: ["bind", "rw", "strictatime"]}')"
	set_args cat /proc/self/mountinfo
	run rt run --bundle "$BUNDLE" m-opts2
	[ "$status" -eq 0 ]
	opts=$(mountopts /opt)
	has_opt "$opts" rw
	! has_opt "$opts" noatime
	! has_opt "$opts" relatime
	! has_opt "$opts" noexec
	assert_nothing_left m-opts2
}

@test "bind mount propagation: private, shared, unbindable" {
	make_bundle
	mkdir -p "$BATS_TEST_TMPDIR/p"
	for m in private shared unbindable; do
		add_mount "$(jq -n --arg s "$BATS_TEST_TMPDIR/p" --arg m "$m" '{destination: ("/" + $m), type: "bind", source: $s, options: ["bind", $m]}')"
	done
	set_args cat /proc/self/mountinfo
	run rt run --bundle "$BUNDLE" m-prop
	[ "$status" -eq 0 ]
	line=$(mountline /private)
	[[ -n "$line" && "$line" != *" shared:"* && "$line" != *" master:"* && "$line" != *unbindable* ]]
	[[ "$(mountline /shared)" == *" shared:"* ]]
	[[ "$(mountline /unbindable)" == *" unbindable "* ]]
	assert_nothing_left m-prop
}

@test "bind mount propagation: slave of a shared host mount" {
	make_bundle
	mkdir -p "$BATS_TEST_TMPDIR/shared-src"
	mount -t tmpfs tmpfs "$BATS_TEST_TMPDIR/shared-src"
	mount --make-shared "$BATS_TEST_TMPDIR/shared-src"
	add_mount "$(jq -n --arg s "$BATS_TEST_TMPDIR/shared-src" '{destination: "/slave", type: "bind", source: $s, options: ["rbind", "rslave"]}')"
	set_args cat /proc/self/mountinfo
	run rt run --bundle "$BUNDLE" m-slave
	[ "$status" -eq 0 ]
	line=$(mountline /slave)
	[[ "$line" == *" master:"* ]]
	[[ "$line" != *" shared:"* ]]
	umount "$BATS_TEST_TMPDIR/shared-src"
	assert_nothing_left m-slave
}

@test "a mount target missing in the rootfs is created inside the rootfs" {
	make_bundle
	add_mount '{"destination": "/new/deep/dir", "type": "tmpfs", "source": "tmpfs"}'
	set_args grep -c " /new/deep/dir " /proc/self/mountinfo
	run rt run --bundle "$BUNDLE" m-mkdir
	[ "$status" -eq 0 ]
	[ "$output" -eq 1 ]
	[ -d "$BUNDLE/rootfs/new/deep/dir" ]
	assert_nothing_left m-mkdir
}

@test "a destination through an absolute symlink stays inside the rootfs" {
	make_bundle
	mkdir -p "$BATS_TEST_TMPDIR/outside"
	ln -s "$BATS_TEST_TMPDIR/outside" "$BUNDLE/rootfs/x"
	add_mount '{"destination": "/x/sub", "type": "tmpfs", "source": "tmpfs"}'
	set_args sh -c 'touch /x/sub/made-inside; cat /proc/self/mountinfo'
	run rt run --bundle "$BUNDLE" m-symabs
	# Whatever the runtime decides (refuse, or mount in the rootfs),
	# nothing is created or mounted outside it.
	[ ! -e "$BATS_TEST_TMPDIR/outside/sub" ]
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/outside")" ]
	# No host mount appeared under the test's tmpdir (the outside dir included).
	[ -z "$(test_mounts)" ]
	if [ "$status" -eq 0 ]; then
		# It was resolved inside the rootfs.
		[ -d "$BUNDLE/rootfs$BATS_TEST_TMPDIR/outside/sub" ]
	fi
	assert_nothing_left m-symabs
}

@test "a destination through a ../../.. symlink stays inside the rootfs" {
	make_bundle
	# On the host, rootfs/y/../.. resolves to $BATS_TEST_TMPDIR.
	ln -s ../../.. "$BUNDLE/rootfs/y"
	add_mount '{"destination": "/y/escaped", "type": "tmpfs", "source": "tmpfs"}'
	set_args sh -c 'grep " /escaped " /proc/self/mountinfo'
	run rt run --bundle "$BUNDLE" m-symrel
	[ ! -e "$BATS_TEST_TMPDIR/escaped" ]
	[ ! -e "$BUNDLE/escaped" ]
	[ -z "$(test_mounts)" ]
	if [ "$status" -eq 0 ]; then
		# ../../.. from / is /: the mount landed at /escaped in the rootfs.
		[[ "$output" == *" /escaped "* ]]
		[ -d "$BUNDLE/rootfs/escaped" ]
	fi
	assert_nothing_left m-symrel
}

@test "a bind source that is a symlink in the host is followed on the host" {
	make_bundle
	mkdir -p "$BATS_TEST_TMPDIR/real"
	echo real >"$BATS_TEST_TMPDIR/real/f"
	ln -s "$BATS_TEST_TMPDIR/real" "$BATS_TEST_TMPDIR/link"
	add_mount "$(jq -n --arg s "$BATS_TEST_TMPDIR/link" '{destination: "/l", type: "bind", source: $s, options: ["bind"]}')"
	set_args cat /l/f
	run rt run --bundle "$BUNDLE" m-srclink
	[ "$status" -eq 0 ]
	[ "$output" = real ]
	assert_nothing_left m-srclink
}

@test "--no-pivot: the container still sees only its rootfs" {
	make_bundle
	touch "$BUNDLE/rootfs/marker"
	set_args sh -c 'ls /marker; ls /bin/busybox; [ -e /work ] && echo HOST || true'
	run rt run --no-pivot --bundle "$BUNDLE" m-nopivot
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /marker ]
	[[ "$output" != *HOST* ]]
	assert_nothing_left m-nopivot
}

@test "create --no-pivot then start" {
	make_bundle
	set_args sleep 100
	create_container m-nopivot2 "$BUNDLE" --no-pivot
	rt start m-nopivot2
	wait_for_status m-nopivot2 running
	container_pid m-nopivot2 >/dev/null
	rt delete --force m-nopivot2
	assert_nothing_left m-nopivot2
}
