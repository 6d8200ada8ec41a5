#!/usr/bin/env bats
# linux.netDevices: a host interface moved into the container's network
# namespace (new or joined), renamed, with its MTU, MAC and permanent
# global addresses. Each test makes its own veth/tap/netns with names of its
# own and removes them in teardown, whatever happened; no other interface
# of the host is touched.

load helpers

setup() {
	common_setup
	# <= 15 bytes with the one-letter suffixes: unique per run and test.
	ND="rn$((BATS_ROOT_PID % 100000))t${BATS_SUITE_TEST_NUMBER}"
	: >"$BATS_TEST_TMPDIR/netdevs"
	: >"$BATS_TEST_TMPDIR/netns"
}

teardown() {
	common_teardown_netdev
	common_teardown
}

common_teardown_netdev() {
	local d
	while read -r d; do
		[[ -n "$d" ]] && ip link del "$d" 2>/dev/null
	done <"$BATS_TEST_TMPDIR/netdevs"
	while read -r d; do
		[[ -n "$d" ]] && ip netns del "$d" 2>/dev/null
	done <"$BATS_TEST_TMPDIR/netns"
	return 0
}

# make_veth NAME: a veth pair NAME + NAME"p", recorded for teardown.
make_veth() {
	echo "$1" >>"$BATS_TEST_TMPDIR/netdevs"
	echo "$1p" >>"$BATS_TEST_TMPDIR/netdevs"
	ip link add "$1" type veth peer name "$1p"
}

@test "netDevices: a veth moves into a new netns, renamed, with MTU, MAC and global addresses" {
	run -0 "$RT" features
	[ "$(jq -r .linux.netDevices.enabled <<<"$output")" = true ]
	make_veth "${ND}a"
	ip link set "${ND}a" mtu 1400 address 02:5a:11:22:33:44
	ip addr add 10.231.1.1/24 dev "${ND}a"
	ip addr add fd00:231::1/64 dev "${ND}a"
	ip addr add 10.231.2.1/24 scope link dev "${ND}a"
	make_bundle
	update_config '.linux.netDevices = {($d): {name: "eth7"}}' --arg d "${ND}a"
	set_args sh -c 'cat /sys/class/net/eth7/mtu /sys/class/net/eth7/address /sys/class/net/eth7/flags; ip -o addr show dev eth7'
	run -0 rt run --bundle "$BUNDLE" nd-new
	echo "$output"
	[ "${lines[0]}" = 1400 ]
	[ "${lines[1]}" = 02:5a:11:22:33:44 ]
	# IFF_UP
	(( ${lines[2]} & 1 ))
	[[ "$output" == *"inet 10.231.1.1/24 "*"scope global eth7"* ]]
	[[ "$output" == *"inet6 fd00:231::1/64 scope global"* ]]
	[[ "$output" != *10.231.2.1* ]]
	# Gone from the host; the container's netns died with it, and the veth too.
	run ip link show "${ND}a"
	[ "$status" -ne 0 ]
	assert_nothing_left nd-new
}

@test "netDevices: without a name the device keeps its own; a tap moves too" {
	make_veth "${ND}b"
	echo "${ND}t" >>"$BATS_TEST_TMPDIR/netdevs"
	ip tuntap add dev "${ND}t" mode tap
	make_bundle
	update_config '.linux.netDevices = {($d): {}, ($t): {name: "tap0"}}' --arg d "${ND}b" --arg t "${ND}t"
	set_args sh -c 'ls /sys/class/net | sort | tr "\n" " "'
	run -0 rt run --bundle "$BUNDLE" nd-keep
	[ "$output" = "lo ${ND}b tap0 " ]
	assert_nothing_left nd-keep
}

@test "netDevices: into a joined netns, where it stays after the container" {
	make_veth "${ND}c"
	ip addr add 10.232.1.1/24 dev "${ND}c"
	ns="${ND}ns"
	echo "$ns" >>"$BATS_TEST_TMPDIR/netns"
	ip netns add "$ns"
	make_bundle
	add_namespace network "/run/netns/$ns"
	update_config '.linux.netDevices = {($d): {name: "eth8"}}' --arg d "${ND}c"
	set_args sh -c 'ip -o addr show dev eth8'
	run -0 rt run --bundle "$BUNDLE" nd-join
	echo "$output"
	[[ "$output" == *"inet 10.232.1.1/24 "* ]]
	run -0 ip netns exec "$ns" ip -o link show eth8
	run ip link show "${ND}c"
	[ "$status" -ne 0 ]
	assert_nothing_left nd-join
}

@test "netDevices: errors name the device; nothing left, the host device stays" {
	make_veth "${ND}d"
	make_bundle
	set_args true
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/orig.json"
	while IFS='|' read -r expr dev words; do
		cp "$BATS_TEST_TMPDIR/orig.json" "$BUNDLE/config.json"
		update_config "$expr" --arg d "${ND}d" --arg m "${ND}m"
		[[ "$expr" == *no-netns* ]] && remove_namespace network && update_config 'del(.linux.netDevices["no-netns"]) | .linux.netDevices = {($d): {name: "x"}}' --arg d "${ND}d"
		run --separate-stderr rt run --bundle "$BUNDLE" nd-bad
		echo "$expr -> $stderr"
		assert_one_error_line
		for w in $dev; do
			w="${w//@D/${ND}d}"
			w="${w//@M/${ND}m}"
			[[ "$stderr" == *"$w"* ]]
		done
		if is_rt; then
			for w in $words; do
				[[ "$stderr" == *"$w"* ]]
			done
		fi
		assert_nothing_left nd-bad
	done <<-'EOF'
		.linux.netDevices = {($m): {name: "eth3"}}|@M|linux.netDevices not found
		.linux.netDevices = {($d): {name: "bad/name"}}|bad/name|linux.netDevices invalid network device name
		.linux.netDevices = {($d): {name: "averyveryverylongname"}}|averyveryverylongname|linux.netDevices invalid
		.linux.netDevices = {"bad/dev": {name: "x"}}|bad/dev|linux.netDevices invalid
		.linux.netDevices = {($d): {name: "."}}|.|linux.netDevices invalid
		.linux.netDevices = {"no-netns": {}}|network|linux.netDevices namespace
	EOF
	# Validation failures never touched it.
	ip link show "${ND}d" >/dev/null
	# A name the container's netns already has (lo): the move is refused
	# as a whole, the device stays on the host.
	cp "$BATS_TEST_TMPDIR/orig.json" "$BUNDLE/config.json"
	update_config '.linux.netDevices = {($d): {name: "lo"}}' --arg d "${ND}d"
	run --separate-stderr rt run --bundle "$BUNDLE" nd-bad
	echo "$stderr"
	assert_one_error_line
	[[ "$stderr" == *"${ND}d"* ]]
	[[ "$stderr" == *"file exists"* ]]
	if is_rt; then
		# Move and rename are one message: refused, it never left the host.
		ip link show "${ND}d" >/dev/null
	fi
	assert_nothing_left nd-bad
}
