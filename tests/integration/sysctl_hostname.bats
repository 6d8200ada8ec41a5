#!/usr/bin/env bats
# hostname, domainname, linux.sysctl, maskedPaths and readonlyPaths.

load helpers

@test "hostname from the config" {
	make_bundle
	update_config '.hostname = "box-1"'
	set_args sh -c 'hostname; cat /proc/sys/kernel/hostname'
	run rt run --bundle "$BUNDLE" s-host
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = box-1 ]
	[ "${lines[1]}" = box-1 ]
	assert_nothing_left s-host
}

@test "domainname from the config" {
	if "$RT" --version | head -n 1 | grep -Eq '^runc version 1\.[01]\.'; then
		skip "runc 1.1 ignores domainname (support came in runc 1.2)"
	fi
	make_bundle
	update_config '.domainname = "example.test"'
	set_args cat /proc/sys/kernel/domainname
	run rt run --bundle "$BUNDLE" s-domain
	[ "$status" -eq 0 ]
	[ "$output" = example.test ]
	[ "$(cat /proc/sys/kernel/domainname)" != example.test ]
	assert_nothing_left s-domain
}

@test "hostname without a new uts namespace fails" {
	make_bundle
	remove_namespace uts
	update_config '.hostname = "must-not-be-set"'
	set_args true
	before=$(hostname)
	run rt run --bundle "$BUNDLE" s-host-nouts
	[ "$status" -ne 0 ]
	[ "$(hostname)" = "$before" ]
	assert_nothing_left s-host-nouts
}

@test "sysctl kernel.shm_rmid_forced with a new ipc namespace" {
	make_bundle
	update_config '.linux.sysctl = {"kernel.shm_rmid_forced": "1"}'
	set_args cat /proc/sys/kernel/shm_rmid_forced
	host_before=$(cat /proc/sys/kernel/shm_rmid_forced)
	run rt run --bundle "$BUNDLE" s-ipc
	[ "$status" -eq 0 ]
	[ "$output" -eq 1 ]
	[ "$(cat /proc/sys/kernel/shm_rmid_forced)" -eq "$host_before" ]
	assert_nothing_left s-ipc
}

@test "sysctl net.ipv4.ip_forward with a new network namespace" {
	make_bundle
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1", "net.ipv4.conf.all.forwarding": "1"}'
	set_args sh -c 'cat /proc/sys/net/ipv4/ip_forward; cat /proc/sys/net/ipv4/conf/all/forwarding'
	host_before=$(cat /proc/sys/net/ipv4/ip_forward)
	run rt run --bundle "$BUNDLE" s-net
	[ "$status" -eq 0 ]
	[ "${lines[0]}" -eq 1 ]
	[ "${lines[1]}" -eq 1 ]
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" -eq "$host_before" ]
	assert_nothing_left s-net
}

@test "a net.* sysctl without a new network namespace is refused" {
	make_bundle
	remove_namespace network
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	set_args true
	host_before=$(cat /proc/sys/net/ipv4/ip_forward)
	run --separate-stderr rt run --bundle "$BUNDLE" s-net-host
	assert_one_error_line
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" -eq "$host_before" ]
	if is_rt; then
		[[ "$stderr" == *"requires a new network namespace"* ]]
	fi
	assert_nothing_left s-net-host
}

@test "an ipc sysctl without a new ipc namespace is refused" {
	make_bundle
	remove_namespace ipc
	update_config '.linux.sysctl = {"kernel.shm_rmid_forced": "1"}'
	set_args true
	host_before=$(cat /proc/sys/kernel/shm_rmid_forced)
	run rt run --bundle "$BUNDLE" s-ipc-host
	[ "$status" -ne 0 ]
	[ "$(cat /proc/sys/kernel/shm_rmid_forced)" -eq "$host_before" ]
	assert_nothing_left s-ipc-host
}

@test "a sysctl that is not namespaced is refused" {
	make_bundle
	update_config '.linux.sysctl = {"vm.swappiness": "10"}'
	set_args true
	host_before=$(cat /proc/sys/vm/swappiness)
	run rt run --bundle "$BUNDLE" s-vm
	[ "$status" -ne 0 ]
	[ "$(cat /proc/sys/vm/swappiness)" -eq "$host_before" ]
	assert_nothing_left s-vm
}

@test "maskedPaths: a masked file reads empty, a masked directory is an empty tmpfs" {
	make_bundle
	mkdir -p "$BUNDLE/rootfs/secret-dir"
	echo hidden >"$BUNDLE/rootfs/secret-dir/f"
	echo hidden >"$BUNDLE/rootfs/secret-file"
	update_config '.linux.maskedPaths = ["/secret-file", "/secret-dir", "/proc/timer_list", "/does/not/exist"]'
	set_args sh -c 'echo "[$(cat /secret-file)]"; ls -A /secret-dir | wc -l; grep " /secret-dir " /proc/self/mountinfo; head -c 10 /proc/timer_list | wc -c; if (echo x >/secret-dir/new) 2>/dev/null; then echo WROTE; fi'
	run rt run --bundle "$BUNDLE" s-mask
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "[]" ]
	[ "${lines[1]}" -eq 0 ]
	[[ "${lines[2]}" == *" ro"*" - tmpfs "* ]]
	[ "${lines[3]}" -eq 0 ]
	[[ "$output" != *WROTE* ]]
	# The rootfs itself is unchanged.
	[ "$(cat "$BUNDLE/rootfs/secret-file")" = hidden ]
	assert_nothing_left s-mask
}

@test "readonlyPaths: writing fails, reading works" {
	make_bundle
	mkdir -p "$BUNDLE/rootfs/rodir"
	echo keep >"$BUNDLE/rootfs/rodir/f"
	update_config '.linux.readonlyPaths = ["/rodir", "/proc/sys", "/does/not/exist"]'
	set_args sh -c 'cat /rodir/f; if (echo x >/rodir/f) 2>/dev/null; then echo WROTE; fi; if (echo 1 >/proc/sys/kernel/shm_rmid_forced) 2>/dev/null; then echo WROTE-PROC; fi; grep " /rodir " /proc/self/mountinfo'
	run rt run --bundle "$BUNDLE" s-ro
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = keep ]
	[[ "$output" != *WROTE* ]]
	[[ "${lines[1]}" == *" /rodir ro,"* ]]
	[ "$(cat "$BUNDLE/rootfs/rodir/f")" = keep ]
	assert_nothing_left s-ro
}
