#!/usr/bin/env bats
# AppArmor: applied for real inside the VM guest (tests/vm, booted with
# apparmor=1 security=apparmor); on a host without AppArmor a profile is
# refused with a clear error, never silently ignored.

load helpers

aa_enabled() {
	[[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" == Y ]] &&
		[[ -d /sys/kernel/security/apparmor ]]
}

teardown() {
	if [[ -n "${AA_PROFILE_FILE:-}" ]]; then
		apparmor_parser -R "$AA_PROFILE_FILE" >/dev/null 2>&1
	fi
	common_teardown
}

load_profile() {
	AA_PROFILE_FILE="$BATS_TEST_TMPDIR/profile"
	cat >"$AA_PROFILE_FILE" <<'P'
abi <abi/3.0>,
profile rt-test-aa flags=(attach_disconnected,mediate_deleted) {
  file, capability, mount, umount, pivot_root, signal, ptrace, network, unix,
  deny /secret r,
}
P
	apparmor_parser -r "$AA_PROFILE_FILE"
}

@test "apparmor: the profile confines the container (VM)" {
	requires_rt
	aa_enabled || skip "AppArmor is not enabled here (runs in the VM guest)"
	load_profile
	make_bundle
	echo top-secret >"$BUNDLE/rootfs/secret"
	update_config '.process.apparmorProfile = "rt-test-aa"'
	set_args sh -c 'cat /proc/self/attr/current; cat /secret 2>/dev/null && echo READABLE || echo DENIED'
	run rt run --bundle "$BUNDLE" aa1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "rt-test-aa (enforce)"* ]]
	[ "${lines[1]}" = DENIED ]
	assert_nothing_left aa1
}

@test "apparmor: exec --apparmor confines the new process (VM)" {
	requires_rt
	aa_enabled || skip "AppArmor is not enabled here (runs in the VM guest)"
	load_profile
	make_bundle
	echo top-secret >"$BUNDLE/rootfs/secret"
	set_args sleep 100
	run_detached aa2
	run rt exec aa2 cat /secret
	[ "$status" -eq 0 ]
	[ "$output" = top-secret ]
	run rt exec --apparmor rt-test-aa aa2 sh -c 'cat /proc/self/attr/current; cat /secret'
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "${lines[0]}" == "rt-test-aa (enforce)"* ]]
	rt delete --force aa2
	assert_nothing_left aa2
}

@test "apparmor: a profile without AppArmor is refused at create" {
	requires_rt
	aa_enabled && skip "AppArmor is enabled here"
	make_bundle
	update_config '.process.apparmorProfile = "rt-test-aa"'
	set_args true
	run rt run --bundle "$BUNDLE" aa3
	[ "$status" -ne 0 ]
	[[ "$(log_msg "${lines[-1]}")" == *'apparmor profile "rt-test-aa" requested but AppArmor is not enabled'* ]]
	assert_nothing_left aa3
}
