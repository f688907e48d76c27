#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs on the master VM of the QEMU harness started with virtual nodes
# (harness/cluster.py --vnodes K): the many-node kselftests, then a check
# that no kernel warning was logged on the master.
set -u
# shellcheck source=lib.sh
. "${BPROC_TOP:?}/selftests/bproc/lib.sh"

run_ksft vnode_test
check "master: kernel log free of warnings" kernel_log_clean
[ $tap_failed = 0 ]
