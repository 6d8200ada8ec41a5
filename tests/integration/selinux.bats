#!/usr/bin/env bats
# SELinux: labels applied for real inside the VM guest (tests/vm/run.sh --lsm selinux: Debian's
# selinux-policy-default, enforcing, plus the test domains rt_test_t and rt_test2_t of
# tests/vm/selinux/rt-test.cil); on a host without SELinux a process label is refused (as runc
# refuses it) and a mount label is ignored.
#
#   tests/vm/run.sh --lsm selinux --rt /tmp/rt-se/rt -- tests/integration/selinux.bats

load helpers

LABEL=system_u:system_r:rt_test_t:s0
LABEL2=system_u:system_r:rt_test2_t:s0
# tmp_t, not the tmpfs_t a tmpfs gets by default, so the context= option is what labels it.
MOUNT_LABEL=system_u:object_r:tmp_t:s0

se_enabled() {
	[[ -f /sys/fs/selinux/enforce ]] && grep -qw selinux /sys/kernel/security/lsm 2>/dev/null
}

# se_valid CONTEXT: the loaded policy knows CONTEXT (the kernel checks a context written to
# selinuxfs' context file).
se_valid() {
	printf '%s' "$1" >/sys/fs/selinux/context 2>/dev/null
}

# requires_test_policy: SELinux on, with the domains of tests/vm/selinux/rt-test.cil.
requires_test_policy() {
	requires_rt
	se_enabled || skip "SELinux is not enabled here (runs in the VM guest: tests/vm/run.sh --lsm selinux)"
	se_valid "$LABEL" && se_valid "$LABEL2" ||
		skip "the loaded policy lacks rt_test_t/rt_test2_t (tests/vm/selinux/rt-test.cil)"
}

# attr_current PID: the SELinux label of PID, without the trailing NUL the kernel adds.
attr_current() {
	tr -d '\0' <"/proc/$1/attr/current"
}

@test "selinux: process.selinuxLabel is the container's label (VM)" {
	requires_test_policy
	make_bundle
	update_config '.process.selinuxLabel = $l' --arg l "$LABEL"
	set_args sh -c 'tr -d "\000" </proc/self/attr/current'
	run rt run --bundle "$BUNDLE" se1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$LABEL" ]
	# Not inherited: the test shell itself runs under another label.
	[ "$(attr_current $$)" != "$LABEL" ]
	assert_nothing_left se1
}

@test "selinux: the running init has the label, seen from the host (VM)" {
	requires_test_policy
	make_bundle
	update_config '.process.selinuxLabel = $l' --arg l "$LABEL"
	set_args sleep 100
	run_detached se2
	pid=$(container_pid se2)
	[ "$(attr_current "$pid")" = "$LABEL" ]
	rt delete --force se2
	assert_nothing_left se2
}

@test "selinux: linux.mountLabel is the context= of tmpfs and devpts mounts (VM)" {
	requires_test_policy
	make_bundle
	# /dev/mqueue has its own test below.
	update_config '.linux.mountLabel = $m | .process.selinuxLabel = $l
		| .mounts |= map(select(.type != "mqueue"))
		| .mounts += [{destination: "/mnt/se", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev"]}]' \
		--arg m "$MOUNT_LABEL" --arg l "$LABEL"
	set_args sh -c 'for m in /mnt/se /dev /dev/shm /dev/pts; do
		awk -v m="$m" "\$5 == m" /proc/self/mountinfo; done; sleep 100'
	run_detached se3
	pid=$(container_pid se3)
	wait_for_file "$BATS_TEST_TMPDIR/se3.out"
	for i in $(seq "$(poll_count)"); do
		if [ "$(wc -l <"$BATS_TEST_TMPDIR/se3.out")" -ge 4 ]; then break; fi
		sleep 0.05
	done
	cat "$BATS_TEST_TMPDIR/se3.out"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/se3.out")" -eq 4 ]
	# Every one of them carries the option (mountinfo's super options).
	run grep -c "[ ,]context=$MOUNT_LABEL\(,\|\$\)" "$BATS_TEST_TMPDIR/se3.out"
	[ "$output" = 4 ]
	# The files of the mount have it, seen from the host through the container's root.
	[ "$(stat -c %C "/proc/$pid/root/mnt/se")" = "$MOUNT_LABEL" ]
	run rt exec se3 sh -c 'echo x >/mnt/se/f'
	[ "$status" -eq 0 ]
	[ "$(stat -c %C "/proc/$pid/root/mnt/se/f")" = "$MOUNT_LABEL" ]
	rt delete --force se3
	assert_nothing_left se3
}

@test "selinux: a container with linux.mountLabel and the spec's /dev/mqueue starts (VM)" {
	requires_test_policy
	# The new IPC namespace's mqueue superblock already exists (the kernel makes it with the
	# namespace), so a mount asking for another context= is refused with EINVAL; runc mounts
	# mqueue without the label for that reason.
	make_bundle
	update_config '.linux.mountLabel = $m | .process.selinuxLabel = $l' --arg m "$MOUNT_LABEL" --arg l "$LABEL"
	set_args sh -c 'awk "\$5 == \"/dev/mqueue\" {print \$9}" /proc/self/mountinfo'
	run rt run --bundle "$BUNDLE" se9
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = mqueue ]
	assert_nothing_left se9
}

