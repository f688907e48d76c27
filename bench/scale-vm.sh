#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The in-VM half of bench/scale.sh: runs on the master with every node up.
set -euo pipefail
runs=${BENCH_RUNS:-10}
w=/tmp/bench
rm -rf $w
mkdir -p $w
n=$(bpstat --json | python3 -c 'import json,sys; print(sum(1 for x in json.load(sys.stdin) if x["status"] == "up"))')
echo "bench: $n nodes up, $runs runs each"
[ "$n" -ge 64 ] || { echo "bench: need 64 nodes up" >&2; exit 1; }

ticks=$(getconf CLK_TCK)
# CPU seconds of bpmaster so far
bpm_cpu() { awk -v t="$ticks" '{ print ($14 + $15) / t }' /proc/"$(pidof bpmaster)"/stat; }
txb() { cat /sys/class/net/eth0/statistics/tx_bytes; }

# one measured run of "$@": "wall cpu_bpsh cpu_bpmaster tx_bytes"
measure() {
	local m0 m1 x0 x1 t0 t1 c
	m0=$(bpm_cpu); x0=$(txb)
	t0=$(date +%s.%N)
	# bash's times: user and system of its children (bpsh, its ghosts)
	c=$( { TIMEFORMAT='%U %S'; time "$@" >/dev/null 2>&1; } 2>&1 | tail -1)
	t1=$(date +%s.%N)
	m1=$(bpm_cpu); x1=$(txb)
	echo "$(echo "$t1 - $t0" | bc -l) $(echo "$c" | awk '{ print $1 + $2 }') $(echo "$m1 - $m0" | bc -l) $((x1 - x0))"
}
# median of $runs measured runs of "$@", field by field
median() {
	local i
	for ((i = 0; i < runs; i++)); do measure "$@"; done |
		sort -n | awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }'
}
specs=(0 0-7 0-63)
sizes=(1 8 64)

# ---- 1. true
bpsh 0-63 true	# warm: true and its libraries in every cache
declare -A tt
for i in 0 1 2; do
	tt[$i]=$(median bpsh "${specs[$i]}" true)
	read -r wall cpu mcpu tx <<< "${tt[$i]}"
	echo "bench: bpsh ${specs[$i]} true (${sizes[$i]} nodes): $wall s, master CPU bpsh $cpu s + bpmaster $mcpu s, $tx bytes sent"
done
r8=$(echo "$(cut -d' ' -f1 <<< "${tt[1]}") / $(cut -d' ' -f1 <<< "${tt[0]}")" | bc -l)
r64=$(echo "$(cut -d' ' -f1 <<< "${tt[2]}") / $(cut -d' ' -f1 <<< "${tt[0]}")" | bc -l)
printf 'bench: true 8/1 = %.2f (target <= 2), 64/1 = %.2f (target <= 4)\n' "$r8" "$r64"

# ---- 2. a 16 MB dynamic program, first run (a new program each time)
mkbig() {
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
	cc -O2 -o "$1" $w/big.c $w/blob.o -lm
}
declare -A bt
for i in 0 1 2; do
	mkbig $w/big$i
	read -r wall cpu mcpu tx <<< "$(measure bpsh -v "${specs[$i]}" $w/big$i)"
	bt[$i]="$wall $cpu $mcpu $tx"
	echo "bench: 16 MB program, first run on ${sizes[$i]} nodes: $wall s, master CPU bpsh $cpu s + bpmaster $mcpu s, $tx bytes sent ($(stat -c %s $w/big$i)-byte program)"
	rm -f $w/big$i
done
mkbig $w/bigflat
read -r wall cpu mcpu tx <<< "$(measure bpsh -v --fanout 0 0-63 $w/bigflat)"
echo "bench: 16 MB program, first run on 64 nodes without the tree (--fanout 0): $wall s, master CPU bpsh $cpu s + bpmaster $mcpu s, $tx bytes sent"
flat_tx=$tx
b8=$(echo "$(cut -d' ' -f1 <<< "${bt[1]}") / $(cut -d' ' -f1 <<< "${bt[0]}")" | bc -l)
b64=$(echo "$(cut -d' ' -f1 <<< "${bt[2]}") / $(cut -d' ' -f1 <<< "${bt[0]}")" | bc -l)
printf 'bench: 16 MB first run 8/1 = %.2f (target <= 2), 64/1 = %.2f\n' "$b8" "$b64"

