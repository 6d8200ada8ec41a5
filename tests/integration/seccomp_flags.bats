#!/usr/bin/env bats
# linux.seccomp.flags: the flags a profile asks for are the flags of the
# filter loaded, on either of rt's load paths (libseccomp's own load for a
# permissive default, rt's seccomp(2) behind the ENOSYS stub for a deny
# default), as with runc 1.5. What the kernel shows of them:
#   SECCOMP_FILTER_FLAG_LOG: an ERRNO'd syscall is written to the kernel log
#     (audit type=1326); without the flag only kill actions are.
#   SECCOMP_FILTER_FLAG_SPEC_ALLOW: with the host's store-bypass mitigation in
#     seccomp mode, a filtered task is "thread force mitigated" unless the
#     filter carries the flag.
# The kernel's own seccomp state is one filter either way (Seccomp_filters).

load helpers

setup_file() {
	build_sysprobe
}

setup() {
	common_setup
	[[ "$(uname -m)" == x86_64 ]] || skip "syscall numbers below are x86_64's"
}

# flags_bundle DEFAULT FLAGS_JSON: the workload makes getppid (110), which
# the profile answers with EPERM: by a rule under an ALLOW default, or by
# the default itself when DEFAULT is SCMP_ACT_ERRNO (everything else up to
# rseq, 334, allowed). The bundle is made on the first call.
flags_bundle() {
	if [[ ! -e "$BUNDLE/config.json" ]]; then
		make_bundle
		cp "$SYSPROBE" "$BUNDLE/rootfs/bin/sysprobe"
	fi
	set_args /bin/sysprobe 110
	if [[ "$1" == SCMP_ACT_ALLOW ]]; then
		update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", flags: $f, syscalls: [{names: ["getppid"], action: "SCMP_ACT_ERRNO"}]}' \
			--argjson f "$2"
	else
		update_config '.linux.seccomp = {defaultAction: $d, flags: $f, architectures: ["SCMP_ARCH_X86_64"], syscalls: [{names: $n, action: "SCMP_ACT_ALLOW"}]}' \
			--arg d "$1" --argjson f "$2" --argjson n "$(syscalls_up_to 334 getppid)"
	fi
}

# logged ID: run the bundle as ID and report whether the kernel logged its
# getppid (syscall=110) for the init's host pid. The kernel's log is rate
# limited (printk_ratelimit: a burst of 10 per 5 s, shared with the whole
# host), so a missing line is looked for again on three fresh runs.
logged() {
	local id="$1" try pid
	for try in 1 2 3; do
		rt run --pid-file "$BATS_TEST_TMPDIR/$id.pid" --bundle "$BUNDLE" "$id" >"$BATS_TEST_TMPDIR/$id.out"
		[[ "$(cat "$BATS_TEST_TMPDIR/$id.out")" == "110:-1" ]] || { cat "$BATS_TEST_TMPDIR/$id.out"; return 2; }
		pid=$(cat "$BATS_TEST_TMPDIR/$id.pid")
		sleep 0.3
		if dmesg | grep -q "type=1326 .* pid=$pid comm=\"sysprobe\" .* syscall=110 "; then
			return 0
		fi
		[[ "${2:-}" == once ]] && return 1
		sleep 5
	done
	return 1
}

@test "seccomp flags: SECCOMP_FILTER_FLAG_LOG is in effect under an ALLOW default, and only when asked for" {
	flags_bundle SCMP_ACT_ALLOW '["SECCOMP_FILTER_FLAG_LOG"]'
	logged sc-flag-log
	flags_bundle SCMP_ACT_ALLOW '[]'
	run logged sc-flag-nolog once
	[ "$status" -eq 1 ]
	assert_nothing_left sc-flag-nolog
}

@test "seccomp flags: SECCOMP_FILTER_FLAG_LOG is in effect under an ERRNO default (behind the ENOSYS stub), and only when asked for" {
	flags_bundle SCMP_ACT_ERRNO '["SECCOMP_FILTER_FLAG_LOG"]'
	logged sc-flag-log-deny
	flags_bundle SCMP_ACT_ERRNO '[]'
	run logged sc-flag-nolog-deny once
	[ "$status" -eq 1 ]
	assert_nothing_left sc-flag-nolog-deny
}

@test "seccomp flags: one filter is loaded, whatever the flags and default" {
	for d in SCMP_ACT_ALLOW SCMP_ACT_ERRNO; do
		flags_bundle "$d" '["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]'
		set_args sh -c 'grep -E "^Seccomp(_filters)?:" /proc/self/status'
		run --separate-stderr rt run --bundle "$BUNDLE" sc-flag-count
		echo "$d: $output"
		[ "$status" -eq 0 ]
		[ "$output" == $'Seccomp:\t2\nSeccomp_filters:\t1' ]
	done
	assert_nothing_left sc-flag-count
}

@test "seccomp flags: SECCOMP_FILTER_FLAG_SPEC_ALLOW leaves speculative store bypass to the task" {
	grep -q "seccomp" /sys/devices/system/cpu/vulnerabilities/spec_store_bypass ||
		skip "the host's store-bypass mitigation is not in seccomp mode: $(cat /sys/devices/system/cpu/vulnerabilities/spec_store_bypass)"
	for flags in '[]' '["SECCOMP_FILTER_FLAG_SPEC_ALLOW"]'; do
		flags_bundle SCMP_ACT_ALLOW "$flags"
		set_args sh -c 'grep "^Speculation_Store_Bypass:" /proc/self/status'
		run --separate-stderr rt run --bundle "$BUNDLE" sc-flag-ssb
		echo "$flags: $output"
		[ "$status" -eq 0 ]
		if [[ "$flags" == '[]' ]]; then
			[[ "$output" == *"force mitigated"* ]]
		else
			[[ "$output" != *"force mitigated"* ]]
		fi
	done
	assert_nothing_left sc-flag-ssb
}