@test "selinux: the label is applied when no mount of the spec takes a context= (VM)" {
	requires_test_policy
	# Without tmpfs, devpts or mqueue mounts the first SELinux check happens after pivot_root,
	# inside the container, whose /sys has no selinuxfs.
	make_bundle
	update_config '.process.selinuxLabel = $l | .mounts |= map(select(.type | IN("tmpfs", "devpts", "mqueue") | not))' \
		--arg l "$LABEL"
	set_args sh -c 'tr -d "\000" </proc/self/attr/current'
	run rt run --bundle "$BUNDLE" se10
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$LABEL" ]
	assert_nothing_left se10
}

@test "selinux: exec runs under the container's label, or --process-label's (VM)" {
	requires_test_policy
	make_bundle
	update_config '.process.selinuxLabel = $l' --arg l "$LABEL"
	set_args sleep 100
	run_detached se4
	run rt exec se4 sh -c 'tr -d "\000" </proc/self/attr/current'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$LABEL" ]
	run rt exec --process-label "$LABEL2" se4 sh -c 'tr -d "\000" </proc/self/attr/current'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$LABEL2" ]
	# A detached exec'd process, checked from the host while it runs.
	rt exec -d --process-label "$LABEL2" se4 sleep 100 </dev/null >/dev/null 2>&1
	pid=''
	for p in $(pgrep -x sleep); do
		if [ "$(attr_current "$p" 2>/dev/null)" = "$LABEL2" ]; then pid=$p; fi
	done
	[ -n "$pid" ]
	remember_pid "$pid" se4
	# The init kept its own label.
	[ "$(attr_current "$(container_pid se4)")" = "$LABEL" ]
	rt delete --force se4
	assert_nothing_left se4
}

@test "selinux: a label the policy does not know fails the start with the label named (VM)" {
	requires_test_policy
	make_bundle
	update_config '.process.selinuxLabel = "system_u:system_r:rt_no_such_t:s0"'
	set_args true
	run rt run --bundle "$BUNDLE" se5
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'system_u:system_r:rt_no_such_t:s0'* ]]
	assert_nothing_left se5
}

@test "selinux: a transition the enforcing policy denies fails the start (VM)" {
	requires_test_policy
	[ "$(cat /sys/fs/selinux/enforce)" = 1 ] || skip "SELinux is permissive here"
	# A valid context the test shell's domain (kernel_t) may not transition to.
	se_valid system_u:system_r:unconfined_t:s0 || skip "the policy has no unconfined_t"
	make_bundle
	update_config '.process.selinuxLabel = "system_u:system_r:unconfined_t:s0"'
	set_args sh -c 'echo RAN'
	run rt run --bundle "$BUNDLE" se6
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" != *RAN* ]]
	# EPERM when no_new_privileges (the spec default) forbids it, EACCES otherwise.
	# runc's words for a failed execve: exec <path>: <errno>.
	[[ "$output" == *'exec /bin/sh: '*(permission denied|operation not permitted)* ]]
	assert_nothing_left se6
}

@test "selinux: without SELinux, process.selinuxLabel and exec --process-label are refused, as runc refuses them" {
	se_enabled && skip "SELinux is enabled here"
	make_bundle
	update_config '.process.selinuxLabel = $l' --arg l "$LABEL"
	set_args touch /tmp/ran
	run --separate-stderr rt run --bundle "$BUNDLE" se7
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *'selinux label is specified in config, but selinux is disabled or not supported'* ]]
	[ ! -e "$BUNDLE/rootfs/tmp/ran" ]
	assert_nothing_left se7
	update_config 'del(.process.selinuxLabel)'
	set_args sleep 100
	run_detached se8
	run --separate-stderr rt exec --process-label "$LABEL2" se8 touch /tmp/ran
	echo "$stderr"
	[ "$status" -eq 255 ]
	[[ "$stderr" == *'selinux label is specified in config, but selinux is disabled or not supported'* ]]
	[ ! -e "$BUNDLE/rootfs/tmp/ran" ]
	rt delete --force se8
	assert_nothing_left se8
}

@test "selinux: without SELinux, linux.mountLabel is ignored" {
	# runc 1.5 passes context= to the mounts and the kernel refuses them (EINVAL); see
	# docs/ARCHITECTURE.md.
	requires_rt
	se_enabled && skip "SELinux is enabled here"
	make_bundle
	update_config '.linux.mountLabel = $m' --arg m "$MOUNT_LABEL"
	set_args sh -c 'grep -c context= /proc/self/mountinfo; echo ran'
	run rt run --bundle "$BUNDLE" se9
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '0\nran')" ]
	assert_nothing_left se9
}
