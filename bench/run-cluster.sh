#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What every benchmark shares: build, then boot a master and 2 nodes in
# the QEMU harness and run VMSCRIPT on the master, its logs in
# build/bench/NAME. Further arguments go to harness/cluster.py (such as
# --env NAME=VALUE for VMSCRIPT).
#
# Usage: bench/run-cluster.sh NAME VMSCRIPT [HARNESS-ARGS...]
set -eu
[ $# -ge 2 ] || { echo "usage: $0 NAME VMSCRIPT [HARNESS-ARGS...]" >&2; exit 1; }
name=$1 script=$2
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
make -s all >/dev/null
mkdir -p build/bench
rm -rf "build/bench/$name"
exec harness/cluster.py --nodes 2 --timeout 3600 --run "$script" \
	--dir "$top/build/bench/$name" "$@"
