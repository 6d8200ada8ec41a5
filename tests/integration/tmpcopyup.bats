#!/usr/bin/env bats
# tmpcopyup: a tmpfs over a directory of the image starts with a copy of
# that directory's tree (owners, modes, symlinks as links), through fds and
# never following a link; writes go to the tmpfs, the image is untouched.
# rt also keeps hard links, times, xattrs, fifos (runc 1.5 does not).

load helpers

# make_tree: /data in the image with files, owners, modes, links.
make_tree() {
	local d="$BUNDLE/rootfs/data"
	mkdir -p "$d/sub/deep"
	echo hello >"$d/file"
	chown 1000:2000 "$d/file"
	chmod 0604 "$d/file"
	ln "$d/file" "$d/hardlink"
	ln -s ../etc/passwd "$d/rel-link"
	ln -s /etc/shadow-of-the-host "$d/abs-link"
	chown -h 1234:1235 "$d/abs-link"
	chown 1001:1002 "$d/sub"
	chmod 4751 "$d/sub"
	echo deep >"$d/sub/deep/f"
	chmod 0711 "$d/sub/deep"
	chmod 0750 "$d"
	setfattr -n user.rt.test -v copied "$d/file"
	touch -h -d '2001-02-03 04:05:06' "$d/file"
}

@test "tmpcopyup: the directory's tree is in the new tmpfs with owners, modes and links" {
	make_bundle
	make_tree
	update_config '.mounts += [{destination: "/data", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup", "nosuid", "size=1m"]}]'
	set_args sh -c 'stat -c "%n %a %u %g" /data /data/file /data/sub /data/sub/deep; stat -c "%n %u %g %N" /data/rel-link /data/abs-link; cat /data/file /data/sub/deep/f; grep " /data " /proc/self/mountinfo'
	run -0 rt run --bundle "$BUNDLE" cu-tree
	echo "$output"
	[ "${lines[0]}" = "/data 750 0 0" ]
	[ "${lines[1]}" = "/data/file 604 1000 2000" ]
	[ "${lines[2]}" = "/data/sub 4751 1001 1002" ]
	[ "${lines[3]}" = "/data/sub/deep 711 0 0" ]
	[[ "${lines[4]}" == "/data/rel-link 0 0 '/data/rel-link' -> '../etc/passwd'" ]]
	[[ "${lines[5]}" == "/data/abs-link 1234 1235 '/data/abs-link' -> '/etc/shadow-of-the-host'" ]]
	[ "${lines[6]}" = hello ]
	[ "${lines[7]}" = deep ]
	[[ "${lines[8]}" == *" /data "*" - tmpfs "*mode=750* ]]
	assert_nothing_left cu-tree
}

@test "tmpcopyup: writes go to the tmpfs; the image's directory is untouched" {
	make_bundle
	make_tree
	update_config '.mounts += [{destination: "/data", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup"]}]'
	set_args sh -c 'rm /data/file; echo changed >/data/file; echo new >/data/new; rm /data/rel-link; cat /data/file'
	run -0 rt run --bundle "$BUNDLE" cu-write
	[ "$output" = changed ]
	[ "$(cat "$BUNDLE/rootfs/data/file")" = hello ]
	[ ! -e "$BUNDLE/rootfs/data/new" ]
	[ -L "$BUNDLE/rootfs/data/rel-link" ]
	assert_nothing_left cu-write
}

@test "tmpcopyup (rt): hard links, times, xattrs and fifos are kept too" {
	requires_rt
	make_bundle
	make_tree
	mkfifo -m 0620 "$BUNDLE/rootfs/data/sub/fifo"
	update_config '.mounts += [{destination: "/data", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup"]}]'
	set_args sleep 100
	run_detached cu-more
	pid=$(container_pid cu-more)
	d="/proc/$pid/root/data"
	[ "$(stat -c %i "$d/file")" = "$(stat -c %i "$d/hardlink")" ]
	[ "$(stat -c %h "$d/file")" = 2 ]
	[ "$(stat -c %Y "$d/file")" = "$(stat -c %Y "$BUNDLE/rootfs/data/file")" ]
	[ "$(getfattr --only-values -n user.rt.test "$d/file")" = copied ]
	[ "$(stat -c '%F %a' "$d/sub/fifo")" = "fifo 620" ]
	[ "$(stat -f -c %T "$d")" = tmpfs ]
	rt delete --force cu-more
	assert_nothing_left cu-more
}

@test "tmpcopyup: ro tmpfs has the copy and refuses writes; a missing directory gives an empty tmpfs" {
	make_bundle
	make_tree
	update_config '.mounts += [{destination: "/data", type: "tmpfs", source: "tmpfs", options: ["ro", "tmpcopyup"]},
		{destination: "/nothere", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup"]}]'
	set_args sh -c 'cat /data/file; if touch /data/x 2>/dev/null; then echo writable; fi; ls -A /nothere | wc -l; grep " /data " /proc/self/mountinfo'
	run -0 rt run --bundle "$BUNDLE" cu-ro
	echo "$output"
	[ "${lines[0]}" = hello ]
	[ "${lines[1]}" = 0 ]
	[[ "${lines[2]}" == *" /data ro,"* ]]
	assert_nothing_left cu-ro
}

@test "tmpcopyup: a destination that is a symlink out of the rootfs stays inside it; links in the tree are not followed" {
	make_bundle
	host="$BATS_TEST_TMPDIR/host-dir"
	mkdir -p "$host"
	echo host-secret >"$host/secret"
	mkdir -p "$BUNDLE/rootfs/inside"
	echo image >"$BUNDLE/rootfs/inside/mine"
	# /data -> the host directory's absolute path: inside the rootfs that is
	# a path that does not exist, so it is made there.
	ln -s "$host" "$BUNDLE/rootfs/data"
	# A link in the tree to the host dir, by relative escape and absolute path.
	ln -s ../../../../../../../../.."$host" "$BUNDLE/rootfs/inside/escape"
	ln -s "$host/secret" "$BUNDLE/rootfs/inside/abs"
	update_config '.mounts += [{destination: "/data", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup"]},
		{destination: "/inside", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup"]}]'
	set_args sh -c 'ls -A /data | wc -l; cat /inside/mine; cat /inside/escape/secret 2>&1 || true; cat /inside/abs 2>&1 || true; echo done'
	run -0 rt run --bundle "$BUNDLE" cu-link
	echo "$output"
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = image ]
	[[ "$output" != *host-secret* ]]
	[ "$(ls -A "$host")" = secret ]
	[ "$(cat "$host/secret")" = host-secret ]
	assert_nothing_left cu-link
}

@test "tmpcopyup: listed by features and honoured" {
	run -0 "$RT" features
	jq -e '.mountOptions | index(["tmpcopyup"])' <<<"$output"
	make_bundle
	mkdir -p "$BUNDLE/rootfs/data"
	echo listed >"$BUNDLE/rootfs/data/f"
	update_config '.mounts += [{destination: "/data", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup"]}]'
	set_args sh -c 'cat /data/f; stat -f -c %T /data'
	run -0 rt run --bundle "$BUNDLE" cu-feat
	[ "${lines[0]}" = listed ]
	[ "${lines[1]}" = tmpfs ]
	assert_nothing_left cu-feat
}
