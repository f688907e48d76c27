#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs on the master VM of the QEMU harness started with virtual nodes
# (harness/cluster.py --vnodes K): bpcp's and the many-node kselftests
# (bpcp here, where the node VMs have memory for its 256 MB), then a check
# that no kernel warning was logged on the master.
set -u
# shellcheck source=lib.sh
. "${BPROC_TOP:?}/selftests/bproc/lib.sh"

# bpcp first: vnode_test's last test kills a node VM
run_ksft bpcp_test
run_ksft vnode_test
check "master: kernel log free of warnings" kernel_log_clean
[ $tap_failed = 0 ]
