#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run each libFuzzer target for SECONDS over its committed seed corpus
# (proto/corpus/NAME) plus a working corpus in WORKDIR/NAME, and report
# in TAP: a crash, leak or sanitizer report fails that target, and the
# input that caused it is kept in WORKDIR (libFuzzer's crash-* file).
#
#   proto/fuzz/run.sh BINDIR WORKDIR SECONDS
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/../scripts/tap.sh"
bindir=$1 work=$2 secs=$3

fuzz() {
	local name=$1 log rc
	shift
	mkdir -p "$work/$name"
	log=$work/$name.log
	(cd "$work" && "$bindir/fuzz_$name" -max_total_time="$secs" \
		-max_len=4096 -print_final_stats=1 "$@" \
		"$work/$name" "$here/corpus/$name") > "$log" 2>&1
	rc=$?
	ok $rc "fuzz_$name: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$log" ||
		echo "no final line") over $(ls "$here/corpus/$name" | wc -l) seeds"
	[ $rc = 0 ] || grep -m 20 -E 'ERROR|SUMMARY|crash-|leak-|runtime error' "$log" |
		sed 's/^/#   /'
}

fuzz wire
fuzz config -dict="$here/fuzz/config.dict"
tap_done
