#!/usr/bin/env bats
# Global flags: --root, --log, --log-format, --debug, --version.

load helpers

@test "--version" {
	run "$RT" --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"version "* ]]
	# The runtime-spec version it implements, as runc prints it.
	[[ "$output" =~ (^|$'\n')spec:\ [0-9]+\.[0-9]+\.[0-9]+ ]]
}

@test "--root keeps state under the given directory only" {
	make_bundle
	set_args sleep 100
	create_container l-root
	[ -d "$RT_ROOT/l-root" ]
	mkdir -p "$BATS_TEST_TMPDIR/other-root"
	run "$RT" --root "$BATS_TEST_TMPDIR/other-root" list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run "$RT" --root "$BATS_TEST_TMPDIR/other-root" state l-root
	[ "$status" -ne 0 ]
	rt delete --force l-root
	assert_nothing_left l-root
}

@test "--root that does not exist yet is created by create" {
	make_bundle
	set_args sleep 100
	RT_ROOT="$BATS_TEST_TMPDIR/new/root"
	create_container l-newroot
	[ -d "$BATS_TEST_TMPDIR/new/root/l-newroot" ]
	rt delete --force l-newroot
	assert_nothing_left l-newroot
}

@test "--log-format json: an error that ends a command is a level:error line" {
	run --separate-stderr rt --log "$BATS_TEST_TMPDIR/log.json" --log-format json state l-missing
	[ "$status" -ne 0 ]
	[ -s "$BATS_TEST_TMPDIR/log.json" ]
	# Every line is one JSON object with level, msg and time.
	while read -r line; do
		echo "$line" | jq -e 'type == "object" and has("level") and has("msg") and has("time")'
	done <"$BATS_TEST_TMPDIR/log.json"
	jq -e -s 'map(select(.level == "error" and (.msg | length > 0))) | length == 1' "$BATS_TEST_TMPDIR/log.json"
}

@test "--log-format text: the error is a level=error line" {
	run rt --log "$BATS_TEST_TMPDIR/log.txt" --log-format text state l-missing
	[ "$status" -ne 0 ]
	grep -E 'level=error .*msg=' "$BATS_TEST_TMPDIR/log.txt"
	grep -E 'time="?[0-9]{4}-' "$BATS_TEST_TMPDIR/log.txt"
}

@test "--log defaults to the text format" {
	run rt --log "$BATS_TEST_TMPDIR/log.txt" state l-missing
	[ "$status" -ne 0 ]
	grep -q 'level=error' "$BATS_TEST_TMPDIR/log.txt"
}

@test "--log appends to an existing file" {
	echo '{"level":"info","msg":"already here","time":"2000-01-01T00:00:00Z"}' >"$BATS_TEST_TMPDIR/log.json"
	run rt --log "$BATS_TEST_TMPDIR/log.json" --log-format json state l-missing
	[ "$status" -ne 0 ]
	head -n 1 "$BATS_TEST_TMPDIR/log.json" | grep -q 'already here'
	[ "$(wc -l <"$BATS_TEST_TMPDIR/log.json")" -ge 2 ]
}

@test "a failing container create is logged as an error in JSON" {
	make_bundle
	set_args nope
	run rt --log "$BATS_TEST_TMPDIR/log.json" --log-format json run --bundle "$BUNDLE" l-fail
	[ "$status" -ne 0 ]
	jq -e -s 'map(select(.level == "error" and (.msg | test("nope")))) | length >= 1' "$BATS_TEST_TMPDIR/log.json"
	assert_nothing_left l-fail
}

@test "a successful run logs no error" {
	make_bundle
	set_args true
	run rt --log "$BATS_TEST_TMPDIR/log.json" --log-format json run --bundle "$BUNDLE" l-ok
	[ "$status" -eq 0 ]
	if [ -s "$BATS_TEST_TMPDIR/log.json" ]; then
		jq -e -s 'map(select(.level == "error")) | length == 0' "$BATS_TEST_TMPDIR/log.json"
	fi
	assert_nothing_left l-ok
}

