#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run-tests.sh TEST... [-- ARG...]: run host unit tests, each of which
# prints TAP, with ARGs; show their output and end with one
# "N passed, N failed" line. A test that exits non-zero without a
# "not ok" line (a crash, an assertion outside TAP) counts as a failure.
# `make check` of every user-space directory runs its tests through this.
tests=""
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	tests="$tests $1"
	shift
done
[ "${1:-}" = -- ] && shift
pass=0
fail=0
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT
for t in $tests; do
	echo "# $(basename "$t")"
	"$t" "$@" > "$log" 2>&1
	rc=$?
	cat "$log"
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $(basename "$t") exited with status $rc"
		f=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
