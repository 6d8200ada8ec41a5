#!/usr/bin/env bats
# linux.memoryPolicy: set_mempolicy in the init, kept across execve and given
# to exec'd processes; /proc/self/numa_maps shows a task's policy on every
# mapping that has none of its own. Refusals: a bad mode, flag or node list
# fails before anything is made; nodes the machine lacks fail in the init.

load helpers

# expected_word MODE NODES: what numa_maps prints for that policy.
expected_word() {
	case "$1" in
	MPOL_DEFAULT) echo default ;;
	MPOL_LOCAL) echo local ;;
	MPOL_BIND) echo "bind:$2" ;;
	MPOL_INTERLEAVE) echo "interleave:$2" ;;
	MPOL_PREFERRED) echo "prefer:$2" ;;
	MPOL_PREFERRED_MANY) echo "prefer (many):$2" ;;
	MPOL_WEIGHTED_INTERLEAVE) echo "weighted interleave:$2" ;;
	esac
}

setup() {
	common_setup
	[[ -e /proc/self/numa_maps ]] || skip "kernel without NUMA (no /proc/self/numa_maps)"
	# The first node this host has, and one past the last it could have.
	NODE=$(sed 's/[-,].*//' /sys/devices/system/node/online)
	PAST=$(($(sed 's/.*[-,]//' /sys/devices/system/node/possible) + 1))
}

@test "memoryPolicy: every mode features lists applies to the workload and to exec" {
	run -0 "$RT" features
	mapfile -t modes < <(jq -r '.linux.memoryPolicy.modes[]' <<<"$output")
	[ "${#modes[@]}" -gt 0 ]
	make_bundle
	set_args sleep 100
	for mode in "${modes[@]}"; do
		nodes="$NODE"
		[[ "$mode" == MPOL_DEFAULT || "$mode" == MPOL_LOCAL ]] && nodes=""
		update_config '.linux.memoryPolicy = {mode: $m, nodes: $n}' --arg m "$mode" --arg n "$nodes"
		run_detached mp-mode
		want=$(expected_word "$mode" "$nodes")
		pid=$(container_pid mp-mode)
		# The init itself (PID 1 of the container, the workload after execve).
		got=$(awk 'NR == 1 {sub(/^[^ ]+ /, ""); sub(/ (file|anon|heap|stack).*/, ""); print}' "/proc/$pid/numa_maps")
		echo "$mode: init has '$got', want '$want'"
		[ "$got" = "$want" ]
		run -0 rt exec mp-mode sh -c 'head -1 /proc/self/numa_maps'
		got=$(awk '{sub(/^[^ ]+ /, ""); sub(/ (file|anon|heap|stack).*/, ""); print}' <<<"$output")
		echo "$mode: exec has '$got'"
		[ "$got" = "$want" ]
		rt delete --force mp-mode
		assert_nothing_left mp-mode
	done
}

@test "memoryPolicy: every flag features lists (static, relative, numa-balancing) applies" {
	run -0 "$RT" features
	mapfile -t flags < <(jq -r '.linux.memoryPolicy.flags[]' <<<"$output")
	[ "${#flags[@]}" -gt 0 ]
	make_bundle
	set_args sh -c 'head -1 /proc/self/numa_maps'
	for f in "${flags[@]}"; do
		case "$f" in
		MPOL_F_STATIC_NODES) word=static ;;
		MPOL_F_RELATIVE_NODES) word=relative ;;
		MPOL_F_NUMA_BALANCING) word=balancing ;;
		*) echo "features lists unknown flag $f" >&2; false ;;
		esac
		update_config '.linux.memoryPolicy = {mode: "MPOL_BIND", nodes: $n, flags: [$f]}' --arg n "$NODE" --arg f "$f"
		run -0 rt run --bundle "$BUNDLE" mp-flag
		echo "$output"
		[[ "$output" == *" bind=$word:$NODE "* ]]
		assert_nothing_left mp-flag
	done
	# Relative nodes are folded onto the ones the task may use: a node this
	# machine lacks is fine.
	update_config '.linux.memoryPolicy = {mode: "MPOL_INTERLEAVE", nodes: $n, flags: ["MPOL_F_RELATIVE_NODES"]}' --arg n "$PAST"
	run -0 rt run --bundle "$BUNDLE" mp-flag
	[[ "$output" == *" interleave=relative:"* ]]
	assert_nothing_left mp-flag
}

