#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bpsh launch and I/O benchmarks (issue 9; docs/bpsh.md), not part of
# `make check`: boots a master and 2 nodes in the QEMU harness and runs
# bench/launch-vm.sh there, which prints each figure with its raw times:
#
#   1. bpsh N true / ssh N true (dropbear, key auth) to the same node
#   2. a 16 MB dynamically linked program: first run / second run, and
#      the file bytes the second run sent
#   3. 1 GB through stdout: bpsh throughput / raw TCP between the same VMs
#
# Usage: bench/launch.sh [RUNS]   (default 20 runs of each launch)
# Ratios come from one run on one machine; a shared host is noisy.
set -eu
case ${1:-20} in
''|*[!0-9]*|0) echo "usage: $0 [RUNS]: RUNS is a positive number" >&2; exit 1 ;;
esac
exec "$(dirname "$0")/run-cluster.sh" launch bench/launch-vm.sh \
	--env "BENCH_RUNS=${1:-20}"
