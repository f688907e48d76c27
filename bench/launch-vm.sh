#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The in-VM half of bench/launch.sh: runs on the master with 2 nodes up.
set -euo pipefail
top=${BPROC_TOP:?}
runs=${BENCH_RUNS:-20}
jobs=$top/build/selftests/jobs
w=/tmp/bench
rm -rf $w
mkdir -p $w
master=$(awk '$1 == "interface" { split($3, a, "/"); print a[1] }' /etc/bproc/config)
node0=$(bpstat -l 0 | awk 'NR == 2 { print $2 }')
echo "bench: master $master, node 0 at $node0, $runs runs each"

# seconds (float) that "$@" takes, $runs times: "median min max"
times() {
	local i t0 t1
	for ((i = 0; i < runs; i++)); do
		t0=$(date +%s.%N)
		"$@" >/dev/null 2>&1
		t1=$(date +%s.%N)
		echo "$t1 - $t0" | bc -l
	done | sort -n | awk '{ v[NR] = $1 } END {
		printf "%.4f %.4f %.4f\n", v[int((NR + 1) / 2)], v[1], v[NR] }'
}
ratio() { echo "scale=3; $1 / $2" | bc -l; }

# ---- 1. bpsh N true / ssh N true
dropbearkey -t ed25519 -f $w/hostkey >/dev/null 2>&1
dropbearkey -t ed25519 -f $w/client 2>/dev/null | grep '^ssh-ed25519' > $w/client.pub
# dropbear runs on node 0 as a job of bpsh: shipped like any program,
# nothing of it in the node image (the "benchmark-only" part).
# Its authorized_keys is shipped too (from this master's /root/.ssh), and
# dropbear is the job's program, so bpsh ships it with its libraries.
mkdir -p /root/.ssh && chmod 700 /root/.ssh
cp $w/client.pub /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys
bpsh -N --ship $w/hostkey --ship /root/.ssh 0 \
	/usr/sbin/dropbear -F -E -s -p 2222 -r $w/hostkey &
dpid=$!
ssh_true() { dbclient -yy -i $w/client -p 2222 root@"$node0" true; }
for i in $(seq 100); do ssh_true 2>/dev/null && break; sleep 0.3; done
ssh_true
bpsh 0 true		# warm: true and its libraries in the node's cache
read -r b_med b_min b_max <<< "$(times bpsh 0 true)"
read -r s_med s_min s_max <<< "$(times ssh_true)"
kill $dpid 2>/dev/null || true
wait $dpid 2>/dev/null || true
echo "bench: bpsh 0 true: median $b_med s (min $b_min, max $b_max)"
echo "bench: ssh 0 true:  median $s_med s (min $s_min, max $s_max)"
echo "bench: launch ratio bpsh/ssh = $(ratio "$b_med" "$s_med") (target <= 0.25, aim 0.1)"

# ---- 2. a 16 MB dynamic program: first run, second run
head -c $((16 << 20)) /dev/urandom > $w/blob.bin
(cd $w && ld -r -b binary -o blob.o blob.bin)
cat > $w/big.c <<'C'
#include <stdio.h>
extern const unsigned char _binary_blob_bin_start[], _binary_blob_bin_end[];
int main(void)
{
	unsigned long sum = 0;
	for (const unsigned char *p = _binary_blob_bin_start; p < _binary_blob_bin_end; p += 4096)
		sum += *p;
	printf("%lu\n", sum);
	return 0;
}
C
cc -O2 -o $w/big $w/big.c $w/blob.o -lm
size=$(stat -c %s $w/big)
t0=$(date +%s.%N); bpsh -v 1 $w/big > /dev/null 2> $w/first.err; t1=$(date +%s.%N)
t2=$(date +%s.%N); bpsh -v 1 $w/big > /dev/null 2> $w/second.err; t3=$(date +%s.%N)
first=$(echo "$t1 - $t0" | bc -l); second=$(echo "$t3 - $t2" | bc -l)
sent1=$(grep -o '[0-9]* file bytes sent' $w/first.err | cut -d' ' -f1)
sent2=$(grep -o '[0-9]* file bytes sent' $w/second.err | cut -d' ' -f1)
echo "bench: $size-byte dynamic program, first run: $first s, $sent1 file bytes sent"
echo "bench: same program, second run: $second s, $sent2 file bytes sent (target 0)"
echo "bench: first/second = $(ratio "$first" "$second")"

# ---- 3. 1 GB through stdout: bpsh vs raw TCP
gb=1000000000
bpsh 0 $jobs/bptest-flood /dev/null 1000 > /dev/null	# warm the cache
t0=$(date +%s.%N)
got=$(bpsh 0 $jobs/bptest-flood /dev/null $gb | wc -c)
t1=$(date +%s.%N)
bt=$(echo "$t1 - $t0" | bc -l)
# the same from node 1 through the tree: its rank below node 0's, whose
# bpslave relays it (rank 0 itself writes nothing)
t0=$(date +%s.%N)
gotd=$(bpsh --fanout 1 --ship $jobs/bptest-flood 0-1 sh -c \
	"[ \$BPROC_RANK = 0 ] || exec $jobs/bptest-flood /dev/null $gb" | wc -c)
t1=$(date +%s.%N)
dt=$(echo "$t1 - $t0" | bc -l)
port=$((20000 + RANDOM % 20000))
python3 - "$port" > $w/raw.out <<'PY' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(1)
print("listening", flush=True)
c, _ = s.accept()
buf = bytearray(1 << 20)
n = 0
while True:
    k = c.recv_into(buf)
    if not k:
        break
    n += k
print(n, flush=True)
PY
rpid=$!
for i in $(seq 100); do grep -q listening $w/raw.out && break; sleep 0.1; done
t0=$(date +%s.%N)
# bash is the program: the flood binary it runs is shipped by name
bpsh -N --ship $jobs/bptest-flood 0 bash -c "exec $jobs/bptest-flood /dev/null $gb > /dev/tcp/$master/$port"
wait $rpid
t1=$(date +%s.%N)
rt=$(echo "$t1 - $t0" | bc -l)
raw=$(tail -1 $w/raw.out)
echo "bench: 1 GB through bpsh stdout: $got bytes in $bt s ($(echo "$gb / $bt / 1000000" | bc -l | cut -c1-6) MB/s)"
echo "bench: 1 GB through bpsh stdout from node 1 through node 0's relay (--fanout 1): $gotd bytes in $dt s ($(echo "$gb / $dt / 1000000" | bc -l | cut -c1-6) MB/s)"
echo "bench: 1 GB over raw TCP node->master: $raw bytes in $rt s ($(echo "$gb / $rt / 1000000" | bc -l | cut -c1-6) MB/s)"
echo "bench: throughput ratio bpsh/raw = $(ratio "$rt" "$bt") (target >= 0.8)"
