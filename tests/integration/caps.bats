#!/usr/bin/env bats
# process.capabilities: all five sets reach the workload; unknown names
# are skipped with runc's warning; noNewPrivileges.

load helpers

# status_caps ID: run the bundle printing the capability and NoNewPrivs
# lines of its /proc/self/status into $output.
status_caps() {
	set_args sh -c 'grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):" /proc/self/status'
	run rt run --bundle "$BUNDLE" "$1"
	echo "$output"
	[ "$status" -eq 0 ]
}

mask() { # mask FIELD: the value of FIELD in $output, as a decimal number
	local v
	v=$(awk -v f="$1:" '$1 == f {print $2}' <<<"$output")
	echo $((16#$v))
}

@test "caps: all five sets are applied for a non-root user" {
	make_bundle
	# CHOWN=0 KILL=5 NET_BIND_SERVICE=10. Ambient needs permitted and
	# inheritable; after exec a non-root process keeps exactly the ambient
	# set as permitted and effective.
	update_config '.process.user = {uid: 1000, gid: 1000}
		| .process.capabilities = {
			bounding: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			effective: ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
			permitted: ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
			inheritable: ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
			ambient: ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"]}'
	status_caps caps-five
	echo "$output"
	[ "$(mask CapBnd)" -eq $(((1 << 0) | (1 << 5) | (1 << 10))) ]
	[ "$(mask CapInh)" -eq $(((1 << 0) | (1 << 10))) ]
	[ "$(mask CapPrm)" -eq $(((1 << 0) | (1 << 10))) ]
	[ "$(mask CapEff)" -eq $(((1 << 0) | (1 << 10))) ]
	[ "$(mask CapAmb)" -eq $(((1 << 0) | (1 << 10))) ]
	assert_nothing_left caps-five
}

@test "caps: without ambient a non-root user has no capabilities, bounding still set" {
	make_bundle
	update_config '.process.user = {uid: 1000, gid: 1000}
		| .process.capabilities = {bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"]}'
	status_caps caps-noamb
	echo "$output"
	[ "$(mask CapBnd)" -eq $((1 << 5)) ]
	[ "$(mask CapInh)" -eq 0 ]
	[ "$(mask CapPrm)" -eq 0 ]
	[ "$(mask CapEff)" -eq 0 ]
	[ "$(mask CapAmb)" -eq 0 ]
	assert_nothing_left caps-noamb
}

@test "caps: root with noNewPrivileges gets exactly the spec's sets" {
	make_bundle
	update_config '.process.noNewPrivileges = true | .process.capabilities = {bounding: ["CAP_CHOWN", "CAP_KILL"], effective: ["CAP_CHOWN"], permitted: ["CAP_CHOWN"]}'
	status_caps caps-root
	echo "$output"
	[ "$(mask CapBnd)" -eq $(((1 << 0) | (1 << 5))) ]
	# no_new_privs keeps root's exec from raising permitted to bounding.
	[ "$(mask CapPrm)" -eq 1 ]
	[ "$(mask CapEff)" -eq 1 ]
	[ "$(mask CapInh)" -eq 0 ]
	[ "$(mask CapAmb)" -eq 0 ]
	assert_nothing_left caps-root
}

@test "caps: a capability dropped from bounding cannot be used (chown fails)" {
	make_bundle
	update_config '.process.capabilities = {bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"]}'
	set_args sh -c 'touch /tmp/f && chown 1000 /tmp/f'
	run rt run --bundle "$BUNDLE" caps-nochown
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
	assert_nothing_left caps-nochown
}

@test "caps: unknown capability names are skipped with runc's warning" {
	make_bundle
	update_config '.process.capabilities.bounding += ["CAP_FOO"] | .process.capabilities.effective += ["CAP_FOO", "CAP_BAR"]'
	set_args sh -c 'grep ^CapBnd: /proc/self/status'
	run --separate-stderr rt run --bundle "$BUNDLE" caps-unknown
	echo "status $status stdout: $output stderr: $stderr"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"level=warning msg=\"ignoring unknown or unavailable capabilities: [CAP_BAR CAP_FOO]\""* ]]
	# The known names still apply: the spec's bounding set is 0x20000420.
	[ "$output" = $'CapBnd:\t0000000020000420' ]
	assert_nothing_left caps-unknown
}

@test "caps: ambient capabilities the kernel will not raise get runc's warning, in run and exec" {
	make_bundle
	update_config '.process.capabilities.ambient = ["CAP_KILL", "CAP_NET_BIND_SERVICE"]
		| .process.capabilities.inheritable = ["CAP_KILL"] | .process.user = {uid: 1000, gid: 1000}'
	set_args sh -c 'grep ^CapAmb: /proc/self/status'
	run --separate-stderr rt run --bundle "$BUNDLE" caps-amb
	echo "status $status stdout: $output stderr: $stderr"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"level=warning msg=\"can't raise ambient capability CAP_NET_BIND_SERVICE: operation not permitted\""* ]]
	[ "$output" = $'CapAmb:\t0000000000000020' ]
	set_args sleep 1000
	run_detached caps-amb2
	run --separate-stderr rt exec caps-amb2 grep ^CapAmb: /proc/self/status
	echo "status $status stdout: $output stderr: $stderr"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"can't raise ambient capability CAP_NET_BIND_SERVICE: operation not permitted"* ]]
	[ "$output" = $'CapAmb:\t0000000000000020' ]
	rt delete --force caps-amb2
	assert_nothing_left caps-amb2
}

@test "caps: noNewPrivileges sets NoNewPrivs, and only when asked" {
	make_bundle
	update_config '.process.noNewPrivileges = true'
	status_caps caps-nnp
	[ "$(awk '$1 == "NoNewPrivs:" {print $2}' <<<"$output")" = 1 ]
	update_config '.process.noNewPrivileges = false'
	status_caps caps-nonnp
	[ "$(awk '$1 == "NoNewPrivs:" {print $2}' <<<"$output")" = 0 ]
	assert_nothing_left caps-nnp
	assert_nothing_left caps-nonnp
}
