# shellcheck disable=SC2034 # VERDICT, WHY, EXPECTED and LEAKS are read by run.sh
# Helpers for tests/oci/run.sh (sourced): building the runtime-tools
# validation programs, the rootfs they unpack, the runtime wrapper, reading
# their TAP, and removing what a run left behind. Nothing here touches a
# container, cgroup or file that this run did not make.

# --- build -----------------------------------------------------------------

# oci_build: the validation programs and runtimetest of $OCI_VERSION in
# $OCI_BIN, built once per version and Go toolchain. The module comes from
# the Go module proxy; its zip's hash is checked against $OCI_SUM before
# anything of it is built. The module cache is read-only, so the build runs
# in a copy; the vendor/ directory is left out of module zips (only its
# modules.txt is there), so the build resolves dependencies from go.sum.
oci_build() {
	if [ -f "$OCI_BIN/.complete" ]; then
		return 0
	fi
	local tmp dir sum rc=0
	tmp=$(mktemp -d "$OCI_CACHE/build.XXXXXX") || return 1
	echo "oci: building runtime-tools $OCI_VERSION into $OCI_BIN"
	(
		set -e
		cd "$tmp"
		GOWORK=off GOFLAGS=-mod=mod go mod download -json "$OCI_MODULE@$OCI_VERSION" >download.json
		dir=$(jq -r .Dir download.json)
		sum=$(jq -r .Sum download.json)
		if [ "$sum" != "$OCI_SUM" ]; then
			echo "oci: $OCI_MODULE@$OCI_VERSION has sum $sum, want $OCI_SUM" >&2
			exit 1
		fi
		cp -r "$dir" src
		chmod -R u+w src
		rm -rf src/vendor
		mkdir bin
		cd src
		# Static and cgo-free: runtimetest runs inside the busybox rootfs.
		CGO_ENABLED=0 GOWORK=off GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" \
			go build -trimpath -tags "netgo osusergo" -o ../bin/ ./validation/... ./cmd/runtimetest
		cd ..
		[ -x bin/runtimetest ] || { echo "oci: runtimetest was not built" >&2; exit 1; }
		touch bin/.complete
	) || rc=$?
	if [ $rc -eq 0 ]; then
		rm -rf "$OCI_BIN"
		mv "$tmp/bin" "$OCI_BIN" || rc=$?
	fi
	rm -rf "$tmp"
	return $rc
}

# oci_programs: the names of the built validation programs, sorted.
oci_programs() {
	local f
	for f in "$OCI_BIN"/*; do
		[ -x "$f" ] || continue
		f=${f##*/}
		[ "$f" = runtimetest ] && continue
		echo "$f"
	done | sort
}

# --- the run's directory ---------------------------------------------------

# oci_make_rootfs DIR: rootfs-$GOARCH.tar.gz in DIR (the name the programs
# unpack from their working directory), from Debian's busybox-static with
# the same skeleton as the suite's own tarball: bin/, dev/, proc/, sys/ and
# an /etc/passwd and /etc/group.
oci_make_rootfs() {
	local dir=$1 arch applet r
	arch=$(go env GOARCH) || return 1
	r=$dir/rootfs
	mkdir -p "$r"/{bin,dev,proc,sys,etc} || return 1
	cp /bin/busybox "$r/bin/busybox" || return 1
	for applet in $(/bin/busybox --list); do
		# "busybox" itself is in the list: linking it would replace the binary.
		[ "$applet" = busybox ] && continue
		ln -s busybox "$r/bin/$applet" || return 1
	done
	cat >"$r/etc/passwd" <<-'EOF'
		root:x:0:0:root:/root:/bin/sh
		bin:x:1:1:bin:/bin:/bin/false
		daemon:x:2:2:daemon:/sbin:/bin/false
		nobody:x:65534:65534:nobody:/nonexistent:/bin/false
	EOF
	cat >"$r/etc/group" <<-'EOF'
		root:x:0:
		bin:x:1:
		daemon:x:2:
		tty:x:5:
		wheel:x:10:root
		nogroup:x:65534:
	EOF
	tar -C "$r" -czf "$dir/rootfs-$arch.tar.gz" . || return 1
	rm -rf "$r"
}