# ---- 3. model: least squares time = a + b * nodes over 1, 8, 64
fit() {	# "n1 t1 n2 t2 n3 t3" -> "a b"
	echo "$@" | awk '{ for (i = 1; i <= 6; i += 2) { x = $i; y = $(i + 1);
		sx += x; sy += y; sxx += x * x; sxy += x * y; k++ }
		b = (k * sxy - sx * sy) / (k * sxx - sx * sx); a = (sy - b * sx) / k;
		printf "%.6f %.6f\n", a, b }'
}
read -r ta tb <<< "$(fit 1 "$(cut -d' ' -f1 <<< "${tt[0]}")" 8 "$(cut -d' ' -f1 <<< "${tt[1]}")" 64 "$(cut -d' ' -f1 <<< "${tt[2]}")")"
read -r ba bb <<< "$(fit 1 "$(cut -d' ' -f1 <<< "${bt[0]}")" 8 "$(cut -d' ' -f1 <<< "${bt[1]}")" 64 "$(cut -d' ' -f1 <<< "${bt[2]}")")"
bytes64=$(cut -d' ' -f4 <<< "${bt[2]}")
printf 'bench: model true: %.3f s + %.4f s/node -> %.1f s at 4096 nodes (this host)\n' "$ta" "$tb" "$(echo "$ta + $tb * 4096" | bc -l)"
printf 'bench: model 16 MB: %.3f s + %.4f s/node -> %.1f s at 4096 nodes (this host)\n' "$ba" "$bb" "$(echo "$ba + $bb * 4096" | bc -l)"
printf 'bench: master bytes for 16 MB on 64 nodes: %d with the tree (fanout 8), %d without (%.1fx)\n' \
	"$bytes64" "$flat_tx" "$(echo "$flat_tx / $bytes64" | bc -l)"
cpu64=$(cut -d' ' -f2 <<< "${tt[2]}") cpu1=$(cut -d' ' -f2 <<< "${tt[0]}")
per=$(echo "($cpu64 - $cpu1) / 63" | bc -l)
# 4096 nodes, fanout 8: depth 4; each hop stores and forwards the whole
# file (no pipelining); the master's link carries 8 copies; the master's
# per-rank CPU (fork, ioctl; its streams come through the tree) measured here on
# one TCG vCPU, taken 10x faster on real hardware, 2 cores.
printf 'bench: model at 4096 nodes, 16 MB, fanout 8, 10 GbE: master link %.3f s + 4 hops x %.3f s + master CPU %.4f s/rank here (/10 for hardware, /2 cores) x 4096 = %.2f s\n' \
	"$(echo "8 * 16777216 / 1250000000" | bc -l)" "$(echo "16777216 / 1250000000" | bc -l)" "$per" \
	"$(echo "8 * 16777216 / 1250000000 + 4 * 16777216 / 1250000000 + $per / 10 / 2 * 4096" | bc -l)"

# ---- 5. the standard streams through the tree or straight to bpsh
# 64 nodes each write 1 MB (and read 1 MB of stdin); bpsh's sockets at
# most over the run, its CPU and the time, --fanout 8 against 0.
head -c 1000000 /dev/urandom > $w/in
streams() { bpsh --fanout "$1" 0-63 sh -c 'cat > /dev/null; head -c 1000000 /dev/zero' < $w/in; }
peak() {	# streams $1 in the background: bpsh's sockets at most
	streams "$1" > /dev/null 2>&1 & local j=$! max=0 k p
	while kill -0 $j 2>/dev/null; do
		p=$(pgrep -n -x bpsh || true)
		k=$( [ -n "$p" ] && ls -l /proc/"$p"/fd 2>/dev/null | grep -c socket || echo 0)
		[ "$k" -gt "$max" ] && max=$k
		sleep 0.2
	done
	wait $j || true
	echo "$max"
}
for f in 8 0; do
	read -r wall cpu mcpu tx <<< "$(median streams $f)"
	socks=$(peak $f)
	echo "bench: streams, 64 nodes x 1 MB out and 1 MB in, --fanout $f: $wall s, bpsh CPU $cpu s, bpmaster $mcpu s, bpsh's sockets at most $socks"
done
