#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bpmaster + bpslave in one VM, nodes on loopback addresses; run as root
# inside a VM booted from the bproc kernel (from the host:
#   harness/vm-run bpmaster/tests/vm-daemons.sh --dir build/vm-daemons).
# Prints TAP. Covers admission by range, HELLO/WELCOME, the node table,
# STATUS updates, malformed and foreign input, replacement, ping timeout,
# disconnect, SIGHUP reload (bad and good), SIGTERM, bpslave's reconnect
# and missing-module error, authenticated nodes and a rogue node
# (selftests/bproc/rogue/bprogue.c) against them.
set -u

top=${BPROC_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../../scripts/tap.sh
. "$top/scripts/tap.sh"
bin=$top/build/bin
bpslave=$top/build/node/bpslave
kmod=$top/build/kmod/bproc.ko
[ -e "$kmod" ] || kmod=$top/bproc-kmod/bproc.ko
dir=$(mktemp -d /tmp/vm-daemons.XXXXXX)
cfg=$dir/config
mlog=$dir/bpmaster.log
pids=()

# wait_for FILE PATTERN [SECONDS] [COUNT]: until FILE has COUNT lines matching.
wait_for() {
	local file=$1 pat=$2 secs=${3:-30} count=${4:-1} i=0
	while [ $i -lt $((secs * 10)) ]; do
		if [ "$(grep -c -- "$pat" "$file" 2>/dev/null)" -ge "$count" ]; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

cleanup() {
	for p in "${pids[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
}
trap cleanup EXIT

# node FIELD NODE: one field of the module's node table entry.
node() {
	python3 - "$1" "${2:-0}" <<'EOF'
import fcntl, os, socket, struct, sys
fmt = "<IiIIIIHBBI16s8sQQQQ3II64s32s64s"
assert struct.calcsize(fmt) == 264
GET = (3 << 30) | (264 << 16) | (0xB7 << 8) | 3
COUNT = (2 << 30) | (4 << 16) | (0xB7 << 8) | 4
fd = os.open("/dev/bproc", os.O_RDONLY)
if sys.argv[1] == "count":
    print(struct.unpack("<I", fcntl.ioctl(fd, COUNT, bytes(4)))[0])
    sys.exit(0)
buf = bytearray(264)
struct.pack_into("<Ii", buf, 0, 264, int(sys.argv[2]))
fcntl.ioctl(fd, GET, buf)
v = struct.unpack(fmt, buf)
states = ["down", "boot", "up", "error", "unavailable", "reboot", "halt", "pwroff"]
f = {"state": states[v[2]], "mode": oct(v[3]), "cpus": v[9],
     "addr": socket.inet_ntoa(v[10][:4]) if v[6] == 2 else "-",
     "hwaddr": ":".join("%02x" % b for b in v[11][:v[7]]),
     "mem_total": v[12], "mem_free": v[13], "boottime": v[15],
     "load": v[16], "kernel": v[20].rstrip(b"\0").decode(),
     "modver": v[21].rstrip(b"\0").decode(),
     "error": v[22].rstrip(b"\0").decode()}
print(f[sys.argv[1]])
EOF
}

# send_raw SRCADDR HEXBYTES: connect from SRCADDR to the master, send the
# bytes, print what comes back (hex) until the master closes.
send_raw() {
	python3 - "$1" "${2:-0}" <<'EOF'
import socket, sys
s = socket.socket()
s.bind((sys.argv[1], 0))
s.settimeout(20)
s.connect(("127.0.0.1", 2223))
s.sendall(bytes.fromhex(sys.argv[2]))
out = b""
try:
    while True:
        d = s.recv(4096)
        if not d:
            break
        out += d
except OSError:
    pass
print(out.hex())
EOF
}

# hexmsg TYPE PAYLOADHEX [VERSION]: one message, hex encoded.
hexmsg() {
	python3 -c 'import struct, sys
t = int(sys.argv[1], 0)
p = bytes.fromhex(sys.argv[2])
v = int(sys.argv[3]) if len(sys.argv) > 3 else 1
print((struct.pack("<IBBHII", 0x43525042, v, 0, t, len(p), 0) + p).hex())' "$@"
}

# fake_master PORT < SCRIPT: a test master on 127.0.0.1:PORT running the
# python SCRIPT once a node connected: it has msg(TYPE, PAYLOAD),
# recv_msg(c) -> (type, payload), c (the node's socket) and peer.
fake_master_lib='import socket, struct, sys
HDR = "<IBBHII"
def msg(t, p):
    return struct.pack(HDR, 0x43525042, 1, 0, t, len(p), 0) + p
def recvn(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            raise EOFError
        b += d
    return b
def recv_msg(c):
    magic, v, f, t, l, i = struct.unpack(HDR, recvn(c, 16))
    return t, recvn(c, l)
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1])))
l.listen(1)
l.settimeout(60)
c, peer = l.accept()
c.settimeout(30)
'
fake_master() {
	python3 -c "$fake_master_lib$(cat)" "$1"
}

