#!/usr/bin/env bats
# Syscalls newer than a seccomp profile get ENOSYS, as runc 1.5's stub in
# front of the libseccomp filter gives it: a program probing a syscall the
# profile's author did not know falls back instead of failing on EPERM.
# runc's rule: unless the default action allows (ALLOW, LOG, TRACE) or is
# already ERRNO(ENOSYS), every syscall numbered above the largest one the
# profile names on that architecture returns ENOSYS; the others get what
# the profile says. testdata/sysprobe (static Go) makes raw syscalls and
# prints the kernel's answer.

load helpers

setup_file() {
	build_sysprobe
}

setup() {
	common_setup
	[[ "$(uname -m)" == x86_64 ]] || skip "syscall numbers below are x86_64's"
}

# probe_bundle DEFAULT_ACTION EXTRA_JQ: a bundle whose workload is sysprobe
# of getpid (39), getppid (110, left out of the profile), clone3 (435,
# newer than the profile) and 1000 (no syscall at all), under a profile
# that allows everything up to rseq (334) but getppid.
probe_bundle() {
	make_bundle
	cp "$SYSPROBE" "$BUNDLE/rootfs/bin/sysprobe"
	set_args /bin/sysprobe 39 110 435 1000
	update_config ".linux.seccomp = {defaultAction: \$d, architectures: [\"SCMP_ARCH_X86_64\"], syscalls: [{names: \$n, action: \"SCMP_ACT_ALLOW\"}]} $2" \
		--arg d "$1" --argjson n "$(syscalls_up_to 334 getppid)"
}

@test "seccomp ENOSYS: with an ERRNO default, newer syscalls get ENOSYS, an older unlisted one the default errno" {
	probe_bundle SCMP_ACT_ERRNO
	run --separate-stderr rt run --bundle "$BUNDLE" sc-enosys-errno
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" == $'39:0\n110:-1\n435:-38\n1000:-38' ]
	assert_nothing_left sc-enosys-errno
}

@test "seccomp ENOSYS: defaultErrnoRet picks the older unlisted syscall's errno, newer ones still get ENOSYS" {
	probe_bundle SCMP_ACT_ERRNO '| .linux.seccomp.defaultErrnoRet = 13'
	run --separate-stderr rt run --bundle "$BUNDLE" sc-enosys-eacces
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" == $'39:0\n110:-13\n435:-38\n1000:-38' ]
	assert_nothing_left sc-enosys-eacces
}

@test "seccomp ENOSYS: with a KILL default, newer syscalls get ENOSYS instead of the kill" {
	probe_bundle SCMP_ACT_KILL_PROCESS
	set_args /bin/sysprobe 39 435 1000
	run --separate-stderr rt run --bundle "$BUNDLE" sc-enosys-kill
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" == $'39:0\n435:-38\n1000:-38' ]
	# An older unlisted syscall is still the kill (SIGSYS: 128+31).
	set_args /bin/sysprobe 110
	run --separate-stderr rt run --bundle "$BUNDLE" sc-enosys-kill
	echo "$output"
	[ "$status" -eq 159 ]
	assert_nothing_left sc-enosys-kill
}

@test "seccomp ENOSYS: no stub for a permissive default (LOG): every syscall reaches the kernel" {
	probe_bundle SCMP_ACT_LOG '| .linux.seccomp.syscalls += [{names: ["getppid"], action: "SCMP_ACT_ERRNO"}]'
	run --separate-stderr rt run --bundle "$BUNDLE" sc-enosys-log
	echo "$output"
	[ "$status" -eq 0 ]
	# clone3 with no arguments: the kernel's own EINVAL, not ENOSYS.
	[ "$output" == $'39:0\n110:-1\n435:-22\n1000:-38' ]
	assert_nothing_left sc-enosys-log
}