# oci_make_wrapper: $OCI_WORK/runtime, what the programs get as $RUNTIME.
# They call "$RUNTIME create|start|state|kill|delete ..." without --root,
# so the wrapper adds this run's own state root (nothing lands in /run/rt
# or /run/runc) and records each container id the suite creates, for the
# cgroup clean-up. It execs the runtime: pids and exit codes are the
# runtime's own.
oci_make_wrapper() {
	cat >"$OCI_WORK/runtime" <<-EOF
		#!/bin/sh
		if [ "\$1" = create ]; then
		  for id in "\$@"; do :; done
		  echo "\$id" >>'$OCI_WORK/ids'
		fi
		exec '$OCI_RUNTIME' --root '$OCI_WORK/state' "\$@"
	EOF
	chmod 0755 "$OCI_WORK/runtime"
	: >"$OCI_WORK/ids"
	mkdir -p "$OCI_WORK/state"
}

# --- TAP -------------------------------------------------------------------

# oci_judge TAPFILE RC: sets VERDICT (pass, fail or skip) and WHY.
# A program passes when it exited 0, printed a plan, ran as many tests as
# planned and none of them is "not ok" (a "not ok ... # TODO" is a SHOULD of
# the spec that runtimetest reports without failing it). A program whose
# every test is "# SKIP" is skipped; the *_fail programs print no TAP and
# pass by exiting 0. The lifecycle programs (hooks,
# prestart, poststop_fail ...) print no test at all ("1..0") and report a
# failure only as a YAML diagnostic with a non-empty "error": such a
# program fails on that error and passes without one.
oci_judge() {
	local tap=$1 rc=$2 total notok skips plan
	total=$(grep -cE '^(not )?ok [0-9]+' "$tap")
	notok=$(grep -E '^not ok [0-9]+' "$tap" | grep -vciE '# TODO')
	skips=$(grep -ciE '^ok [0-9]+ # SKIP' "$tap")
	# Some programs print one TAP stream per case (linux_cgroups_cpus):
	# the plans add up.
	plan=$(sed -nE 's/^1\.\.([0-9]+).*/\1/p' "$tap" | awk '{ n += $1; p = 1 } END { if (p) print n }')
	VERDICT=fail
	WHY=""
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		WHY="timed out after ${OCI_TIMEOUT}s"
	elif [ "$notok" -gt 0 ]; then
		WHY=$(grep -E '^not ok [0-9]+' "$tap" | grep -viE '# TODO' | head -3 | sed 's/^not ok [0-9]* - //' | paste -sd ';' -)
	elif [ "$rc" -ne 0 ]; then
		WHY="exit status $rc"
	elif [ -z "$plan" ] && [ "$total" -eq 0 ]; then
		# The *_fail programs print nothing and exit 0 when the runtime
		# refused the bad config, as it must.
		VERDICT=pass
		WHY="exit 0, no TAP"
	elif [ -z "$plan" ]; then
		WHY="no TAP plan"
	elif [ "$plan" -ne "$total" ]; then
		WHY="planned $plan tests, ran $total"
	elif [ "$total" -eq 0 ] && grep -qE '^ +"error": "[^"]' "$tap"; then
		WHY=$(sed -nE 's/^ +"error": "([^"]+)".*/\1/p' "$tap" | head -1 | sed -E 's/\\n.*//')
	elif [ "$total" -gt 0 ] && [ "$skips" -eq "$total" ]; then
		VERDICT=skip
		WHY=$(sed -nE 's/^ok [0-9]+ # SKIP //Ip' "$tap" | head -1)
	else
		VERDICT=pass
		WHY="$total tests"
	fi
}

# --- expected failures -------------------------------------------------------

