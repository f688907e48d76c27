#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bpslave's process handling against a test master (procmaster.py) in one
# VM; run as root inside a VM booted from the bproc kernel (from the host:
#   harness/vm-run bpslave/tests/vm-procs.sh --dir build/vm-procs).
# Prints TAP.
set -u

top=${BPROC_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
kmod=$top/build/kmod/bproc.ko
[ -e "$kmod" ] || kmod=$top/bproc-kmod/bproc.ko

if ! [ -e /dev/bproc ] && ! insmod "$kmod"; then
	echo "not ok 1 - bproc module loaded ($kmod)"
	exit 1
fi
exec python3 "$top/bpslave/tests/procmaster.py" "$top/build/node/bpslave"
