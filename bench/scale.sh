#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Many-node launch benchmarks (issue 11), not part of `make check`: boots
# a master and 2 node VMs with 31 virtual nodes each (64 nodes) and runs
# bench/scale-vm.sh there:
#
#   1. bpsh of `true` on 1, 8 and 64 nodes: median time, ratios 8/1, 64/1
#   2. a 16 MB dynamically linked program's first run on 1, 8 and 64
#      nodes (fresh nodes each time): time, ratios
#   3. for each: CPU time on the master (bpsh and its ghosts, bpmaster)
#      and bytes the master sent (its eth0 counter, bpsh -v's file bytes)
#   4. a model fitted to them (time = a + b * nodes), evaluated at 4,096
#   5. the standard streams through the tree against straight to bpsh:
#      64 nodes x 1 MB each way, time, bpsh CPU, its sockets at most
#
# The ping timeout is make check's 30 s: at 15 s a 64-node launch of the
# 16 MB program had 5 virtual nodes of a VM declared down mid-launch (the
# VM's kernel silent for 35 s under the load), their subtrees then fetching
# from bpsh.
#
# Usage: bench/scale.sh [RUNS] [VNODES]  (default 10 runs, 31 per node VM)
set -eu
runs=${1:-10} vn=${2:-31}
case $runs$vn in
*[!0-9]*) echo "usage: $0 [RUNS] [VNODES]" >&2; exit 1 ;;
esac
exec "$(dirname "$0")/run-cluster.sh" scale bench/scale-vm.sh \
	--vnodes "$vn" --node-mem 2048 --ping-interval 3 --ping-timeout 30 --env "BENCH_RUNS=$runs"
