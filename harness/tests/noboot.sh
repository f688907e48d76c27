#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A node that cannot boot makes the run fail: the master's boot service is
# left off, so the node's PXE ROM never gets a lease. The harness must fail
# within the node timeout, name the node and show its last console lines,
# and leave none of the run's QEMU processes or its namespace behind.
# Extra arguments go to cluster.py (e.g. --kernel). Prints TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$(dirname "$here")")
log=$top/build/check/noboot-harness.log
mkdir -p "$(dirname "$log")"
timeout=${NOBOOT_NODE_TIMEOUT:-30}

echo "TAP version 13"
t0=$(date +%s)
"$top/harness/cluster.py" --nodes 1 --tftp-nodes 0 --no-boot-service \
	--node-timeout "$timeout" --run "$top/harness/show-cluster.sh" "$@" \
	> "$log" 2>&1 &
pid=$!
wait $pid
rc=$?
took=$(( $(date +%s) - t0 ))
sed 's/^/# /' "$log"

# shellcheck source=../../scripts/tap.sh
. "$top/scripts/tap.sh"
check "the run fails (exit status $rc)" test $rc != 0
check "the failure names node0 and its boot timeout" \
	grep -q "node0 did not boot within ${timeout}s" "$log"
check "the node's last console lines are shown" bash -c \
	'grep -A1 "last console lines" "$1" | grep -q "^    | "' _ "$log"
# master boot (<= 300s) + node timeout + shutdown, with slack
check "it failed in time (${took}s)" test $took -lt $((timeout + 420))
check "no QEMU process of the run is left" \
	test -z "$(pgrep -f "bproc-harness-$pid/")"
check "no namespace of the run is left" \
	test -z "$(ip netns list | grep -w "bproc-$pid")"
tap_done
