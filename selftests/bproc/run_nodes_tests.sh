#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs on the master VM of the QEMU harness, with every node booted: node
# management (nodectl_test: permissions, bpctl, states, the notifier and
# bpstat -U, a real reboot, power-off and halt), then a check that no
# kernel warning was logged on the master. Its own cluster, because it
# reboots and powers off a node VM.
set -u
# (copied to the run directory by the harness: source lib.sh by path)
# shellcheck source=lib.sh
. "${BPROC_TOP:?}/selftests/bproc/lib.sh"

run_ksft nodectl_test
check "master: kernel log free of warnings" kernel_log_clean
if has_kmemleak; then
	check "master: kmemleak finds no leak" kmemleak_clean
fi
# The kselftests print their own plans; this script's exit status counts.
[ $tap_failed = 0 ]
