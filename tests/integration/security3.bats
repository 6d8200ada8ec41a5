#!/usr/bin/env bats
# Hostile images, volumes and callers, third part (issue 16): what the init
# reads from the container, what rt exec inherits from the container's
# config and from its caller, /proc and /sys destinations, nodes, sockets
# and files rt makes or changes by path. Each test sets the attack up for
# real and checks the effect from the host.

load helpers

setup() {
	common_setup
	OUT="$BATS_TEST_TMPDIR/host-target"
	mkdir -p "$OUT"
	echo host-original >"$OUT/victim"
	chmod 0600 "$OUT/victim"
}

# cap_field PID FIELD: CapBnd, CapEff ... of PID, from the host's procfs.
cap_field() {
	awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"
}

@test "security3: a fake /proc/sys/kernel/cap_last_cap in the image leaves no capability in the bounding set" {
	make_bundle
	# Control: the same config with the real procfs at /proc.
	make_bundle "$BATS_TEST_TMPDIR/control"
	set_args -b "$BATS_TEST_TMPDIR/control" sleep 100
	create_container sec-caplast-control "$BATS_TEST_TMPDIR/control"
	local want got pid
	pid=$(container_pid sec-caplast-control)
	want=$(cap_field "$pid" CapBnd)
	# The image brings /proc/sys/kernel/cap_last_cap saying 5 and the
	# config mounts no procfs over it.
	update_config '.mounts = [.mounts[] | select(.destination != "/proc")]
		| .linux.maskedPaths = [] | .linux.readonlyPaths = []'
	mkdir -p "$BUNDLE/rootfs/proc/sys/kernel"
	echo 5 >"$BUNDLE/rootfs/proc/sys/kernel/cap_last_cap"
	set_args sleep 100
	create_container sec-caplast
	pid=$(container_pid sec-caplast)
	got=$(cap_field "$pid" CapBnd)
	echo "bounding: control $want, fake cap_last_cap $got"
	[ -n "$want" ]
	[ "$got" = "$want" ]
}
