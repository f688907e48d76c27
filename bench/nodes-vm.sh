#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The in-VM half of bench/nodes.sh: runs on the master with every node up.
set -euo pipefail
runs=${BENCH_RUNS:-10} mb=${BENCH_MB:-1024}
w=/tmp/bench
rm -rf $w
mkdir -p $w
n=$(bpstat --json | python3 -c 'import json,sys; print(sum(1 for x in json.load(sys.stdin) if x["status"] == "up"))')
echo "bench: $n nodes up, $runs runs each"
[ "$n" -ge 64 ] || { echo "bench: need 64 nodes up" >&2; exit 1; }

# median of the numbers on stdin
median() { sort -n | awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }'; }
# CPU seconds (user + system) of one run of "$@"
cpu_of() {
	local c
	c=$( { TIMEFORMAT='%U %S'; time "$@" >/dev/null 2>&1; } 2>&1 | tail -1)
	echo "$c" | awk '{ print $1 + $2 }'
}
wall_of() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}

# ---- 1. bpstat's CPU on 64 nodes
for args in "" "-l --json"; do
	# shellcheck disable=SC2086
	c=$(for ((i = 0; i < runs; i++)); do cpu_of bpstat $args; done | median)
	printf 'bench: bpstat %s on %d nodes: %.3f s CPU (median of %d; target < 0.1 s)\n' \
		"${args:-(compact)}" "$n" "$c" "$runs"
done

# ---- 2. watch mode latency
python3 - "$runs" <<'PY'
import statistics, subprocess, sys, time
runs, node = int(sys.argv[1]), 5
def view(p):
    """One view of bpstat -U -l NODE: the node's status, or None at EOF."""
    st = None
    for line in p.stdout:
        if line == "\n":
            return st
        f = line.split()
        if f and f[0] == str(node):
            st = f[2]
    return None
lat, req = [], []
for i in range(runs):
    p = subprocess.Popen(["bpstat", "-U", "-l", "--exit-after", "3", str(node)],
                         stdout=subprocess.PIPE, text=True)
    view(p)
    t0 = time.monotonic()
    subprocess.run(["bpctl", "-S", str(node), "-s", "unavailable"], check=True)
    t1 = time.monotonic()
    while view(p) not in ("unavailable", None):
        pass
    t2 = time.monotonic()
    subprocess.run(["bpctl", "-S", str(node), "-s", "up"], check=True)
    p.wait()
    req.append(t1 - t0)
    lat.append(t2 - t0)
print("bench: bpstat -U redraw after a state change: median %.1f ms from the request (max %.1f ms); bpctl itself %.1f ms"
      % (statistics.median(lat) * 1e3, max(lat) * 1e3, statistics.median(req) * 1e3))
PY

# ---- 3. bpcp master -> node 0 against raw TCP
addr=$(bpstat -a 0 | awk '{ print $2 }')
head -c $((mb << 20)) /dev/urandom > $w/big
sync
raw() {
	local port=5001
	bpsh 0 /bin/busybox sh -c "/bin/busybox nc -l -p $port > /dev/null" &
	local lp=$!
	sleep 1
	local t
	t=$(python3 - "$addr" $port $w/big <<'PY'
import socket, sys, time
addr, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for i in range(50):
    try:
        s = socket.create_connection((addr, port))
        break
    except OSError:
        time.sleep(0.1)
t0 = time.monotonic()
with open(path, "rb") as f:
    s.sendfile(f)
s.shutdown(socket.SHUT_WR)
s.recv(1)	# the listener closes once it has read everything
print(time.monotonic() - t0)
PY
)
	wait $lp || true
	echo "$t"
}
traw=$(raw)
tcp=$(wall_of bpcp $w/big 0:/tmp/bench-big)
bpsh 0 rm -f /tmp/bench-big
rate_raw=$(echo "$mb / $traw" | bc -l)
rate_cp=$(echo "$mb / $tcp" | bc -l)
printf 'bench: %d MiB master -> node 0: raw TCP %.2f s (%.0f MiB/s), bpcp %.2f s (%.0f MiB/s): %.2f of raw (target >= 0.8)\n' \
	"$mb" "$traw" "$rate_raw" "$tcp" "$rate_cp" "$(echo "$rate_cp / $rate_raw" | bc -l)"
rm -f $w/big

# ---- 4. bpcp to 8 nodes against to 1, by the tree's width
head -c $((64 << 20)) /dev/urandom > $w/mid
bpcp /etc/hostname 0-7:/tmp/bench-warm	# bpcp itself on the 8 nodes
t1=$(wall_of bpcp $w/mid 0:/tmp/bench-mid)
for k in 2 1 4 0; do
	bpsh 0-7 rm -f /tmp/bench-mid
	t8=$(wall_of bpcp --fanout $k $w/mid 0-7:/tmp/bench-mid)
	printf 'bench: bpcp 64 MiB to 1 node %.2f s, to 8 nodes --fanout %d %.2f s: %.2fx (target <= 2)\n' \
		"$t1" "$k" "$t8" "$(echo "$t8 / $t1" | bc -l)"
done
bpsh 0-7 rm -f /tmp/bench-mid /tmp/bench-warm
rm -rf $w
