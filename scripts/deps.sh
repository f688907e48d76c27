#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages bproc needs to build, boot and test a cluster.
# One place for every dependency: `make cluster` and `make check` call it.
set -eu

PKGS="build-essential bc bison flex libssl-dev libelf-dev cpio dwarves kmod
xz-utils quilt linux-source-6.12 busybox-static qemu-system-x86 qemu-utils
ipxe-qemu seabios dnsmasq-base iproute2 procps psmisc python3 perl
util-linux clang libclang-rt-14-dev gdb strace dropbear-bin"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done

if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run as root (apt-get install) or install them by hand" >&2
	exit 1
fi

echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get update -q >/dev/null; then
	echo "deps: apt-get update failed" >&2
	exit 1
fi
# shellcheck disable=SC2086
if ! apt-get install -y -q --no-install-recommends $missing; then
	echo "deps: apt-get install failed for:$missing" >&2
	exit 1
fi
echo "deps: done"