# oci_read_expected FILE: fills EXPECTED[name]=reason. Each line is a
# program name and "# reason"; blank lines and lines starting with "#" are
# comments. A name that is not a built program, or one without a reason, is
# an error: the list must stay exact.
oci_read_expected() {
	local file=$1 line name reason n=0 bad=0
	declare -gA EXPECTED=()
	[ -f "$file" ] || { echo "oci: no expected-failures file $file" >&2; return 1; }
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		[[ "$line" =~ ^[[:space:]]*(#.*)?$ ]] && continue
		if [[ ! "$line" =~ ^([A-Za-z0-9_]+)[[:space:]]+#[[:space:]]*(.+)$ ]]; then
			echo "oci: $file:$n: want \"program  # reason\", got: $line" >&2
			bad=1
			continue
		fi
		name=${BASH_REMATCH[1]}
		reason=${BASH_REMATCH[2]}
		if [ ! -x "$OCI_BIN/$name" ] || [ "$name" = runtimetest ]; then
			echo "oci: $file:$n: $name is not a validation program of $OCI_VERSION" >&2
			bad=1
			continue
		fi
		EXPECTED[$name]=$reason
	done <"$file"
	return $bad
}

# --- clean-up ----------------------------------------------------------------

# oci_cgroup_dirs: the cgroup directories named cgrouptest or testdir (the
# fixed paths the cgroup programs ask for) on any host hierarchy.
oci_cgroup_dirs() {
	find /sys/fs/cgroup -mindepth 2 -maxdepth 12 -type d \
		\( -name cgrouptest -o -name testdir \) 2>/dev/null | sort
}

# oci_remove_cgroup DIR: kill what is still in DIR and under it (processes of
# the suite's containers: the cgroup is one this run made), then rmdir it,
# deepest first. Prints DIR when it could not be removed.
oci_remove_cgroup() {
	local top=$1 d pid i
	while IFS= read -r d; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			if [ -f "$d/cgroup.procs" ]; then
				while read -r pid; do
					[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
				done <"$d/cgroup.procs"
			fi
			rmdir "$d" 2>/dev/null && break
			sleep 0.2
		done
		[ -d "$d" ] && echo "$d"
	done < <(find "$top" -depth -type d 2>/dev/null)
	return 0
}

# oci_cleanup_after NAME: after one program, force-delete the containers it
# left in this run's state root, and remove the cgroups of the containers it
# created and the cgrouptest/testdir cgroups that appeared; each leftover is
# noted in LEAKS[NAME] (the runtime's delete should have removed it).
oci_cleanup_after() {
	local name=$1 id d left note=""
	while IFS= read -r id; do
		[ -n "$id" ] || continue
		note+="container $id left; "
		"$OCI_WORK/runtime" delete --force "$id" >/dev/null 2>&1 ||
			echo "oci: could not delete container $id" >&2
	done < <("$OCI_WORK/runtime" list -q 2>/dev/null)
	while IFS= read -r id; do
		[ -n "$id" ] || continue
		while IFS= read -r d; do
			note+="cgroup ${d#/sys/fs/cgroup/} left; "
			left=$(oci_remove_cgroup "$d")
			[ -n "$left" ] && echo "oci: could not remove cgroup $left" >&2
		done < <(find /sys/fs/cgroup -mindepth 2 -maxdepth 12 -type d -name "$id" 2>/dev/null)
	done < <(sed -n "$((OCI_IDS_SEEN + 1)),\$p" "$OCI_WORK/ids")
	OCI_IDS_SEEN=$(wc -l <"$OCI_WORK/ids")
	while IFS= read -r d; do
		grep -qxF "$d" "$OCI_WORK/cgroups-before" && continue
		# The parent testdir is listed too; it may already be gone.
		[ -d "$d" ] || continue
		left=$(oci_remove_cgroup "$d")
		[ -n "$left" ] && echo "oci: could not remove cgroup $left" >&2
	done < <(oci_cgroup_dirs)
	if grep -qF " $OCI_WORK/" /proc/self/mountinfo; then
		note+="mounts under $OCI_WORK left; "
		oci_unmount_under "$OCI_WORK"
	fi
	[ -n "$note" ] && LEAKS["$name"]=${note%; }
	return 0
}

# oci_unmount_under DIR: unmount, deepest first, whatever is still mounted
# under DIR in this mount namespace (only this run's bundles live there), so
# that removing DIR cannot reach into a mounted file system.
oci_unmount_under() {
	local dir=$1 m
	while IFS= read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m" ||
			echo "oci: could not unmount $m" >&2
	done < <(awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
}