# fake_node SRCADDR PROCHEX: HELLO from SRCADDR, wait for WELCOME, send the
# bytes; prints "closed" when the master then closes the connection.
fake_node() {
	python3 - "$1" "$2" <<'EOF'
import socket, struct, sys, time
def wire(t, p):
    return struct.pack("<IBBHII", 0x43525042, 1, 0, t, len(p), 0) + p
hello = struct.pack("<IIQQB3x8s", 1, 0, 1 << 30, time.time_ns() - 10**9, 0,
                    bytes(8)) + struct.pack("<H", 4) + b"fake" + \
        struct.pack("<H", 1) + b"0" + struct.pack("<H", 0)
s = socket.socket()
s.bind((sys.argv[1], 0))
s.settimeout(10)
s.connect(("127.0.0.1", 2223))
s.sendall(wire(1, hello))
time.sleep(0.5)
s.sendall(bytes.fromhex(sys.argv[2]))
try:
    while s.recv(4096):
        pass
    print("closed")
except OSError:
    print("open")
EOF
}

# prochex PTYPE NODE PID PAYLOADHEX [SIZEDELTA]: a PROC wire message, hex.
prochex() {
	python3 -c 'import struct, sys
t, node, pid = (int(x, 0) for x in sys.argv[1:4])
p = bytes.fromhex(sys.argv[4])
d = int(sys.argv[5]) if len(sys.argv) > 5 else 0
pr = struct.pack("<IHHiiQ", 24 + len(p) + d, t, 0, node, pid, 5) + p
print((struct.pack("<IBBHII", 0x43525042, 1, 0, 0x10, len(pr), 0) + pr).hex())' "$@"
}

echo "# bpslave without the module"
if [ ! -e /dev/bproc ]; then
	out=$("$bpslave" 127.0.0.1 2>&1)
	rc=$?
	[ $rc = 1 ] && [[ $out == *"/dev/bproc: No such file or directory (is the bproc module loaded?)"* ]]
	ok $? "bpslave without /dev/bproc exits 1 naming the module ($rc: $out)"
fi
insmod "$kmod" 2>/dev/null || [ -e /dev/bproc ]
ok $? "bproc module loaded"

cat > "$cfg" <<EOF
# nodes by address: fake nodes here speak no key (docs/security.md)
auth none
# loopback cluster: nodes 0-2 on 127.0.0.1-127.0.0.3
iprange 0 127.0.0.1 127.0.0.3
pinginterval 1
pingtimeout 4
EOF

out=$("$bin/bpmaster" --help); rc=$?
[ $rc = 0 ] && [[ $out == usage:* ]]
ok $? "bpmaster --help prints usage to stdout, exit 0"
"$bin/bpmaster" --bogus >/dev/null 2>&1
[ $? = 1 ]
ok $? "bpmaster with an unknown option exits 1"
out=$("$bin/bpmaster" -f -c /nonexistent 2>&1); rc=$?
[ $rc = 1 ] && [ "$out" = "bpmaster: /nonexistent: No such file or directory" ]
ok $? "bpmaster with a missing config names it ($out)"

