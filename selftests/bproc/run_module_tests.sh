#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in a single harness VM without nodes or bpmaster: the module loads,
# creates /dev/bproc, passes the node-table, ghost and masq kselftests (the
# ghost test plays bpmaster, the masq test bpslave), unloads cleanly (no
# ghost holds it) and loads again.
set -u
# (copied to the run directory by the harness: source lib.sh by path)
# shellcheck source=lib.sh
. "${BPROC_TOP:?}/selftests/bproc/lib.sh"
ko=$top/build/kmod/bproc.ko

check "module: insmod bproc.ko" insmod "$ko"
check "module: /dev/bproc is a character device" test -c /dev/bproc
check "module: /sys/module/bproc/version is set" test -s /sys/module/bproc/version
for name in nodetable_test ctl_test bpstat_test ghost_test masq_test; do
	run_ksft $name
done
# The kernel fuzzer, briefly (make fuzz-kernel runs it longer; under
# make check-debug this is its KASAN/lockdep/kmemleak run).
out=$("$top/build/selftests/kfuzz" 10 2>&1)
ok $? "module: kfuzz 10 s: $out"
check "module: rmmod bproc (ghosts gone)" rmmod_settled
check "module: /dev/bproc is gone after rmmod" test ! -e /dev/bproc
check "module: loads again after unload" insmod "$ko"
check "module: /dev/bproc is back" test -c /dev/bproc
check "module: and unloads again" rmmod bproc
check "module: kernel log free of warnings" kernel_log_clean
if has_kmemleak; then
	check "module: kmemleak finds no leak" kmemleak_clean
fi
# The kselftests print their own plans; this script's exit status counts.
[ $tap_failed = 0 ]
