#!/usr/bin/env bats
# Capabilities a hostile workload must not get or get back: an inheritable
# set nobody asked for (crun CVE-2022-27650, runc exec --cap CVE-2022-29162),
# a setuid-root binary under no_new_privileges, a capability dropped from
# bounding. Busybox has no capsh, so testdata/capprobe (static Go) makes the
# capset/prctl calls and prints what the kernel answered.

load helpers

setup_file() {
	local go=go
	command -v go >/dev/null || go=/usr/local/go/bin/go
	CAPPROBE="$BATS_FILE_TMPDIR/capprobe"
	CGO_ENABLED=0 "$go" build -o "$CAPPROBE" "$BATS_TEST_DIRNAME/testdata/capprobe"
	export CAPPROBE
}

# CHOWN=0 KILL=5 NET_BIND_SERVICE=10 NET_ADMIN=12 SYS_ADMIN=21
CAPS_GREP='grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):" /proc/self/status'

# mask FIELD: the value of FIELD in $output, as a decimal number.
mask() {
	local v
	v=$(awk -v f="$1:" '$1 == f {print $2}' <<<"$output")
	[[ -n "$v" ]] || { echo "no $1 line in: $output" >&2; return 1; }
	echo $((16#$v))
}

install_probe() {
	cp "$CAPPROBE" "$BUNDLE/rootfs/bin/capprobe"
}

@test "caps2: rt spec's config asks for no inheritable caps, and the container has none (crun CVE-2022-27650)" {
	make_bundle
	# The config as rt spec wrote it (make_bundle changed only terminal,
	# cgroupsPath and root.readonly).
	[ "$(jq '.process.capabilities.inheritable // [] | length' "$BUNDLE/config.json")" -eq 0 ]
	# (runc's spec lists ambient caps too; without inheritable the kernel
	# cannot raise them, so only the container's CapAmb is checked.)
	update_config '.process.args = ["sh", "-c", $c]' --arg c "$CAPS_GREP"
	run rt run --bundle "$BUNDLE" caps2-spec
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(mask CapInh)" -eq 0 ]
	[ "$(mask CapAmb)" -eq 0 ]
	# The sets that were asked for did arrive: the check is not vacuous.
	[ "$(mask CapEff)" -ne 0 ]
	assert_nothing_left caps2-spec
}

@test "caps2: rt exec has no inheritable caps, also with --cap (runc CVE-2022-29162)" {
	make_bundle
	set_args sleep 100
	run_detached caps2-exec
	container_pid caps2-exec >/dev/null
	run rt exec caps2-exec sh -c "$CAPS_GREP"
	echo "exec: $output"
	[ "$status" -eq 0 ]
	[ "$(mask CapInh)" -eq 0 ]
	[ "$(mask CapAmb)" -eq 0 ]
	# --cap adds the capability to what the process can use, not to the
	# inheritable set a later execve of a file with inheritable file caps
	# would draw on.
	run rt exec --cap CAP_NET_ADMIN caps2-exec sh -c "$CAPS_GREP"
	echo "exec --cap: $output"
	[ "$status" -eq 0 ]
	[ $(($(mask CapEff) & (1 << 12))) -ne 0 ]
	[ $(($(mask CapBnd) & (1 << 12))) -ne 0 ]
	[ "$(mask CapInh)" -eq 0 ]
	rt delete --force caps2-exec
	assert_nothing_left caps2-exec
}

@test "caps2: an inheritable set the config asks for reaches run and exec (unless asked, empty)" {
	make_bundle
	update_config '.process.capabilities.inheritable = ["CAP_KILL"]'
	set_args sleep 100
	run_detached caps2-inh
	container_pid caps2-inh >/dev/null
	run rt exec caps2-inh sh -c "$CAPS_GREP"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(mask CapInh)" -eq $((1 << 5)) ]
	rt delete --force caps2-inh
	assert_nothing_left caps2-inh
}

@test "caps2: ambient CAP_NET_BIND_SERVICE gives uid 1000 the capability (it binds port 80; without it, not)" {
	make_bundle
	install_probe
	update_config '.process.user = {uid: 1000, gid: 1000}
		| .process.capabilities = {
			bounding: ["CAP_NET_BIND_SERVICE"], effective: ["CAP_NET_BIND_SERVICE"],
			permitted: ["CAP_NET_BIND_SERVICE"], inheritable: ["CAP_NET_BIND_SERVICE"],
			ambient: ["CAP_NET_BIND_SERVICE"]}'
	update_config '.process.args = ["sh", "-c", ($c + "; capprobe bind 80")]' --arg c "$CAPS_GREP"
	run rt run --bundle "$BUNDLE" caps2-amb
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(mask CapEff)" -eq $((1 << 10)) ]
	[ "$(mask CapAmb)" -eq $((1 << 10)) ]
	[ "${lines[-1]}" = "bind ok" ]
	# The same user without the ambient set: no capability, no port 80.
	update_config '.process.capabilities.ambient = []'
	run rt run --bundle "$BUNDLE" caps2-noamb
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(mask CapEff)" -eq 0 ]
	[ "${lines[-1]}" = "bind EACCES" ]
	assert_nothing_left caps2-amb
	assert_nothing_left caps2-noamb
}

@test "caps2: no_new_privileges keeps a setuid-root binary at euid 1000; without it the setuid works" {
	make_bundle
	# Debian's busybox drops a setuid euid itself for applets like id
	# (FEATURE_SUID), so a setuid copy of it proves nothing: the probe
	# is a plain static binary that reports its ids.
	mkdir "$BUNDLE/rootfs/suid"
	cp "$CAPPROBE" "$BUNDLE/rootfs/suid/capprobe"
	chown 0:0 "$BUNDLE/rootfs/suid/capprobe"
	chmod 4755 "$BUNDLE/rootfs/suid/capprobe"
	update_config '.process.user = {uid: 1000, gid: 1000} | .process.noNewPrivileges = true'
	set_args /suid/capprobe ids
	run rt run --bundle "$BUNDLE" caps2-nnp
	echo "nnp: $output"
	[ "$status" -eq 0 ]
	[ "$output" = "uid=1000 euid=1000" ]
	update_config '.process.noNewPrivileges = false'
	run rt run --bundle "$BUNDLE" caps2-nonnp
	echo "no nnp: $output"
	[ "$status" -eq 0 ]
	[ "$output" = "uid=1000 euid=0" ]
	assert_nothing_left caps2-nnp
	assert_nothing_left caps2-nonnp
}

@test "caps2: a capability dropped from bounding cannot be regained (capset, ambient, setuid-root exec)" {
	make_bundle
	install_probe
	cp "$CAPPROBE" "$BUNDLE/rootfs/bin/suidprobe"
	chown 0:0 "$BUNDLE/rootfs/bin/suidprobe"
	chmod 4755 "$BUNDLE/rootfs/bin/suidprobe"
	# uid 1000 holds nothing. A setuid-root exec (no no_new_privs) gets
	# back what bounding still has (CHOWN: the probe's proof that it can
	# succeed), never what was dropped from it (SYS_ADMIN).
	update_config '.process.user = {uid: 1000, gid: 1000} | .process.noNewPrivileges = false
		| .process.capabilities = {bounding: ["CAP_CHOWN", "CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"]}'
	set_args sh -c 'echo "-- 1000 0"; capprobe regain 0; echo "-- suid 0"; suidprobe regain 0; echo "-- suid 21"; suidprobe regain 21'
	run rt run --bundle "$BUNDLE" caps2-regain
	echo "$output"
	[ "$status" -eq 0 ]
	local want
	want=$(printf '%s\n' "-- 1000 0" "effective EPERM" "permitted EPERM" "inheritable EPERM" "ambient EPERM" "bounding 1" \
		"-- suid 0" "effective ok" "permitted ok" "inheritable ok" "ambient EPERM" "bounding 1" \
		"-- suid 21" "effective EPERM" "permitted EPERM" "inheritable EPERM" "ambient EPERM" "bounding 0")
	[ "$output" = "$want" ]
	assert_nothing_left caps2-regain
}