@test "memoryPolicy: MPOL_PREFERRED without nodes is local allocation" {
	make_bundle
	set_args sh -c 'head -1 /proc/self/numa_maps'
	update_config '.linux.memoryPolicy = {mode: "MPOL_PREFERRED"}'
	run -0 rt run --bundle "$BUNDLE" mp-pref
	[[ "$output" == *" local "* ]]
	assert_nothing_left mp-pref
}

@test "memoryPolicy: bad modes, flags and node lists are refused, nothing left" {
	make_bundle
	set_args true
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/orig.json"
	while IFS='|' read -r policy words; do
		cp "$BATS_TEST_TMPDIR/orig.json" "$BUNDLE/config.json"
		update_config ".linux.memoryPolicy = $policy"
		run --separate-stderr rt run --bundle "$BUNDLE" mp-bad
		echo "$policy -> $stderr"
		assert_one_error_line
		# Word by word: runc's log line quotes and escapes the message.
		for w in $words; do
			[[ "$stderr" == *"$w"* ]]
		done
		if is_rt; then
			[[ "$stderr" == *linux.memoryPolicy* ]]
		fi
		assert_nothing_left mp-bad
	done <<-'EOF'
		{mode: "MPOL_FOO", nodes: "0"}|invalid memory policy mode MPOL_FOO
		{mode: "bind", nodes: "0"}|invalid memory policy mode bind
		{mode: "MPOL_BIND", nodes: "0", flags: ["MPOL_F_FOO"]}|invalid memory policy flag MPOL_F_FOO
		{mode: "MPOL_BIND"}|requires at least one node but got 0
		{mode: "MPOL_INTERLEAVE", nodes: ""}|requires at least one node but got 0
		{mode: "MPOL_LOCAL", nodes: "0"}|requires 0 nodes but got 1
		{mode: "MPOL_DEFAULT", nodes: "0-1"}|requires 0 nodes but got 2
		{mode: "MPOL_BIND", nodes: "1024"}|invalid memory policy nodes 1024 1023
		{mode: "MPOL_BIND", nodes: "x"}|invalid memory policy nodes x
		{mode: "MPOL_BIND", nodes: "1-0"}|invalid memory policy nodes 1-0
		{mode: "MPOL_BIND", nodes: ","}|invalid memory policy nodes ,
	EOF
}

@test "memoryPolicy: nodes past the machine and flags the kernel refuses fail create, nothing left" {
	make_bundle
	set_args true
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/orig.json"
	for policy in "{mode: \"MPOL_BIND\", nodes: \"$PAST\"}" "{mode: \"MPOL_PREFERRED\", nodes: \"$PAST\"}" \
		"{mode: \"MPOL_BIND\", nodes: \"$PAST\", flags: [\"MPOL_F_STATIC_NODES\"]}" \
		'{mode: "MPOL_BIND", nodes: "0", flags: ["MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"]}' \
		'{mode: "MPOL_LOCAL", flags: ["MPOL_F_STATIC_NODES"]}'; do
		cp "$BATS_TEST_TMPDIR/orig.json" "$BUNDLE/config.json"
		update_config ".linux.memoryPolicy = $policy"
		run --separate-stderr rt create --bundle "$BUNDLE" mp-past
		echo "$policy -> $stderr"
		assert_one_error_line
		[[ "$stderr" == *"set_mempolicy: invalid argument"* ]]
		if is_rt && [[ "$policy" == *'"MPOL_BIND", nodes: "'$PAST'"}' ]]; then
			[[ "$(log_msg "$stderr")" == *"linux.memoryPolicy.nodes: no node of \"$PAST\" is on this machine"* ]]
		fi
		assert_nothing_left mp-past
	done
}
