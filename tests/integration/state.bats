#!/usr/bin/env bats
# `state`: the OCI state document through the lifecycle, and when the init
# dies behind the runtime's back.

load helpers

@test "state of a created container is a full OCI state document" {
	make_bundle
	set_args sleep 100
	create_container st-created
	run rt state st-created
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg b "$BUNDLE" '
		type == "object" and
		(.ociVersion | type == "string" and length > 0) and
		.id == "st-created" and .status == "created" and
		(.pid | type == "number" and . > 0) and .bundle == $b'
	pid=$(container_pid st-created)
	# The pid is the host pid of the (waiting) init.
	[ -d "/proc/$pid" ]
	rt delete --force st-created
	assert_nothing_left st-created
}

@test "state of a running container" {
	make_bundle
	set_args sleep 100
	run_detached st-running
	run rt state st-running
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.status == "running" and .pid > 0'
	pid=$(container_pid st-running)
	[ "$(tr '\0' ' ' </proc/$pid/cmdline)" = "sleep 100 " ]
	rt delete --force st-running
	assert_nothing_left st-running
}

@test "state of a container whose process exited" {
	make_bundle
	set_args true
	run_detached st-exited
	wait_for_status st-exited stopped
	run rt state st-exited
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg b "$BUNDLE" '.status == "stopped" and .id == "st-exited" and .bundle == $b'
	rt delete st-exited
	assert_nothing_left st-exited
}

@test "state of a running container whose init was killed from outside reads stopped" {
	make_bundle
	set_args sleep 100
	run_detached st-killed
	pid=$(container_pid st-killed)
	kill -9 "$pid"
	wait_for_status st-killed stopped
	# And it can then be deleted without --force.
	run rt delete st-killed
	[ "$status" -eq 0 ]
	assert_nothing_left st-killed
}

@test "state of a created container whose init was killed from outside reads stopped" {
	make_bundle
	set_args sleep 100
	create_container st-ckilled
	pid=$(container_pid st-ckilled)
	kill -9 "$pid"
	wait_for_status st-ckilled stopped
	run rt start st-ckilled
	[ "$status" -ne 0 ]
	rt delete --force st-ckilled
	assert_nothing_left st-ckilled
}

@test "state carries the config's annotations" {
	make_bundle
	update_config '.annotations = {"org.example.key": "value-1", "other": "x"}'
	set_args sleep 100
	create_container st-annot
	run rt state st-annot
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.annotations["org.example.key"] == "value-1" and .annotations.other == "x"'
	rt delete --force st-annot
	assert_nothing_left st-annot
}

@test "state and list agree" {
	make_bundle
	set_args sleep 100
	run_detached st-agree
	state=$(rt state st-agree)
	run rt list --format json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --argjson s "$state" 'map(select(.id == "st-agree"))[0] | .pid == $s.pid and .status == $s.status and .bundle == $s.bundle'
	rt delete --force st-agree
	assert_nothing_left st-agree
}

@test "state without an id fails" {
	run rt state
	[ "$status" -ne 0 ]
}

@test "state does not change the container" {
	make_bundle
	set_args sleep 100
	create_container st-ro
	before=$(rt state st-ro)
	rt state st-ro >/dev/null
	rt state st-ro >/dev/null
	[ "$(rt state st-ro)" = "$before" ]
	rt delete --force st-ro
	assert_nothing_left st-ro
}

@test "state and list read state.json alone; the spec is in spec.json for the commands that need it" {
	requires_rt
	make_bundle
	set_args sleep 100
	run_detached st-small
	dir=$RT_ROOT/st-small
	# state.json is the small record; the spec lives beside it.
	jq -e 'has("spec") | not' "$dir/state.json"
	jq -e '.process.args == ["sleep", "100"]' "$dir/spec.json"
	want_state=$(rt state st-small)
	want_list=$(rt list --format json)
	# With a spec.json that does not decode, state and list still answer
	# the same: they never read it. exec needs the spec and says so.
	cp "$dir/spec.json" "$BATS_TEST_TMPDIR/spec.json"
	echo '{not json' >"$dir/spec.json"
	[ "$(rt state st-small)" = "$want_state" ]
	[ "$(rt list --format json)" = "$want_list" ]
	run --separate-stderr rt exec st-small true
	[ "$status" -ne 0 ]
	[[ "$(log_msg "$stderr")" == *'decode spec of "st-small"'* ]]
	cp "$BATS_TEST_TMPDIR/spec.json" "$dir/spec.json"
	rt exec st-small true
	rt delete --force st-small
	assert_nothing_left st-small
}

@test "a state dir of an earlier rt (the spec inside state.json) still works and keeps its layout" {
	requires_rt
	make_bundle
	set_args sleep 100
	run_detached st-old
	dir=$RT_ROOT/st-old
	# Make it the layout rt wrote before spec.json: the spec under "spec".
	jq --slurpfile s "$dir/spec.json" '. + {spec: $s[0]}' "$dir/state.json" >"$BATS_TEST_TMPDIR/state.json"
	mv "$BATS_TEST_TMPDIR/state.json" "$dir/state.json"
	rm "$dir/spec.json"
	rt state st-old | jq -e '.status == "running" and .id == "st-old"'
	rt list --format json | jq -e 'map(select(.id == "st-old"))[0].status == "running"'
	rt exec st-old true
	# update writes the state back: the spec, changed, stays where the
	# earlier rt reads it.
	rt update --pids-limit 50 st-old
	jq -e '.spec.process.args == ["sleep", "100"] and .spec.linux.resources.pids.limit == 50' "$dir/state.json"
	[ ! -e "$dir/spec.json" ]
	rt delete --force st-old
	assert_nothing_left st-old
}
