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
echo "1..$n"
echo "# $((n - failed)) passed, $failed failed"
[ $failed = 0 ]
