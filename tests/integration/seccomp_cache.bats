#!/usr/bin/env bats
# rt's cache of compiled seccomp programs (<root>/@seccomp-cache, one entry
# per profile, seccomp/cache.go): a process whose plan carries a profile
# already compiled on this host reads it back instead of compiling it again,
# and an entry that is not exactly right is compiled and written anew. rt
# only: runc compiles every time. The plan sets up create's init and rt
# exec's process, so a container's create compiles its profile first.

load helpers

CACHE_ERRNO=18 # EXDEV, "Invalid cross-device link": no other cause here

# sleeper ID [DENY]: a running container whose profile lets everything
# through but DENY (default mkdir and mkdirat), which fails with EXDEV.
sleeper() {
	local dir="$BATS_TEST_TMPDIR/$1"
	make_bundle "$dir"
	update_config -b "$dir" '.process.args = ["sleep", "1000"] |
		.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
			syscalls: [{names: $deny, action: "SCMP_ACT_ERRNO", errnoRet: ($e | tonumber)}]}' \
		--argjson deny "${2:-[\"mkdir\", \"mkdirat\"]}" --arg e "$CACHE_ERRNO"
	run_detached "$1" "$dir"
}

# exec_logged ID LOG CMD...: rt --debug exec, its log as JSON lines in LOG.
exec_logged() {
	local id=$1 log=$2
	shift 2
	rt --debug --log "$log" --log-format json exec "$id" "$@"
}

# cache_msg LOG: the one cache line of LOG (hit, miss or not used).
cache_msg() {
	jq -r -s '[.[] | select(.msg | startswith("seccomp: cache "))] | if length == 1 then .[0].msg else "\(length) lines" end' "$1"
}

# mkdir_denied ID: in ID, mkdir fails with the profile's errno.
mkdir_denied() {
	run rt exec "$1" sh -c 'mkdir /tmp/denied; echo rc=$?'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Invalid cross-device link"* ]]
	[[ "$output" == *rc=1* ]]
}

entries() {
	find "$RT_ROOT/@seccomp-cache" -maxdepth 1 -type f -name '????????????????????????????????????????????????????????????????' | sort
}

@test "seccomp cache: the first plan (create) compiles, exec and another container's hit" {
	requires_rt
	[ ! -e "$RT_ROOT/@seccomp-cache" ]
	sleeper sc1
	[ "$(stat -c '%a %u %F' "$RT_ROOT/@seccomp-cache")" = "700 0 directory" ]
	[ "$(entries | wc -l)" -eq 1 ]
	entry=$(entries)
	[ "$(stat -c '%a %u' "$entry")" = "600 0" ]
	exec_logged sc1 "$BATS_TEST_TMPDIR/1.json" true
	[ "$(cache_msg "$BATS_TEST_TMPDIR/1.json")" = "seccomp: cache hit" ]

	exec_logged sc1 "$BATS_TEST_TMPDIR/2.json" true
	[ "$(cache_msg "$BATS_TEST_TMPDIR/2.json")" = "seccomp: cache hit" ]
	mkdir_denied sc1

	# Another container with the same profile: its first exec hits too.
	sleeper sc2
	exec_logged sc2 "$BATS_TEST_TMPDIR/3.json" true
	[ "$(cache_msg "$BATS_TEST_TMPDIR/3.json")" = "seccomp: cache hit" ]
	mkdir_denied sc2
	[ "$(entries)" = "$entry" ]

	# The cache is no container.
	[ "$(rt list -q | sort | tr '\n' ' ')" = "sc1 sc2 " ]
	rt delete --force sc1
	rt delete --force sc2
	assert_nothing_left sc1 "$BATS_TEST_TMPDIR/sc1"
	assert_nothing_left sc2 "$BATS_TEST_TMPDIR/sc2"
}

@test "seccomp cache: a corrupted entry is compiled again and the filter still denies" {
	requires_rt
	sleeper sc3
	rt exec sc3 true
	entry=$(entries)
	[ -n "$entry" ]
	cp "$entry" "$BATS_TEST_TMPDIR/good"
	# Zero the program's last instruction (the kernel would take it).
	size=$(stat -c %s "$entry")
	dd if=/dev/zero of="$entry" bs=1 seek=$((size - 8)) count=8 conv=notrunc status=none
	! cmp -s "$entry" "$BATS_TEST_TMPDIR/good"

	exec_logged sc3 "$BATS_TEST_TMPDIR/1.json" true
	[ "$(cache_msg "$BATS_TEST_TMPDIR/1.json")" = "seccomp: cache miss" ]
	jq -e -s 'map(select(.msg == "seccomp: cache miss" and (.why | test("checksum")))) | length == 1' "$BATS_TEST_TMPDIR/1.json"
	# Rewritten as it was.
	cmp "$entry" "$BATS_TEST_TMPDIR/good"
	mkdir_denied sc3

	# Garbage of any size is no entry either.
	head -c 100 /dev/urandom >"$entry"
	mkdir_denied sc3
	cmp "$entry" "$BATS_TEST_TMPDIR/good"
	rt delete --force sc3
	assert_nothing_left sc3 "$BATS_TEST_TMPDIR/sc3"
}

@test "seccomp cache: another profile's program under this profile's key is not used" {
	requires_rt
	sleeper sc4
	mine=$(entries)
	sleeper sc5 '["chroot"]'
	theirs=$(entries | grep -vxF "$mine")
	[ -n "$mine" ] && [ -n "$theirs" ]
	cp "$mine" "$BATS_TEST_TMPDIR/good"
	# A well-formed entry, checksum and all, of a profile that allows mkdir.
	cp "$theirs" "$mine"
	exec_logged sc4 "$BATS_TEST_TMPDIR/1.json" true
	jq -e -s 'map(select(.msg == "seccomp: cache miss" and (.why | test("another key")))) | length == 1' "$BATS_TEST_TMPDIR/1.json"
	cmp "$mine" "$BATS_TEST_TMPDIR/good"
	mkdir_denied sc4
	rt delete --force sc4
	rt delete --force sc5
	assert_nothing_left sc4 "$BATS_TEST_TMPDIR/sc4"
	assert_nothing_left sc5 "$BATS_TEST_TMPDIR/sc5"
}

@test "seccomp cache: a cache dir others can write is not used" {
	requires_rt
	sleeper sc6
	rt exec sc6 true
	entry=$(entries)
	chmod 0777 "$RT_ROOT/@seccomp-cache"
	exec_logged sc6 "$BATS_TEST_TMPDIR/1.json" true
	jq -e -s 'map(select(.msg == "seccomp: cache not used" and (.why | test("lets others in")))) | length == 1' "$BATS_TEST_TMPDIR/1.json"
	# Not read: a planted program would be ignored.
	: >"$entry"
	mkdir_denied sc6
	[ ! -s "$entry" ]
	rt delete --force sc6
	assert_nothing_left sc6 "$BATS_TEST_TMPDIR/sc6"
}
