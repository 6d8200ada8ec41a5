#!/usr/bin/env bats
# Self-test of the VM harness; runs inside the guest: tests/vm/run.sh -- tests/vm/selftest.bats
# (add --cgroup v1 / --lsm none / --lsm selinux to check those modes). It proves the guest gives rt's
# tests what they need: the cgroup mode asked for, AppArmor or SELinux, the read-only repository share
# and a working runtime.

setup() {
	[ "${RT_VM:-}" = 1 ] || skip "not inside the rt test VM (run it through tests/vm/run.sh)"
	WORK=$(mktemp -d /tmp/selftest.XXXXXX)
}

teardown() {
	[ -n "${CTR:-}" ] && "$RT" --root "$WORK/state" delete -f "$CTR" >/dev/null 2>&1
	[ -n "${PROFILE:-}" ] && apparmor_parser -R "$WORK/profile" >/dev/null 2>&1
	[ -n "${WORK:-}" ] && rm -rf "$WORK"
	return 0
}

@test "cgroup2 is mounted at /sys/fs/cgroup with memory, pids, cpu and io enabled" {
	[ "$RT_VM_CGROUP" = v2 ] || skip "guest booted with --cgroup $RT_VM_CGROUP"
	[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]
	[ ! -e /sys/fs/cgroup/memory/memory.limit_in_bytes ]
	read -r -a enabled </sys/fs/cgroup/cgroup.subtree_control
	if [ "$RT_VM_INIT" = systemd ]; then
		# systemd owns the root's subtree_control: memory and pids from the start, the rest
		# once a unit asks (Delegate=yes, accounting).
		[[ " ${enabled[*]} " == *" memory "* && " ${enabled[*]} " == *" pids "* ]]
		return
	fi
	for c in memory pids cpu io cpuset hugetlb; do
		[[ " ${enabled[*]} " == *" $c "* ]] || { echo "controller $c not enabled: ${enabled[*]}"; return 1; }
	done
	# Every available controller is enabled, not just the ones named above.
	[ "$(tr ' ' '\n' </sys/fs/cgroup/cgroup.controllers | sort)" = "$(printf '%s\n' "${enabled[@]}" | sort)" ]
}

@test "systemd is PID 1, answers on the system bus and runs a transient scope (--init systemd)" {
	[ "$RT_VM_INIT" = systemd ] || skip "guest booted with --init $RT_VM_INIT"
	[ "$(cat /proc/1/comm)" = systemd ]
	[ -d /run/systemd/system ]
	run busctl --system get-property org.freedesktop.systemd1 /org/freedesktop/systemd1 \
		org.freedesktop.systemd1.Manager Version
	[ "$status" -eq 0 ]
	[[ "$output" == 's "'[0-9]* ]]
	# Booted whole: no unit failed.
	systemctl --failed --no-legend --no-pager
	[ -z "$(systemctl --failed --no-legend --no-pager)" ]
	run systemd-run --scope --unit "rt-vm-selftest-$$" cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	[[ "$output" == *"0::/system.slice/rt-vm-selftest-$$.scope" || "$output" == *":name=systemd:/system.slice/rt-vm-selftest-$$.scope"* ]]
}

@test "cgroup v1 hierarchies are mounted when the guest booted with --cgroup v1" {
	[ "$RT_VM_CGROUP" = v1 ] || skip "guest booted with --cgroup $RT_VM_CGROUP"
	[ "$(stat -f -c %T /sys/fs/cgroup)" = tmpfs ]
	for c in memory pids cpu,cpuacct devices freezer blkio cpuset systemd; do
		[ "$(stat -f -c %T "/sys/fs/cgroup/$c")" = cgroupfs ] || { echo "$c is not a v1 hierarchy"; return 1; }
	done
	[ -e /sys/fs/cgroup/memory/memory.limit_in_bytes ]
}

@test "AppArmor is the enabled LSM and securityfs is mounted" {
	[ "$RT_VM_LSM" = apparmor ] || skip "guest booted with --lsm $RT_VM_LSM"
	[ "$(cat /sys/module/apparmor/parameters/enabled)" = Y ]
	grep -qw apparmor /sys/kernel/security/lsm
	[ -d /sys/kernel/security/apparmor ]
}

