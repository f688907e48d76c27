#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in a single harness VM without nodes or bpmaster: the module loads,
# creates /dev/bproc, passes the node-table, ghost and masq kselftests (the
# ghost test plays bpmaster, the masq test bpslave), unloads cleanly (no
# ghost holds it) and loads again.
set -u
top=${BPROC_TOP:?}
ko=$top/build/kmod/bproc.ko
n=0
fail=0
t() {
	n=$((n + 1))
	if eval "$2" > /tmp/t.out 2>&1; then
		echo "ok $n module: $1"
	else
		sed 's/^/# /' /tmp/t.out
		echo "not ok $n module: $1"
		fail=1
	fi
}

t "insmod bproc.ko" 'insmod "$ko"'
t "/dev/bproc is a character device" '[ -c /dev/bproc ]'
t "/sys/module/bproc/version is set" '[ -s /sys/module/bproc/version ]'
for b in "$top"/build/selftests/nodetable_test "$top"/build/selftests/bpstat_test \
	 "$top"/build/selftests/ghost_test "$top"/build/selftests/masq_test; do
	[ -x "$b" ] || { echo "not ok $((n += 1)) module: $b missing"; fail=1; continue; }
	name=$(basename "$b")
	"$b" 2>&1 | sed -E -u "s/^((not )?ok [0-9]+ )/\1$name: /"
	[ "${PIPESTATUS[0]}" = 0 ] || fail=1
done
# Reaped ghosts drop their module reference when their task is freed,
# an RCU grace period after the wait: allow a moment, not a leak.
t "rmmod bproc (ghosts gone)" '(for i in 1 2 3 4 5 6 7 8 9; do rmmod bproc 2>/dev/null && exit 0; sleep 0.5; done; rmmod bproc)'
t "/dev/bproc is gone after rmmod" '[ ! -e /dev/bproc ]'
t "module loads again after unload" 'insmod "$ko" && [ -c /dev/bproc ]'
t "and unloads again" 'rmmod bproc'
t "kernel log free of warnings" '! dmesg | grep -E "WARNING:|BUG:|Oops"'
exit $fail
