#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make fuzz-kernel, in a harness VM without nodes: the module's master file
# fuzzed by build/selftests/kfuzz for KFUZZ_TIME seconds (harness --env
# sets it), then the kernel log (and kmemleak on the debug
# kernel) must be clean and the module must unload.
set -u
. "${BPROC_TOP:?}/selftests/bproc/lib.sh"
secs=${KFUZZ_TIME:-120}
check "kfuzz: insmod bproc.ko" insmod "$top/build/kmod/bproc.ko"
out=$("$top/build/selftests/kfuzz" "$secs" 2>&1)
ok $? "kfuzz for $secs s: $out"
check "kfuzz: module unloads afterwards" rmmod_settled
check "kfuzz: kernel log free of warnings" kernel_log_clean
if has_kmemleak; then
	check "kfuzz: kmemleak finds no leak" kmemleak_clean
fi
[ $tap_failed = 0 ]
