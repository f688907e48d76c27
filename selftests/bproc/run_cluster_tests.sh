#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs on the master VM of the QEMU harness, with every node booted: each
# cluster kselftest in turn, its TAP lines tagged with the binary's name,
# then a check that no kernel warning was logged on the master.
set -u
# (copied to the run directory by the harness: source lib.sh by path)
# shellcheck source=lib.sh
. "${BPROC_TOP:?}/selftests/bproc/lib.sh"

for t in cluster_test ghost_cluster_test bpsh_test; do
	run_ksft $t
done
check "master: kernel log free of warnings" kernel_log_clean
if has_kmemleak; then
	check "master: kmemleak finds no leak" kmemleak_clean
fi
# The kselftests print their own plans; this script's exit status counts.
[ $tap_failed = 0 ]
