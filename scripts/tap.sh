# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# TAP for the shell tests (sourced; bash): every check prints
# "ok N - what" or "not ok N - what", a failed command's output follows as
# "#" lines, and tap_done prints the plan and "# N passed, N failed" and
# returns non-zero when anything failed.
#
#   ok STATUS WHAT        record a result: STATUS 0 passes
#   check WHAT CMD [ARG]  run CMD; it passes when it exits 0
#   tap_done              plan + summary; the script's exit status

tap_n=0
tap_failed=0
tap_log=$(mktemp /tmp/tap.XXXXXX)

ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

# The output goes to a file, not a pipe: a daemon CMD starts may keep it.
check() {
	local what=$1 rc
	shift
	"$@" > "$tap_log" 2>&1
	rc=$?
	ok $rc "$what"
	[ $rc = 0 ] || sed 's/^/#   /' "$tap_log"
	return $rc
}

tap_done() {
	rm -f "$tap_log"
	echo "1..$tap_n"
	echo "# $((tap_n - tap_failed)) passed, $tap_failed failed"
	[ $tap_failed = 0 ]
}