@test "AppArmor is off when the guest booted with --lsm none" {
	[ "$RT_VM_LSM" = none ] || skip "guest booted with --lsm $RT_VM_LSM"
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null || echo N)" = N ]
}

@test "SELinux is the enabled LSM with Debian's policy and the test domains loaded" {
	[ "$RT_VM_LSM" = selinux ] || skip "guest booted with --lsm $RT_VM_LSM"
	grep -qw selinux /sys/kernel/security/lsm
	[ "$(cat /sys/fs/selinux/policyvers)" -gt 0 ]
	if [ "$RT_VM_SELINUX" = permissive ]; then [ "$(getenforce)" = Permissive ]; else [ "$(getenforce)" = Enforcing ]; fi
	# The kernel accepts the test domains' contexts (tests/vm/selinux/rt-test.cil).
	printf system_u:system_r:rt_test_t:s0 >/sys/fs/selinux/context
	! printf system_u:system_r:rt_no_such_t:s0 >/sys/fs/selinux/context 2>/dev/null
	run runcon system_u:system_r:rt_test_t:s0 cat /proc/self/attr/current
	[ "$status" -eq 0 ]
	[ "${output%$'\0'}" = system_u:system_r:rt_test_t:s0 ]
}

@test "apparmor_parser loads a profile that the kernel then enforces" {
	[ "$RT_VM_LSM" = apparmor ] || skip "guest booted with --lsm $RT_VM_LSM"
	cat >"$WORK/profile" <<-'EOF'
		abi <abi/3.0>,
		#include <tunables/global>
		profile rt-vm-selftest flags=(attach_disconnected) {
		  #include <abstractions/base>
		  file,
		  deny /proc/cmdline r,
		}
	EOF
	apparmor_parser -r "$WORK/profile"
	PROFILE=rt-vm-selftest
	grep -qx 'rt-vm-selftest (enforce)' /sys/kernel/security/apparmor/profiles
	# Under the profile the denied read fails; unconfined it works.
	cat /proc/cmdline >/dev/null
	run setpriv --apparmor-profile=rt-vm-selftest cat /proc/cmdline
	[ "$status" -ne 0 ]
	[[ $output == *"Permission denied"* ]]
	run setpriv --apparmor-profile=rt-vm-selftest cat /proc/self/attr/current
	[ "$status" -eq 0 ]
	[ "$output" = "rt-vm-selftest (enforce)" ]
}

@test "the repository is shared read-only at its host path and RT points into it" {
	[ -f "$REPO/tests/vm/run.sh" ]
	[ "$(findmnt -n -o FSTYPE --target "$REPO")" = 9p ]
	findmnt -n -o OPTIONS --target "$REPO" | tr ',' '\n' | grep -qx ro
	! touch "$REPO/.rt-vm-write-test" 2>/dev/null
	[ -n "$RT" ]
	# /tmp is writable scratch space for tests.
	touch /tmp/.rt-vm-write-test && rm /tmp/.rt-vm-write-test
}

@test "rt runs a busybox container whose cgroup has the requested memory limit" {
	B=$WORK/bundle
	mkdir -p "$B"/rootfs/{bin,proc,sys,dev,tmp}
	cp /bin/busybox "$B/rootfs/bin/"
	for a in sh cat; do ln -s busybox "$B/rootfs/bin/$a"; done
	if [ "$RT_VM_CGROUP" = v2 ]; then
		probe='cat /sys/fs/cgroup/memory.max'
	else
		probe='cat /sys/fs/cgroup/memory/memory.limit_in_bytes'
	fi
	"$RT" spec -b "$B"
	jq --arg p "$probe" '.process.terminal = false | .process.args = ["sh", "-c", $p]
		| .linux.cgroupsPath = "/rt-vm-selftest"
		| .linux.resources.memory.limit = 67108864
		| .linux.namespaces |= (map(select(.type != "cgroup")) + [{"type": "cgroup"}])' \
		"$B/config.json" >"$B/config.new" && mv "$B/config.new" "$B/config.json"
	CTR=rt-vm-selftest
	run "$RT" --root "$WORK/state" run -b "$B" "$CTR"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = 67108864 ]
}
