#!/usr/bin/env bats
# rt features tells the truth: what it lists works.

load helpers

@test "features: every mount option it lists is honoured by a container mount" {
	# runc 1.5 lists options that fail (remount on a fresh bind), so this
	# holds rt to its own word only.
	requires_rt
	run -0 rt features
	local opts
	opts=$(jq -r '.mountOptions[]' <<<"$output")
	[ "$(wc -l <<<"$opts")" -gt 40 ]
	make_bundle
	mkdir -p "$BATS_TEST_TMPDIR/src"
	local o mounts='[]' n=0
	for o in $opts; do
		case "$o" in
		idmap | ridmap) continue ;; # need a mapping: idmap.bats
		bind | rbind) mounts=$(jq --arg o "$o" --arg s "$BATS_TEST_TMPDIR/src" '. + [{destination: ("/mnt/" + $o), type: "bind", source: $s, options: [$o]}]' <<<"$mounts") ;;
		r* | private | shared | slave | unbindable | symfollow | nosymfollow)
			mounts=$(jq --arg o "$o" --arg s "$BATS_TEST_TMPDIR/src" '. + [{destination: ("/mnt/" + $o), type: "bind", source: $s, options: ["rbind", $o]}]' <<<"$mounts") ;;
		*) mounts=$(jq --arg o "$o" '. + [{destination: ("/mnt/" + $o), type: "tmpfs", source: "tmpfs", options: [$o]}]' <<<"$mounts") ;;
		esac
		n=$((n + 1))
	done
	update_config '.mounts += $m' --argjson m "$mounts"
	set_args cat /proc/self/mountinfo
	run --separate-stderr rt run --bundle "$BUNDLE" feat-mounts
	echo "stderr: $stderr"
	[ "$status" -eq 0 ]
	# Every destination is a mount point; options with a visible flag show it.
	[ "$(grep -c ' /mnt/' <<<"$output")" -eq "$n" ]
	local flag
	for flag in ro nosuid nodev noexec; do
		grep -E " /mnt/$flag [^ ]*\b$flag\b" <<<"$output"
	done
	grep -E " /mnt/rro [^ ]*\bro\b" <<<"$output"
	grep -E " /mnt/shared [^ ]* shared:" <<<"$output"
	assert_nothing_left feat-mounts
}

@test "features: the annotations the runtime acts on are listed as potentially unsafe" {
	run "$RT" features
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.potentiallyUnsafeConfigAnnotations | index("org.systemd.property.") != null and index("org.criu.config") != null'
}

@test "features: the systemd cgroup driver is there for root and for a rootless user (the user's systemd)" {
	run "$RT" features
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.linux.cgroup.systemd == true and .linux.cgroup.systemdUser == true'
}
