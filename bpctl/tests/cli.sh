#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The bpctl binary on this host: --help and --version, and every check
# that must stop it with exit status 1 before it reads the node table or
# sends a request (these run without /dev/bproc, so a check done late
# would show as status 1). TAP. $BPCTL is the binary.
set -u
bpctl=${BPCTL:?}
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
n=0 failed=0

# expect STATUS PATTERN ARGS...: bpctl ARGS exits STATUS and its stderr
# matches the grep -E PATTERN (empty: stderr is empty).
expect() {
	local status=$1 pattern=$2 rc
	shift 2
	n=$((n + 1))
	"$bpctl" "$@" > "$w/out" 2> "$w/err"
	rc=$?
	if [ -z "$pattern" ]; then
		[ ! -s "$w/err" ]
	else
		grep -Eq -- "$pattern" "$w/err"
	fi
	if [ $? -eq 0 ] && [ "$rc" -eq "$status" ]; then
		echo "ok $n - bpctl $* -> $status"
	else
		echo "not ok $n - bpctl $* -> $status (got $rc)"
		sed 's/^/#   /' "$w/err"
		failed=$((failed + 1))
	fi
}

ok() {
	n=$((n + 1))
	if eval "$2"; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		failed=$((failed + 1))
	fi
}

echo "TAP version 13"
expect 0 "" --help
help_names_all() {
	local o
	grep -q '^Usage: bpctl -S NODESPEC' "$w/out" || return 1
	for o in -S -M -s -R -H -P -m -u -g --cache-purge -v -h -V; do
		grep -q -- " $o" "$w/out" || return 1
	done
}
ok "--help on stdout, every option named" help_names_all
expect 0 "" -V
ok "-V prints the version" "grep -Eq '^bpctl \\(bproc\\) [0-9]+\\.[0-9]+\\.[0-9]+$' '$w/out'"

expect 1 "^bpctl: -M: the master's state and permissions are not set by bpctl$" -M -s up
expect 1 "^bpctl: -M: " -M -m 0111
expect 1 "^bpctl: -s boot: boot is set by the master while node_up runs$" -S 0 -s boot
expect 1 "^bpctl: unknown state 'bogus' \\(states: down, up, error, unavailable, reboot, halt, pwroff\\)$" -S 0 -s bogus
expect 1 "^bpctl: unknown user 'nosuchuser-bpctl'$" -S 0 -u nosuchuser-bpctl
expect 1 "^bpctl: unknown group 'nosuchgroup-bpctl'$" -S 0 -g nosuchgroup-bpctl
for m in 0800 8 -1 0x1ff "" 01000; do
	expect 1 "^bpctl: bad mode '$m': " -S 0 -m "$m"
done
expect 1 "cannot be combined" -S 0 -R -H
expect 1 "cannot be combined" -S 0 -s up -P
expect 1 "no action given" -S 0
expect 1 "no node given" -m 0111
expect 1 "unknown option -x" -S 0 -m 0111 -x
expect 1 "unexpected argument 'extra'" -S 0 -u root -m 0111 extra
expect 1 "Try 'bpctl --help'" -S 0 -R -H
n=$((n + 1))
"$bpctl" -S 0 -u nosuchuser-bpctl 2> "$w/err"
if grep -q "Try" "$w/err"; then
	echo "not ok $n - a bad value gets no --help advice"
	failed=$((failed + 1))
else
	echo "ok $n - a bad value gets no --help advice"
fi
# Past the command line: the table is read. Without the module that
# fails (status 1); with it, a node past BPROC_NODES_MAX is refused by
# name before any request (status 1). Either way nothing is changed.
if [ -e /dev/bproc ]; then
	expect 1 "^bpctl: bad node spec '99999': '99999': no such node" \
		-S 99999 -u root -g root -m 0111
else
	expect 1 "^bpctl: /dev/bproc: No such file or directory \\(is the bproc module loaded\\?\\)$" \
		-S 0 -u root -g root -m 0111
fi
echo "1..$n"
echo "# $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
