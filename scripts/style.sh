#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# checkpatch.pl --strict on every module source and every patch of the series;
# also checks that the uapi patch matches include/uapi/linux/bproc.h.
# Prints TAP; exits 1 if checkpatch reports an error anywhere.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${BPROC_CACHE:-/var/cache/bproc}
cp=$(ls -d "$cache"/linux-*/scripts/checkpatch.pl 2>/dev/null | head -1)
if [ -z "$cp" ]; then
	echo "style: no kernel tree with checkpatch.pl in $cache (run make kernel)" >&2
	exit 1
fi
cd "$top" || exit 1
files=$(ls bproc-kmod/*.[ch] 2>/dev/null | grep -v "\.mod\.c$")
patches=$(grep -v '^[[:space:]]*\(#\|$\)' patches/series | sed 's|^|patches/|')
n=0
fail=0
total=$(( $(echo $files $patches | wc -w) + 1 ))
echo "TAP version 13"
echo "1..$total"
for f in $files $patches; do
	n=$((n + 1))
	case $f in
	*.patch) out=$(cd "$(dirname "$cp")/.." && perl "$cp" --strict --no-tree "$top/$f" 2>&1) ;;
	*) out=$(cd "$(dirname "$cp")/.." && perl "$cp" --strict --no-tree -f "$top/$f" 2>&1) ;;
	esac
	errs=$(echo "$out" | sed -n 's/^total: \([0-9]*\) errors.*/\1/p')
	sum=$(echo "$out" | grep '^total:')
	if [ "${errs:-1}" = 0 ]; then
		echo "ok $n style: $f ($sum)"
	else
		echo "$out" | grep -A4 '^ERROR' | sed 's/^/# /'
		echo "not ok $n style: $f (${sum:-checkpatch failed})"
		fail=1
	fi
done
n=$((n + 1))
if scripts/gen-uapi-patch.sh --check; then
	echo "ok $n style: uapi patch matches include/uapi/linux/bproc.h"
else
	echo "not ok $n style: uapi patch matches include/uapi/linux/bproc.h"
	fail=1
fi
exit $fail