@test "--debug writes debug lines to the log, without it there are none" {
	make_bundle
	set_args true
	run rt --debug --log "$BATS_TEST_TMPDIR/debug.json" --log-format json run --bundle "$BUNDLE" l-debug
	[ "$status" -eq 0 ]
	jq -e -s 'map(select(.level == "debug")) | length >= 1' "$BATS_TEST_TMPDIR/debug.json"
	assert_nothing_left l-debug

	run rt --log "$BATS_TEST_TMPDIR/nodebug.json" --log-format json run --bundle "$BUNDLE" l-nodebug
	[ "$status" -eq 0 ]
	if [ -s "$BATS_TEST_TMPDIR/nodebug.json" ]; then
		jq -e -s 'map(select(.level == "debug")) | length == 0' "$BATS_TEST_TMPDIR/nodebug.json"
	fi
	assert_nothing_left l-nodebug
}

@test "--log-format of an unknown format fails" {
	run rt --log-format xml list
	[ "$status" -ne 0 ]
}

@test "without --log the error goes to stderr, the output stays clean" {
	run --separate-stderr rt state l-missing
	[ "$status" -ne 0 ]
	[ -z "$output" ]
	[ -n "$stderr" ]
}

@test "--debug: the init's lines go to --log as JSON, none to the container's stderr" {
	make_bundle
	# An unknown capability makes the init log a line of its own (runc: a warning, rt: a debug
	# line beside the parent's warning).
	update_config '.process.capabilities.bounding += ["CAP_BOGUS"]'
	set_args sh -c 'echo out; echo err >&2'
	run --separate-stderr rt --debug --log "$BATS_TEST_TMPDIR/debug.json" --log-format json run --bundle "$BUNDLE" l-initlog
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$output" = out ]
	[ "$stderr" = err ]
	# Every line is JSON; the init's say so ("init: ...", runc's words too).
	jq -e -s 'all(type == "object" and has("level") and has("msg"))' "$BATS_TEST_TMPDIR/debug.json"
	jq -e -s 'map(select(.level == "debug" and (.msg | startswith("init")))) | length >= 1' "$BATS_TEST_TMPDIR/debug.json"
	jq -e -s 'map(select(.msg | test("unknown or unavailable capabilities: \\[CAP_BOGUS\\]"))) | length >= 1' "$BATS_TEST_TMPDIR/debug.json"
	assert_nothing_left l-initlog
	if is_rt; then
		# Each sync message, seen from the init (the plan's executor has no config to receive).
		jq -e -s 'map(select(.level == "debug" and (.msg | test("^init: (sync: received config|plan: [0-9]+ steps)$")))) | length == 1' "$BATS_TEST_TMPDIR/debug.json"
		jq -e -s 'map(select(.level == "debug" and .msg == "init: sync: send ready")) | length == 1' "$BATS_TEST_TMPDIR/debug.json"
	fi
}

@test "--debug: an init failure's lines come before its error, all in --log" {
	make_bundle
	set_args sh -c 'echo ran'
	update_config '.process.cwd = "/etc/passwd/x"'
	run --separate-stderr rt --debug --log "$BATS_TEST_TMPDIR/fail.json" --log-format json run --bundle "$BUNDLE" l-initfail
	echo "$stderr"
	[ "$status" -ne 0 ]
	[ -z "$output" ]
	[[ "$stderr" == *'/etc/passwd'* ]]
	# The error is the last line.
	jq -e -s '.[-1].level == "error" and (.[-1].msg | test("/etc/passwd"))' "$BATS_TEST_TMPDIR/fail.json"
	if is_rt; then
		# Only rt's own one-line error on stderr (runc 1.5 adds "Failed to write to log, write
		# logpipe: file already closed" from its init).
		[ "${#stderr_lines[@]}" -eq 1 ]
		jq -e -s 'map(select(.level == "debug" and (.msg | test("^init: (sync: received config|plan: [0-9]+ steps)$")))) | length == 1' "$BATS_TEST_TMPDIR/fail.json"
	fi
	assert_nothing_left l-initfail
}