"$bin/bpmaster" -f -v -c "$cfg" > "$mlog" 2>&1 &
mpid=$!
pids+=("$mpid")
check "bpmaster listening" wait_for "$mlog" "listening on port 2223 for 3 nodes" 30
check "bpmaster warns that auth none admits nodes by address" \
	grep -q "auth none: nodes are admitted by their address alone" "$mlog"
check "node count is 3" test "$(node count)" = 3
check "node 0 starts down" test "$(node state 0)" = down
check "node 0 has its range address while down" test "$(node addr 0)" = 127.0.0.1

out=$("$bin/bpmaster" -f -c "$cfg" 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"BPROC_IOC_MASTER: Device or resource busy (another bpmaster is running)" ]]
ok $? "a second bpmaster is refused ($out)"

"$bpslave" --auth none -v 127.0.0.1 > "$dir/slave1.log" 2>&1 &
s1=$!
pids+=("$s1")
check "bpmaster: node 0 up (127.0.0.1)" wait_for "$mlog" "bpmaster: node 0 up (127.0.0.1)" 30
check "bpslave: connected to 127.0.0.1:2223 as node 0" \
	wait_for "$dir/slave1.log" "bpslave: connected to 127.0.0.1:2223 as node 0" 30
check "node 0 state up" test "$(node state 0)" = up
check "node 0 kernel is uname -r" test "$(node kernel 0)" = "$(uname -r)"
check "node 0 module version" test "$(node modver 0)" = "$(cat /sys/module/bproc/version)"
check "node 0 cpus" test "$(node cpus 0)" = "$(nproc)"
check "node 0 mem_total" test "$(node mem_total 0)" -gt 0
check "node 0 hwaddr (lo)" test "$(node hwaddr 0)" = 00:00:00:00:00:00
btime=$(awk '/^btime/ {print $2}' /proc/stat)
check "node 0 boot time" test "$(node boottime 0)" = "${btime}000000000"
check "node 0 mode 0111" test "$(node mode 0)" = 0o111
sleep 2.5
check "STATUS updates mem_free" test "$(node mem_free 0)" -gt 0

echo "# foreign and malformed input"
out=$(send_raw 127.0.0.9 "$(hexmsg 1 "")")
[[ $out == 425052430100030* ]]
ok $? "connection from outside the ranges gets REJECT ($out)"
check "it is logged" wait_for "$mlog" "refused connection from 127.0.0.9:[0-9]*: address not in any iprange" 10
send_raw 127.0.0.2 "$(printf 'GET / HTTP/1.0\r\n\r\n' | od -An -tx1 | tr -d ' \n')" >/dev/null
check "an HTTP request is logged and closed" \
	wait_for "$mlog" "connection from 127.0.0.2:[0-9]*: not a bproc protocol stream" 10
send_raw 127.0.0.2 "42505243010001000000200000000000" >/dev/null
check "an oversized message is logged and closed" \
	wait_for "$mlog" "connection from 127.0.0.2:[0-9]*: message of 2097152 bytes exceeds the limit" 10
send_raw 127.0.0.2 "4250524301000100000001000000000000" >/dev/null
check "a large first message is refused before it is buffered" \
	wait_for "$mlog" "connection from 127.0.0.2:[0-9]*: first message of 65536 bytes is too large for a HELLO" 10
# HELLO whose cpus field is 0, otherwise complete
send_raw 127.0.0.2 "$(hexmsg 1 "$(printf '%084d' 0)")" >/dev/null
check "a malformed HELLO is logged and closed" \
	wait_for "$mlog" "connection from 127.0.0.2:[0-9]*: malformed HELLO message" 10
