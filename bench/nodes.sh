#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Node management benchmarks (issue 12), not part of `make check`: boots
# a master and 2 node VMs with 31 virtual nodes each (64 nodes) and runs
# bench/nodes-vm.sh there:
#
#   1. bpstat and bpstat -l --json on 64 nodes: CPU time (user + system)
#      of the command on the master, median of RUNS (target < 0.1 s)
#   2. bpstat -U: from bpctl's request to the redraw showing the change,
#      median of RUNS
#   3. bpcp of MB MiB master -> node 0 against raw TCP (busybox nc on
#      the node, a python3 sender) between the same VMs (target >= 0.8)
#   4. bpcp of 64 MiB to 8 nodes against to 1 node (target <= 2x), by
#      the width of bpcp's tree (--fanout 2, the default; 1, 4; 0: no
#      tree, one copy per node from the master)
#
# Usage: bench/nodes.sh [RUNS] [MB]  (default 10 runs, 1024 MiB)
set -eu
runs=${1:-10} mb=${2:-1024}
case $runs$mb in
*[!0-9]*) echo "usage: $0 [RUNS] [MB]" >&2; exit 1 ;;
esac
exec "$(dirname "$0")/run-cluster.sh" nodes bench/nodes-vm.sh \
	--vnodes 31 --node-mem 2560 --master-mem $((mb * 2 + 1536)) \
	--ping-interval 3 --ping-timeout 15 \
	--env "BENCH_RUNS=$runs" --env "BENCH_MB=$mb"
