#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bpcp copies on this host (the same sender and receiver that run on the
# nodes): contents, sparse files, -p, -r, symlinks, the several-sources
# rule, and an interrupted copy leaving nothing under its final name. TAP.
set -u
bpcp=${BPCP:?}
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
n=0 failed=0
check() {
	local what=$1
	shift
	n=$((n + 1))
	if "$@" >/dev/null 2>&1; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		failed=$((failed + 1))
	fi
}
echo "TAP version 13"
head -c 3000000 /dev/urandom > "$w/f"
check "a file, by content" bash -c "'$bpcp' '$w/f' '$w/g' && cmp '$w/f' '$w/g'"
mkdir "$w/d"
check "into a directory, under its name" bash -c "'$bpcp' '$w/f' '$w/d' && cmp '$w/f' '$w/d/f'"
truncate -s 200M "$w/sparse"
printf 'x' | dd of="$w/sparse" bs=1 seek=100000000 conv=notrunc 2>/dev/null
check "a sparse file stays sparse" bash -c "'$bpcp' '$w/sparse' '$w/sparse2' && cmp '$w/sparse' '$w/sparse2' && [ \$(du -k '$w/sparse2' | cut -f1) -lt 1024 ]"
chmod 0751 "$w/f"
touch -d '2001-02-03 04:05:06.123456789' "$w/f"
check "-p keeps mode and time" bash -c "'$bpcp' -p '$w/f' '$w/p' && [ \$(stat -c '%a %y' '$w/p') = \$(stat -c '%a %y' '$w/f') ] 2>/dev/null || [ \"\$(stat -c '%a %y' '$w/p')\" = \"\$(stat -c '%a %y' '$w/f')\" ]"
mkdir -p "$w/tree/a/b" && echo one > "$w/tree/a/b/x" && ln -s b/x "$w/tree/a/l" && chmod 0700 "$w/tree/a"
check "a directory needs -r" bash -c "! '$bpcp' '$w/tree' '$w/t0'"
check "-r copies a tree, symlinks as symlinks" bash -c "'$bpcp' -r -p '$w/tree' '$w/t1' && diff -r '$w/tree' '$w/t1' && [ \$(readlink '$w/t1/a/l') = b/x ] && [ \$(stat -c %a '$w/t1/a') = 700 ]"
check "several sources need a directory" bash -c "! '$bpcp' '$w/f' '$w/g' '$w/nodir' && [ ! -e '$w/nodir' ]"
check "several sources into a directory" bash -c "mkdir '$w/m' && '$bpcp' '$w/f' '$w/g' '$w/m' && cmp '$w/f' '$w/m/f' && cmp '$w/g' '$w/m/g'"
# interrupted: a stream cut in the middle of a file
head -c 50000000 /dev/urandom > "$w/big"
"$bpcp" --send "$w/big" | head -c 20000000 > "$w/cut.stream"
mkdir "$w/r"
check "a cut stream fails" bash -c "! '$bpcp' --recv '$w/r' < '$w/cut.stream'"
check "and leaves nothing under the final name, no temporary file" bash -c "[ -z \"\$(ls -A '$w/r')\" ]"
printf 'BPCP1\n' > "$w/bad.stream"
printf '\001\000\000\000\244\001\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\013\000\000\000\000\000\000\000\000\000\000\000../../evil' >> "$w/bad.stream"
check "a path out of the destination is refused" bash -c "! '$bpcp' --recv '$w/r' < '$w/bad.stream' && [ ! -e '$w/evil' ]"
# To many along a tree (tree.c): receivers that copy on, here on 127.0.0.1.
export BPCP_TOKEN=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
# start_recv I DEST: receiver I in the background, its port in $w/port.I
start_recv() {
	"$bpcp" --recv --listen --relay "$2" > "$w/port.$1" 2> "$w/err.$1" &
	eval "pid_$1=$!"
}
wait_ports() {
	for i in "$@"; do
		for _ in $(seq 100); do
			[ -s "$w/port.$i" ] && break
			sleep 0.05
		done
	done
}
tree_list() {
	local l=
	for i in "$@"; do
		l="$l${l:+,}$i=127.0.0.1:$(awk '{print $NF}' "$w/port.$i")"
	done
	echo "$l"
}
tree_run() {	# tree_run K I... : send $w/big to receivers I... with --fanout K
	local k=$1
	shift
	"$bpcp" --send --fanout "$k" --tree "$(tree_list "$@")" "$w/big" 2> "$w/err.root"
}
for i in 0 1 2 3 4 5 6; do mkdir -p "$w/t$i"; start_recv $i "$w/t$i"; done
wait_ports 0 1 2 3 4 5 6
tree_run 2 0 1 2 3 4 5 6
ok=1
for i in 0 1 2 3 4 5 6; do wait "$(eval echo \$pid_$i)" || ok=0; cmp -s "$w/big" "$w/t$i/big" || ok=0; done
check "a tree of width 2: 7 receivers, each copy by content" test $ok = 1
# Receiver 0 heads the first subtree (0 with 1 and 2 under it): dead
# before the copy, the root sends to 1 and 2 itself.
for i in 0 1 2 3 4; do rm -rf "$w/t$i"; mkdir -p "$w/t$i"; rm -f "$w/port.$i"; start_recv $i "$w/t$i"; done
wait_ports 0 1 2 3 4
kill "$pid_0"; wait "$pid_0" 2>/dev/null
tree_run 2 0 1 2 3 4
ok=1
for i in 1 2 3 4; do wait "$(eval echo \$pid_$i)" || ok=0; cmp -s "$w/big" "$w/t$i/big" || ok=0; done
check "a dead interior node: its children get the copy from its parent" test $ok = 1
check "and the parent says which node it could not reach" grep -q "node 0 (127.0.0.1:.*cannot copy on to it.*its children instead" "$w/err.root"
# Receiver 0's own copy fails (no such directory): its subtree still gets it.
for i in 0 1 2; do rm -rf "$w/t$i"; mkdir -p "$w/t$i"; rm -f "$w/port.$i"; done
start_recv 0 "$w/none/x"; start_recv 1 "$w/t1"; start_recv 2 "$w/t2"
wait_ports 0 1 2
tree_run 1 0 1 2
wait "$pid_0"; st0=$?
ok=1
for i in 1 2; do wait "$(eval echo \$pid_$i)" || ok=0; cmp -s "$w/big" "$w/t$i/big" || ok=0; done
check "a chain: a node whose own copy fails still copies on" test $ok = 1 -a $st0 != 0
check "--fanout: a width from 0 to 64, else an error naming it" bash -c "'$bpcp' --fanout 65 a b 2>&1 | grep -q \"'65': not a width from 0 to 64\" && '$bpcp' --fanout x a b 2>&1 | grep -q \"'x': not a width\""
check "--relay needs --listen" bash -c "'$bpcp' --recv --relay '$w' 2>&1 | grep -q 'relay goes with --listen'"
# A list of nodes with a bad subtree size is refused by the receiver.
rm -f "$w/port.0"; start_recv 0 "$w/t0"; wait_ports 0
port=$(awk '{print $NF}' "$w/port.0")
python3 - "$port" "$BPCP_TOKEN" <<'PY' 2>/dev/null
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.argv[2].encode() + struct.pack("<I", 1) + struct.pack("<IIHHI", 3, 0x0100007f, 9, 0, 5))
s.close()
PY
sleep 0.3
check "a malformed list of nodes to copy on to is refused" grep -q "malformed list of nodes" "$w/err.0"
kill "$pid_0" 2>/dev/null; wait "$pid_0" 2>/dev/null
echo "1..$n"
echo "# $((n - failed)) passed, $failed failed"
[ $failed = 0 ]
