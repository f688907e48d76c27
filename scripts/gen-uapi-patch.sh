#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Generate patches/0001-uapi-add-linux-bproc.h.patch from the one ABI header,
# include/uapi/linux/bproc.h. `--check` fails if the committed patch differs.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
hdr=include/uapi/linux/bproc.h
out=patches/0001-uapi-add-linux-bproc.h.patch
n=$(wc -l < "$top/$hdr")

gen() {
	cat <<MSG
From: bproc developers <bproc-devel@lists.bproc.dev>
Subject: [PATCH] uapi: add linux/bproc.h, the bproc user/kernel interface

bproc mirrors processes started on cluster nodes into the master's
process table. Its module, daemons and tools talk through the ioctls of
the /dev/bproc misc device; this header is their single definition.

Fixed-width fields, explicit padding and a leading size field in every
struct keep the ABI the same on 32- and 64-bit user space and let it
grow without breaking older callers.

Signed-off-by: bproc developers <bproc-devel@lists.bproc.dev>
---
diff --git a/$hdr b/$hdr
new file mode 100644
--- /dev/null
+++ b/$hdr
@@ -0,0 +1,$n @@
MSG
	sed 's/^/+/' "$top/$hdr"
}

if [ "${1:-}" = --check ]; then
	if ! gen | cmp -s - "$top/$out"; then
		echo "gen-uapi-patch: $out is stale; run scripts/gen-uapi-patch.sh" >&2
		exit 1
	fi
	exit 0
fi
gen > "$top/$out"
grep -qx "$(basename "$out")" "$top/patches/series" 2>/dev/null ||
	echo "$(basename "$out")" >> "$top/patches/series"
echo "gen-uapi-patch: wrote $out"
