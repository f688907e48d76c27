#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The master boot service in one VM: bproc-bootd start/status/stop with
# real dnsmasq and busybox httpd on a veth pair, a DHCP client in a
# network namespace standing in for a node. Run as root inside a VM booted
# from the bproc kernel (from the host:
#   harness/vm-run bpmaster/tests/vm-bootd.sh --dir build/vm-bootd).
# Prints TAP.
set -u

top=${BPROC_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../../scripts/tap.sh
. "$top/scripts/tap.sh"
bin=$top/build/bin
dir=$(mktemp -d /tmp/vm-bootd.XXXXXX)
cfg=$dir/config

cleanup() {
	"$bin/bproc-bootd" -c "$cfg" stop >/dev/null 2>&1
	ip netns del bpnode 2>/dev/null
	ip link del bpb0 2>/dev/null
}
trap cleanup EXIT

# dhcp: run one DHCP exchange from the namespace, print the lease's env.
dhcp() {
	rm -f "$dir/lease.env"
	ip netns exec bpnode busybox udhcpc -i bpb1 -f -q -n -t 4 -T 3 \
		-s "$dir/udhcpc.sh" "$@" >"$dir/udhcpc.log" 2>&1
	cat "$dir/lease.env" 2>/dev/null
}

ip netns add bpnode &&
ip link add bpb0 type veth peer name bpb1 netns bpnode &&
ip addr add 10.99.0.1/24 dev bpb0 && ip link set bpb0 up &&
ip -n bpnode link set bpb1 up && ip -n bpnode link set lo up
ok $? "veth pair bpb0 (10.99.0.1/24) / bpb1 in namespace bpnode"
mac=$(ip netns exec bpnode cat /sys/class/net/bpb1/address)

mkdir -p "$dir/image"
printf '#!ipxe\nkernel @PROTO@://@SERVER@/bzImage bproc.master=@SERVER@:@PORT@\ninitrd @PROTO@://@SERVER@/initramfs.cpio.gz\nboot\n' \
	> "$dir/image/boot.ipxe.in"
head -c 300000 /dev/urandom > "$dir/image/bzImage"
head -c 100000 /dev/urandom > "$dir/image/initramfs.cpio.gz"
cat > "$dir/udhcpc.sh" <<EOF
#!/bin/sh
[ "\$1" = bound ] && env > "$dir/lease.env"
exit 0
EOF
chmod +x "$dir/udhcpc.sh"

cat > "$cfg" <<EOF
interface bpb0 10.99.0.1/24
iprange 10.99.0.100 10.99.0.104
node 1 $mac tftp
bootimage $dir/image
bootdir $dir/boot
EOF

out=$("$bin/bproc-bootd" --help)
ok $? "bproc-bootd --help exits 0"
"$bin/bproc-bootd" bogus >/dev/null 2>&1
[ $? = 1 ]
ok $? "bproc-bootd with an unknown action exits 1"

out=$("$bin/bproc-bootd" -c "$cfg" start 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
ok $rc "bproc-bootd start"
check "dnsmasq.conf generated" test -s "$dir/boot/dnsmasq.conf"
check "dnsmasq running" pgrep -F /run/bproc/dnsmasq.pid dnsmasq
check "httpd running" kill -0 "$(cat /run/bproc/httpd.pid)"
"$bin/bproc-bootd" -c "$cfg" status >/dev/null
ok $? "bproc-bootd status: both running"
check "lease directory made" test -d /var/lib/bproc

lease=$(dhcp -x 0xaf:010101)
echo "$lease" | grep -E '^(ip|siaddr|boot_file|hostname)=' | sed 's/^/# /'
check "configured tftp node gets its fixed address" grep -qx "ip=10.99.0.101" <<<"$lease"
check "iPXE tftp node gets boot-tftp.ipxe" grep -qx "boot_file=boot-tftp.ipxe" <<<"$lease"
check "next server is the master" grep -qx "siaddr=10.99.0.1" <<<"$lease"

ip -n bpnode link set bpb1 down
ip -n bpnode link set bpb1 address 52:54:00:99:00:42
ip -n bpnode link set bpb1 up
lease=$(dhcp -x 0xaf:010101)
echo "$lease" | grep -E '^(ip|siaddr|boot_file)=' | sed 's/^/# /'
ip=$(sed -n 's/^ip=//p' <<<"$lease")
case $ip in 10.99.0.10[0234]) true ;; *) false ;; esac
ok $? "an unknown MAC gets an iprange address ($ip)"
check "iPXE http node gets the HTTP script URL" \
	grep -qx "boot_file=http://10.99.0.1/boot-http.ipxe" <<<"$lease"
lease=$(dhcp)
check "a PXE ROM without iPXE gets no bproc script (no undionly.kpxe)" \
	test -n "$lease" -a -z "$(sed -n 's/^boot_file=//p' <<<"$lease")"

ip -n bpnode addr add 10.99.0.150/24 dev bpb1
got=$(ip netns exec bpnode busybox wget -q -O - http://10.99.0.1/boot-http.ipxe)
[ "$got" = "$(printf '#!ipxe\nkernel http://10.99.0.1/bzImage bproc.master=10.99.0.1:2223\ninitrd http://10.99.0.1/initramfs.cpio.gz\nboot')" ]
ok $? "boot-http.ipxe over HTTP, placeholders filled in"
ip netns exec bpnode busybox wget -q -O "$dir/got-http" http://10.99.0.1/bzImage
check "bzImage over HTTP" cmp "$dir/got-http" "$dir/image/bzImage"
(cd "$dir" && ip netns exec bpnode busybox tftp -g -r boot-tftp.ipxe -l got-tftp.ipxe 10.99.0.1)
check "boot-tftp.ipxe over TFTP" grep -q "kernel tftp://10.99.0.1/bzImage bproc.master=10.99.0.1:2223" "$dir/got-tftp.ipxe"
(cd "$dir" && ip netns exec bpnode busybox tftp -b 1468 -g -r initramfs.cpio.gz -l got-tftp 10.99.0.1)
check "initramfs over TFTP" cmp "$dir/got-tftp" "$dir/image/initramfs.cpio.gz"

dpid=$(cat /run/bproc/dnsmasq.pid)
hpid=$(cat /run/bproc/httpd.pid)
"$bin/bproc-bootd" -c "$cfg" stop | sed 's/^/# /'
sleep 0.5
! kill -0 "$dpid" 2>/dev/null && ! kill -0 "$hpid" 2>/dev/null
ok $? "bproc-bootd stop ends dnsmasq and httpd"
"$bin/bproc-bootd" -c "$cfg" status >/dev/null
[ $? = 3 ]
ok $? "bproc-bootd status exits 3 when stopped"

echo "iprange 10.98.0.1 10.98.0.2" >> "$cfg"
out=$("$bin/bproc-bootd" -c "$cfg" start 2>&1)
rc=$?
[ $rc = 1 ] && [ "$out" = "bpmaster: boot config: $cfg:6: iprange 10.98.0.1-10.98.0.2 is not inside the subnet of interface bpb0" ]
ok $? "a range outside the subnet is refused ($out)"

tap_done
status=$?
if [ $status != 0 ]; then
	for f in /var/log/bproc-dnsmasq.log /var/log/bproc-httpd.log "$dir/udhcpc.log" "$dir/boot/dnsmasq.conf"; do
		echo "# --- $f"
		sed 's/^/# /' "$f" 2>/dev/null
	done
fi
exit $status
