#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The memory a signal flood to one ghost costs (issue 10, point 4;
# docs/security.md), not part of `make check`: boots a master and 2 nodes
# and runs bench/flood-vm.sh there, which prints the master's slab growth
# for 10^6 kill(SIGWINCH) by nobody to its own ghost with bpmaster
# running, and for 10^5 with bpmaster stopped (the worst case: nothing
# drains the queue; 10^5 keeps the stop inside the nodes' ping timeout).
#
# Usage: bench/flood.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$top/build/bench"
cc -O2 -o "$top/build/bench/kill-flood" "$top/bench/kill-flood.c"
exec "$top/bench/run-cluster.sh" flood bench/flood-vm.sh
