#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The in-VM half of bench/flood.sh: runs on the master with 2 nodes up.
set -euo pipefail
top=${BPROC_TOP:?}
flood=$top/build/bench/kill-flood
slab() { awk '$1 == "Slab:" { print $2 }' /proc/meminfo; }

# A process of nobody's on node 0 that ignores SIGWINCH: its ghost is a
# child of bpsh here.
setpriv --reuid=65534 --regid=65534 --clear-groups \
	bpsh -n 0 sh -c "trap '' 28; exec sleep 3600" &
bpid=$!
for i in $(seq 100); do
	ghost=$(pgrep -P $bpid || true)
	[ -n "$ghost" ] && grep -q '^BProcNode:' /proc/$ghost/status 2>/dev/null && break
	sleep 0.2
done
echo "bench: ghost $ghost on node 0"

run() {	# N, label
	local before after out
	sync; echo 2 > /proc/sys/vm/drop_caches
	before=$(slab)
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$flood" "$ghost" 28 "$1")
	after=$(slab)
	echo "bench: $2: $out; slab $before kB -> $after kB (+$((after - before)) kB)"
}
run 1000000 "10^6 kill(SIGWINCH), bpmaster running"
pkill -STOP -x bpmaster
run 100000 "10^5 kill(SIGWINCH), bpmaster stopped"
pkill -CONT -x bpmaster
sleep 2
echo "bench: node 0 $(bpstat -l 0 | awk 'NR == 2 { print $3 }') after the floods"
kill "$ghost" 2>/dev/null || true
wait $bpid 2>/dev/null || true
