#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs on the master VM of the QEMU harness, with every node booted: each
# cluster kselftest in turn, its TAP lines tagged with the binary's name,
# then a check that no kernel warning was logged on the master.
set -u
dir=${BPROC_TOP:?}/build/selftests
tests="cluster_test"
fail=0

for t in $tests; do
	echo "# ---- $t"
	"$dir/$t" 2>&1 | sed -E -u "s/^((not )?ok [0-9]+ )/\1$t: /"
	rc=${PIPESTATUS[0]}
	if [ "$rc" -ge 128 ]; then
		echo "not ok 1 $t: killed by signal $((rc - 128))"
	fi
	[ "$rc" = 0 ] || fail=1
done

echo "# ---- master kernel log"
if dmesg | grep -E 'WARNING:|BUG:|Oops|kmemleak:.*new suspected' > /tmp/kwarn; then
	sed 's/^/# /' /tmp/kwarn
	echo "not ok 1 master: kernel log free of warnings"
	fail=1
else
	echo "ok 1 master: kernel log free of warnings"
fi
exit $fail