out=$(send_raw 127.0.0.2 "$(hexmsg 1 "" 2)")
[[ $out == 425052430100030* ]]
ok $? "protocol version 2 gets REJECT in version 1 ($out)"
check "unknown version logged" wait_for "$mlog" "protocol version 2 not supported (this master speaks 1)" 10
send_raw 127.0.0.2 "$(hexmsg 0x42 "")" >/dev/null
check "an unknown mandatory type is logged and closed" \
	wait_for "$mlog" "unknown message type 0x0042" 10
send_raw 127.0.0.2 "$(hexmsg 5 0000000000000000)" >/dev/null
check "PING before HELLO is a protocol error" \
	wait_for "$mlog" "protocol error: PING before HELLO" 10
echo "# process messages from a fake node (node 1 on 127.0.0.2)"
exit9=09000000$(printf "%040d" 0)
out=$(fake_node 127.0.0.2 "$(prochex 7 0 300 $exit9)")
[ "$out" = closed ] && wait_for "$mlog" "node 1 (127.0.0.2:[0-9]*): protocol error: EXIT for pid 300 claims node 0" 10
ok $? "EXIT for another node's pid is logged and closed ($out)"
check "it takes node 1 down" wait_for "$mlog" "node 1 down (protocol error: process message for node 0)" 10
out=$(fake_node 127.0.0.2 "$(prochex 2 1 300 00000000 1)")
[ "$out" = closed ] && wait_for "$mlog" "node 1 (127.0.0.2:[0-9]*): malformed PROC message (28 bytes)" 10
ok $? "a PROC whose size disagrees with its payload is logged and closed ($out)"
rexec=$(python3 -c 'import struct
ident = struct.pack("<IIIIIIII", 0, 0, 0, 0, 0, 0, 0o22, 0) + struct.pack("<5Q", 0, 0, 0, 0, 0)
ident += struct.pack("<QQ", 2**64 - 1, 2**64 - 1) * 16
print((struct.pack("<iiiIIIIIIIII", 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 2, 11) + ident + b"/\0/bin/sh\0sh\0").hex())')
out=$(fake_node 127.0.0.2 "$(prochex 1 1 301 "$rexec")")
[ "$out" = closed ] && wait_for "$mlog" "node 1 (127.0.0.2:[0-9]*): protocol error: REXEC from a node" 10
ok $? "a REXEC sent by a node is logged and closed ($out)"
if grep -q "does not queue process messages" "$mlog"; then
	echo "# the bproc module has no process messages yet: routing to the module not tested"
else
	out=$(fake_node 127.0.0.2 "$(prochex 7 1 300 $exit9)")
	sleep 1
	kill -0 "$mpid"
	ok $? "EXIT for a pid without a ghost: bpmaster handles the module's answer ($out)"
fi
check "bpmaster survives all of it" kill -0 "$mpid"
check "node 0 still up" test "$(node state 0)" = up

echo "# replacement, ping timeout, reconnect"
kill -STOP "$s1"
"$bpslave" --auth none 127.0.0.1 > "$dir/slave2.log" 2>&1 &
s2=$!
pids+=("$s2")
check "a new connection replaces the old one" \
	wait_for "$mlog" "node 0 down (replaced by a new connection from 127.0.0.1:" 30
check "node 0 up again" wait_for "$mlog" "bpmaster: node 0 up (127.0.0.1)" 30 2
kill -9 "$s1"
kill -STOP "$s2"
check "a silent node goes down after pingtimeout" \
	wait_for "$mlog" "node 0 down (ping timeout: silent for 4 s)" 30
check "node 0 state down" test "$(node state 0)" = down
kill -CONT "$s2"
check "bpslave reconnects after the master dropped it" \
	wait_for "$mlog" "bpmaster: node 0 up (127.0.0.1)" 30 3
check "bpslave logged the reconnect" wait_for "$dir/slave2.log" "reconnecting in 1 s" 10
kill -TERM "$s2"
check "bpslave says bye on SIGTERM" \
	wait_for "$mlog" "node 0 down (bye from the node: bpslave exiting)" 30
wait "$s2"
ok $? "bpslave exits 0 on SIGTERM"

"$bpslave" --auth none 127.0.0.1:2299 > "$dir/slave3.log" 2>&1 &
s3=$!
pids+=("$s3")
check "bpslave retries with backoff when the master is absent" \
	wait_for "$dir/slave3.log" "reconnecting in 4 s" 30
grep -q "connect to 127.0.0.1:2299: Connection refused" "$dir/slave3.log"
ok $? "bpslave names the master and the error"
kill "$s3"

echo "# a node in its own network namespace, SIGHUP"
ip netns add bpn1 &&
ip link add bpv0 type veth peer name bpv1 netns bpn1 &&
ip addr add 10.77.0.1/24 dev bpv0 && ip link set bpv0 up &&
ip -n bpn1 addr add 10.77.0.2/24 dev bpv1 && ip -n bpn1 link set bpv1 up &&
ip -n bpn1 link set lo up
ok $? "network namespace bpn1 with 10.77.0.2"
mac=$(ip netns exec bpn1 cat /sys/class/net/bpv1/address)

cp "$cfg" "$dir/config.good"
echo "port 0" >> "$cfg"
kill -HUP "$mpid"
check "a bad config is refused on SIGHUP" \
	wait_for "$mlog" "reload: $cfg:7: port '0' is not a number from 1 to 65535; keeping the running configuration" 10
cat > "$cfg" <<EOF
# nodes by address: fake nodes here speak no key (docs/security.md)
auth none
iprange 0 127.0.0.1 127.0.0.3
iprange 10.77.0.2 10.77.0.2
pinginterval 1
pingtimeout 4
EOF
kill -HUP "$mpid"
check "config with a fourth node applied on SIGHUP" \
	wait_for "$mlog" "reloaded $cfg: 4 nodes, port 2223, ping 1/4 s" 10
check "node count is 4" test "$(node count)" = 4
ip netns exec bpn1 "$bpslave" --auth none 10.77.0.1 > "$dir/slave4.log" 2>&1 &
s4=$!
pids+=("$s4")
"$bpslave" --auth none 127.0.0.1 > "$dir/slave5.log" 2>&1 &
s5=$!
pids+=("$s5")
check "bpmaster: node 3 up (10.77.0.2)" wait_for "$mlog" "bpmaster: node 3 up (10.77.0.2)" 30
check "node 0 up again" wait_for "$mlog" "bpmaster: node 0 up (127.0.0.1)" 30 4
check "node 3 hwaddr is the veth's" test "$(node hwaddr 3)" = "$mac"
check "node 3 address" test "$(node addr 3)" = 10.77.0.2
cat > "$cfg" <<EOF
# nodes by address: fake nodes here speak no key (docs/security.md)
auth none
iprange 0 127.0.0.1 127.0.0.3
iprange 10 10.77.0.2 10.77.0.2
pinginterval 2
pingtimeout 6
EOF
kill -HUP "$mpid"
check "a renumbering config is applied on SIGHUP" \
	wait_for "$mlog" "reloaded $cfg: 11 nodes, port 2223, ping 2/6 s" 10
check "node count is 11" test "$(node count)" = 11
check "node 3 disconnected: its address is node 10 now" \
	wait_for "$mlog" "node 3 down (configuration changed: address is now node 10)" 10
check "it comes back as node 10" wait_for "$mlog" "bpmaster: node 10 up (10.77.0.2)" 30
check "node 10 up in the table" test "$(node state 10)" = up
check "node 0 stayed connected" test "$(grep -c 'node 0 down (configuration' "$mlog")" = 0
check "node 0 still up in the resized table" test "$(node state 0)" = up
check "node 0 kept its figures" test "$(node kernel 0)" = "$(uname -r)"
check "node 3 now down without an address" test "$(node state 3):$(node addr 3)" = down:-
sleep 3
check "node 0 survives the new 6 s timeout with 2 s STATUS" test "$(node state 0)" = up

echo "# SIGTERM"
kill -TERM "$mpid"
wait "$mpid"
ok $? "bpmaster exits 0 on SIGTERM"
check "node 10 down (master shutting down)" \
	grep -q "node 10 down (master shutting down)" "$mlog"
check "node 10 down in the table" test "$(node state 10)" = down
check "bpslave hears the master leave" \
	wait_for "$dir/slave4.log" "closed the connection: master shutting down" 10
kill "$s4" "$s5"

echo "# daemon mode"
"$bin/bpmaster" -c "$dir/config.good"
ok $? "bpmaster without -f returns 0 once it runs in the background"
dpid=$(pgrep -x bpmaster)
check "the daemon is running" test -n "$dpid"
check "it holds the master role" test "$(node count)" = 3
kill -TERM $dpid
check "it exits on SIGTERM" timeout 10 sh -c "while kill -0 $dpid 2>/dev/null; do sleep 0.1; done"
kill -9 $dpid 2>/dev/null

echo "# the node_up step: scripts run before a node is up (issue 12, point 2)"
ndir=$dir/node_up.d
mkdir -p "$ndir"
printf '#!/bin/sh\necho "$0 $1 $BPROC_NODE $BPROC_NODE_ADDR" >> %s/nodeup.out\n' \
	"$dir" > "$ndir/10-record"
printf '#!/bin/sh\nexit 0\n' > "$ndir/20-check"
printf 'not run: no execute bit\n' > "$ndir/30-notes"
chmod 755 "$ndir/10-record" "$ndir/20-check"
ucfg=$dir/config.nodeup
printf 'iprange 0 127.0.0.1 127.0.0.3\npinginterval 1\npingtimeout 4\nauth none\nnodeup %s\nnodeuptimeout 3\n' \
	"$ndir" > "$ucfg"
ulog=$dir/bpmaster-nodeup.log
"$bin/bpmaster" -f -v -c "$ucfg" > "$ulog" 2>&1 &
upid=$!
pids+=("$upid")
check "bpmaster with a nodeup directory listening" \
	wait_for "$ulog" "listening on port 2223" 30
# gone PATTERN: no process's command line matches it, within 2 s
gone() {
	for _ in $(seq 20); do
		pgrep -f "$1" > /dev/null || return 0
		sleep 0.1
	done
	return 1
}
# start_slave N: a bpslave (auth none) for node 0, its pid in $sp
start_slave() {
	"$bpslave" --auth none 127.0.0.1 > "$dir/slave-up$1.log" 2>&1 &
	sp=$!
	pids+=("$sp")
}
start_slave 1
check "node 0 is up once its node_up step ran" \
	wait_for "$ulog" "bpmaster: node 0 up (127.0.0.1)" 30
check "the script ran with the node's number and address ($(cat "$dir/nodeup.out" 2>&1))" \
	test "$(cat "$dir/nodeup.out")" = "$ndir/10-record 0 0 127.0.0.1"
check "the log names each script, in name order" \
	test "$(grep 'node 0: node_up: running' "$ulog" | sed 's/.*running //' | tr '\n' ' ')" = "10-record 20-check "
! grep -q "30-notes" "$ulog"
ok $? "a file without an execute bit is not run"
printf '#!/bin/sh\nexit 3\n' > "$ndir/20-check"
kill -TERM "$sp"
wait "$sp"
start_slave 2
check "a script that fails leaves the node in state error" \
	wait_for "$ulog" "node 0 error (node_up: 20-check exited with status 3)" 30
check "state error in the table" test "$(node state 0)" = error
check "with its reason" test "$(node error 0)" = "node_up: 20-check exited with status 3"
printf '#!/bin/sh\nsleep 307\n' > "$ndir/20-check"
kill -TERM "$sp"
wait "$sp"
start_slave 3
check "a script that hangs is killed at nodeuptimeout: error" \
	wait_for "$ulog" "node 0 error (node_up: 20-check timed out after 3 s)" 30
check "its whole process group with it" gone "slee[p] 307"
printf '#!/bin/sh\nsleep 308\n' > "$ndir/20-check"
kill -TERM "$sp"
wait "$sp"
start_slave 4
check "the next start runs the script again" \
	wait_for "$ulog" "node 0: node_up: running 20-check" 30 4
kill -TERM "$sp"
wait "$sp"
check "the node gone meanwhile: its script is stopped" \
	wait_for "$ulog" "node 0: node_up: 20-check stopped, the node is gone" 10
check "and killed" gone "slee[p] 308"
kill -TERM "$upid"
wait "$upid"
ok $? "bpmaster exits 0 on SIGTERM"

echo "# authenticated nodes: a real bpmaster and bpslave with the cluster key"
kcfg=$dir/config.key
cat > "$kcfg" <<EOF
iprange 0 127.0.0.1 127.0.0.3
pinginterval 1
pingtimeout 4
keyfile $dir/cluster.key
EOF
klog=$dir/bpmaster-key.log
"$bin/bpmaster" -f -v -c "$kcfg" > "$klog" 2>&1 &
kpid=$!
pids+=("$kpid")
check "bpmaster makes the cluster key at its first start" \
	wait_for "$klog" "generated a new cluster key (generation 1)" 30
check "the key file is mode 0400" test "$(stat -c %a "$dir/cluster.key")" = 400
"$bpslave" -v 127.0.0.1 > "$dir/slave8.log" 2>&1 &
k8=$!
pids+=("$k8")
check "bpslave enrolls" wait_for "$klog" "node 0 (127.0.0.1:[0-9]*) enrolled with key generation 1" 30
check "then authenticates and is node 0" \
	wait_for "$dir/slave8.log" "bpslave: connected to 127.0.0.1:2223 as node 0" 30
check "node 0 up" wait_for "$klog" "bpmaster: node 0 up (127.0.0.1)" 30
out=$(fake_node 127.0.0.1 "")
check "a HELLO without a key is refused ($out)" \
	wait_for "$klog" "refused: this master admits only authenticated nodes" 10
check "and did not replace node 0" test "$(grep -c 'node 0 down' "$klog")" = 0
"$bin/bpmaster" -K -c "$kcfg" > "$dir/keygen.out" 2>&1
ok $? "bpmaster -K adds a generation ($(cat "$dir/keygen.out"))"
kill -HUP "$kpid"
check "SIGHUP sends node 0 the new key over its sealed link" \
	wait_for "$klog" "node 0: sent key generation 2 (had 1)" 10
check "bpslave takes it" wait_for "$dir/slave8.log" "key generation 2 from 127.0.0.1:2223" 10
check "node 0 stayed up" test "$(grep -c 'node 0 down' "$klog")" = 0
echo "# a rogue node as node 1 (down): it enrolls, then tries what an attacker on the link would"
"$top/build/selftests/bprogue" -b 127.0.0.2 127.0.0.1 \
	handshake replay reorder flip unsealed reflect > "$dir/rogue.out" 2>&1
rc=$?
sed 's/^/# bprogue: /' "$dir/rogue.out"
ok $rc "bprogue: every attack refused (exit $rc)"
check "bprogue: all six attacks ran and were refused" \
	test "$(grep -c '^ok [0-9]* - ' "$dir/rogue.out")" = 6
check "the replayed handshake is refused: its proof is for another nonce" \
	grep -q "connection from 127.0.0.2:[0-9]*: refused: wrong proof: the node does not hold its key" "$klog"
check "replayed, reordered, bit-flipped, unsealed and reflected messages do not open" \
	test "$(grep -c 'node 1 (127.0.0.2:[0-9]*): a sealed message that does not open' "$klog")" -ge 5
check "bpmaster lives on" kill -0 "$kpid"
check "node 0 stayed up through it" test "$(grep -c 'node 0 down' "$klog")" = 0
kill -TERM "$k8"
check "bpslave says bye over the sealed link" \
	wait_for "$klog" "node 0 down (bye from the node: bpslave exiting)" 10
kill -TERM "$kpid"
wait "$kpid"
ok $? "the authenticating bpmaster exits 0 on SIGTERM"

echo "# bpslave carries out a master's request"
fake_master 2300 > "$dir/fake.log" 2>&1 <<'EOF' &
# A minimal master for this test: WELCOME, wait for STATUS, REQUEST halt.
t, p = recv_msg(c)
print("first message type", t, flush=True)
c.sendall(msg(2, struct.pack("<iIIIQ", 2, 1000, 5000, 0, 0)))
while recv_msg(c)[0] != 4:
    pass
print("got STATUS", flush=True)
c.sendall(msg(7, struct.pack("<II", 2, 0)))
while True:
    t, p = recv_msg(c)
    if t == 8:
        print("BYE reason", struct.unpack("<I", p[:4])[0], flush=True)
        break
EOF
fpid=$!
pids+=("$fpid")
sleep 1
unshare --pid --fork --kill-child --mount-proc sh -c \
	"trap 'echo USR1 > $dir/pid1.sig' USR1; $bpslave --auth none 127.0.0.1:2300 2>$dir/slave6.log & wait; wait" &
upid=$!
pids+=("$upid")
check "bpslave registers as node 2 with the test master" \
	wait_for "$dir/slave6.log" "bpslave: connected to 127.0.0.1:2300 as node 2" 30
check "bpslave signals PID 1 with SIGUSR1 for halt" wait_for "$dir/pid1.sig" USR1 30
check "bpslave says bye with reason halt" wait_for "$dir/fake.log" "BYE reason 8" 30
check "bpslave logs the request" \
	grep -q "master requests halt: signalling PID 1 (SIGUSR1)" "$dir/slave6.log"
# unshare ignores SIGTERM; SIGKILL takes the namespace down (--kill-child).
kill -9 "$upid" "$fpid" 2>/dev/null

echo "# a fake master that skips authentication (issue 10, point 2)"
fake_master 2301 > "$dir/fake2.log" 2>&1 <<'EOF' &
# WELCOME to whatever HELLO comes: what a rogue master on the network does.
t, p = recv_msg(c)
print("HELLO auth method", struct.unpack("<I", p[4:8])[0], "from port", peer[1], flush=True)
c.sendall(msg(2, struct.pack("<iIIIQ", 2, 1000, 5000, 0, 0)))
try:
    while True:
        print("then type", recv_msg(c)[0], flush=True)
except (EOFError, OSError):
    print("closed by the node", flush=True)
EOF
fpid=$!
pids+=("$fpid")
sleep 1
"$bpslave" 127.0.0.1:2301 > "$dir/slave7.log" 2>&1 &
spid=$!
pids+=("$spid")
check "bpslave enrolls from a privileged port" \
	wait_for "$dir/fake2.log" "HELLO auth method 2 from port" 30
grep -qE "from port ([5-9][0-9][0-9]|10[0-2][0-9])$" "$dir/fake2.log"
ok $? "the enrollment's source port is below 1024 ($(grep HELLO "$dir/fake2.log"))"
check "bpslave refuses a master that did not authenticate" \
	wait_for "$dir/slave7.log" "WELCOME without authenticating: not this cluster's master: refusing this master" 30
check "the rogue master got nothing after WELCOME but a BYE" \
	wait_for "$dir/fake2.log" "closed by the node" 30
! grep -q "then type 4" "$dir/fake2.log"
ok $? "no STATUS went to the rogue master"
! grep -q "connected to 127.0.0.1:2301" "$dir/slave7.log"
ok $? "bpslave never called itself connected to it"
kill "$spid" "$fpid" 2>/dev/null

tap_done
status=$?
if [ $status != 0 ]; then
	echo "# --- bpmaster log"
	sed 's/^/# /' "$mlog"
	for f in "$dir"/slave*.log; do
		echo "# --- $f"
		sed 's/^/# /' "$f"
	done
fi
exit $status
