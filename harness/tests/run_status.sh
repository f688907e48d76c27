#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The harness runs a script on the master, streams its output and exits
# with the script's status; no QEMU process or namespace of the run is left.
# Extra arguments go to cluster.py. Prints TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$(dirname "$here")")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/payload.sh" <<'PAYLOAD'
#!/bin/sh
echo "payload on $(hostname): uid $(id -u)"
echo "to stderr" >&2
echo "env: [$BPROC_TEST_A] [$BPROC_TEST_B]"
exit 3
PAYLOAD
chmod +x "$tmp/payload.sh"

echo "TAP version 13"
"$top/harness/cluster.py" --nodes 0 --run "$tmp/payload.sh" \
	--env "BPROC_TEST_A=two words" --env "BPROC_TEST_B=it's \$x" "$@" \
	> "$tmp/out" 2> "$tmp/err" &
pid=$!
wait $pid
rc=$?
sed 's/^/# out: /' "$tmp/out"
sed 's/^/# err: /' "$tmp/err"
# shellcheck source=../../scripts/tap.sh
. "$top/scripts/tap.sh"
check "exit status of the script comes back (got $rc)" test $rc = 3
check "its stdout is streamed, run on the master as root" \
	grep -qx "payload on master: uid 0" "$tmp/out"
check "its stderr is streamed too" grep -qx "to stderr" "$tmp/out"
check "--env reaches it, quoting and all" \
	grep -qxF "env: [two words] [it's \$x]" "$tmp/out"
"$top/harness/cluster.py" --nodes 0 --run "$tmp/payload.sh" --env "1BAD=x" \
	> /dev/null 2> "$tmp/bad"
check "--env with a bad name is refused before anything boots" \
	grep -q "not NAME=VALUE" "$tmp/bad"
check "no QEMU process of the run is left" \
	test -z "$(pgrep -f "bproc-harness-$pid/")"
check "no namespace of the run is left" \
	test -z "$(ip netns list | grep -w "bproc-$pid")"
tap_done
