#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: run every suite, keep each one's output in build/check/, and
# count its results: TAP lines ("ok N ..." / "not ok N ...") or, for suites
# without TAP, their "N passed, N failed" line. A suite that exits non-zero
# without a failing result, or reports nothing, counts as one failure.
# A TAP "# SKIP" is a failure unless selftests/skip-allowlist names the test
# (by a substring of its TAP line) with a reason.
#
#   scripts/check.sh [--debug] [SUITE...]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
out=$top/build/check
mkdir -p "$out"
kernel=${BPROC_KBUILD:-${BPROC_CACHE:-/var/cache/bproc}/kbuild-normal}/arch/x86/boot/bzImage
allow=$top/selftests/skip-allowlist
debug=0
if [ "${1:-}" = --debug ]; then
	debug=1
	shift
fi

suite_cmd() {
	case $1 in
	style) echo "scripts/style.sh" ;;
	unit-harness) echo "harness/tests/node_state.py" ;;
	unit-*) echo "make -s -C ${1#unit-} check" ;;
	fuzz) echo "make -s -C proto fuzz FUZZ_TIME=${BPROC_FUZZ_TIME:-10}" ;;
	bootimg) echo "make -s -C bootimg check KBUILD=${kernel%/arch/x86/boot/bzImage}" ;;
	vm-module)
		# The debug kernel boots in minutes under TCG: its limits and
		# acpi=noirq, as for the cluster below.
		if [ $debug = 1 ]; then
			echo "harness/cluster.py --nodes 0 --master-timeout 900 --timeout 3600 --append acpi=noirq --run selftests/bproc/run_module_tests.sh --kernel $kernel --dir $out/vm-module.run"
		else
			echo "harness/cluster.py --nodes 0 --run selftests/bproc/run_module_tests.sh --kernel $kernel --dir $out/vm-module.run"
		fi ;;
	vm-daemons) echo "harness/cluster.py --nodes 0 --run bpmaster/tests/vm-daemons.sh --kernel $kernel --dir $out/vm-daemons.run" ;;
	vm-procs) echo "harness/cluster.py --nodes 0 --run bpslave/tests/vm-procs.sh --kernel $kernel --dir $out/vm-procs.run" ;;
	vm-bootd) echo "harness/cluster.py --nodes 0 --run bpmaster/tests/vm-bootd.sh --kernel $kernel --dir $out/vm-bootd.run" ;;
	cluster)
		# Under KASAN and lockdep in TCG everything runs ~10x slower: two
		# nodes (what the tests need) and longer limits. ACPI's AML loop
		# limit (30 s) can then abort the PCI interrupt routing method
		# (_PRT), leaving virtio without an IRQ: route with the BIOS's
		# PIRQ table instead (acpi=noirq). On the normal kernel: two nodes
		# too (each TCG VM costs the 2-core host a share of every test),
		# and a 15 s ping timeout (3 s interval), not 30: five tests wait
		# for a node to be declared down. Many nodes: issue 11's virtual
		# nodes.
		if [ $debug = 1 ]; then
			echo "harness/cluster.py --nodes 2 --node-timeout 900 --master-timeout 900 --timeout 7200 --append acpi=noirq --node-append acpi=noirq --run selftests/bproc/run_cluster_tests.sh --kernel $kernel --dir $out/cluster.run"
		else
			echo "harness/cluster.py --nodes 2 --ping-interval 3 --ping-timeout 15 --run selftests/bproc/run_cluster_tests.sh --kernel $kernel --dir $out/cluster.run"
		fi ;;
	cluster-nodes)
		# Node management on its own 1-node cluster: it reboots,
		# powers off and halts a node VM (nodectl_test.c).
		if [ $debug = 1 ]; then
			echo "harness/cluster.py --nodes 1 --node-timeout 900 --master-timeout 900 --timeout 7200 --append acpi=noirq --node-append acpi=noirq --run selftests/bproc/run_nodes_tests.sh --kernel $kernel --dir $out/cluster-nodes.run"
		else
			echo "harness/cluster.py --nodes 1 --ping-interval 3 --ping-timeout 15 --run selftests/bproc/run_nodes_tests.sh --kernel $kernel --dir $out/cluster-nodes.run"
		fi ;;
	cluster-vnodes)
		# Many nodes on the 2-core host: 2 node VMs with 31 virtual
		# nodes each (nodeinit bproc.vnodes) make 64 nodes. Not in
		# check-debug: 64 bpslaves under KASAN in TCG. The default 30 s
		# ping timeout, not the cluster suite's 15: 32 bpslaves share
		# each emulated CPU, and with the other lane's cluster beside
		# it four of them once missed 15 s of pings mid-test.
		echo "harness/cluster.py --nodes 2 --vnodes 31 --ping-interval 3 --ping-timeout 30 --run selftests/bproc/run_vnode_tests.sh --kernel $kernel --dir $out/cluster-vnodes.run" ;;
	harness-run) echo "harness/tests/run_status.sh --kernel $kernel --dir $out/harness-run.run" ;;
	harness-noboot) echo "harness/tests/noboot.sh --kernel $kernel --dir $out/harness-noboot.run" ;;
	*) return 1 ;;
	esac
}

# Two lanes side by side (the default run): the host has 2 cores, and the
# VM suites mostly wait (boots, ping timeouts), so the first lane's unit
# tests and the cluster suite run beside the second lane's virtual-node
# cluster and single-VM suites. The virtual-node cluster goes first: its
# 64-node launches load the host most, and the cluster suite (fork
# bursts, ping timeouts) is the one to keep from that. Named suites, and --debug, run one
# after another. Each suite's output is in build/check/SUITE.log; a
# suite's output is shown when it is done (lane 1's as it comes).
lane1="style unit-core unit-libbproc unit-proto fuzz unit-bpstat unit-nodeinit unit-bpmaster unit-bpslave unit-bpsh unit-bpcp unit-bpctl unit-harness bootimg vm-daemons cluster"
lane2="cluster-vnodes harness-noboot harness-run vm-module vm-procs vm-bootd cluster-nodes"
lanes=0
if [ $# -gt 0 ]; then
	suites="$*"
elif [ $debug = 1 ]; then
	suites="vm-module cluster cluster-nodes"
else
	suites="$lane1 $lane2"
	lanes=1
fi
for s in $suites; do
	suite_cmd "$s" >/dev/null || { echo "check: unknown suite $s" >&2; exit 1; }
done

allowed_skip() {
	[ -r "$allow" ] || return 1
	local pat reason
	while read -r pat reason; do
		case $pat in "#"*|"") continue ;; esac
		if [[ $1 == *"$pat"* ]]; then
			[ -n "$reason" ] && return 0
		fi
	done < "$allow"
	return 1
}

# Run suite $1; its output goes to its log (and to stdout with $2 = tee),
# its exit status and duration to SUITE.rc and SUITE.secs.
run_suite() {
	local s=$1 cmd t0 rc
	cmd=$(suite_cmd "$s")
	t0=$(date +%s)
	if [ "${2:-}" = tee ]; then
		echo "=== $s: $cmd"
		$cmd 2>&1 | tee "$out/$s.log"
		rc=${PIPESTATUS[0]}
	else
		$cmd > "$out/$s.log" 2>&1
		rc=$?
	fi
	echo "$rc" > "$out/$s.rc"
	echo $(( $(date +%s) - t0 )) > "$out/$s.secs"
}

# Count suite $1's results from its log: sets pass, fail and adds to
# failed_list.
count_suite() {
	local s=$1 line rc results=0 sum
	pass=0 fail=0
	rc=$(cat "$out/$s.rc" 2>/dev/null || echo 1)
	while IFS= read -r line; do
		if [[ $line =~ ^[[:space:]]*(not\ )?ok\ [0-9]+ ]]; then
			results=$((results + 1))
			if [[ $line =~ \#[[:space:]]*[Ss][Kk][Ii][Pp] ]]; then
				if allowed_skip "$line"; then
					pass=$((pass + 1))
				else
					fail=$((fail + 1))
					failed_list+=("$s: SKIP not in allowlist: $line")
				fi
			elif [[ $line =~ ^[[:space:]]*not\ ok ]]; then
				fail=$((fail + 1))
				failed_list+=("$s: $line")
			else
				pass=$((pass + 1))
			fi
		fi
	done < "$out/$s.log"
	if [ $results = 0 ]; then
		sum=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$out/$s.log" | tail -1)
		if [ -n "$sum" ]; then
			pass=$(echo "$sum" | sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed.*/\2/')
			fail=$(echo "$sum" | sed -E 's/.* ([0-9]+) failed.*/\1/')
			results=$((pass + fail))
			[ "$fail" -gt 0 ] && failed_list+=("$s: $sum")
		fi
	fi
	if [ "$rc" != 0 ] && [ "$fail" = 0 ]; then
		fail=1
		failed_list+=("$s: exited with status $rc")
	elif [ $results = 0 ]; then
		fail=1
		failed_list+=("$s: reported no test results")
	fi
}

# The line printed when suite $1 is done.
suite_line() {
	local failed_list=()
	count_suite "$1"
	echo "=== $1: $pass passed, $fail failed ($(cat "$out/$1.secs")s)"
}

# One lane: its suites in turn; with $1 = quiet, each log is shown when
# its suite is done.
run_lane() {
	local mode=$1 s
	shift
	for s in "$@"; do
		if [ "$mode" = quiet ]; then
			run_suite "$s"
			{ echo "=== $s: $(suite_cmd "$s")"; cat "$out/$s.log"; suite_line "$s"; } |
				sed "s/^/[$s] /"
		else
			run_suite "$s" tee
			suite_line "$s"
		fi
	done
}

start=$(date +%s)
for s in $suites; do
	rm -f "$out/$s.rc" "$out/$s.secs"
done
if [ $lanes = 1 ]; then
	# shellcheck disable=SC2086 # the lanes are word lists
	run_lane quiet $lane2 &
	lane2_pid=$!
	# shellcheck disable=SC2086
	run_lane tee $lane1
	wait $lane2_pid
else
	# shellcheck disable=SC2086
	run_lane tee $suites
fi

tpass=0
tfail=0
failed_list=()
for s in $suites; do
	count_suite "$s"
	tpass=$((tpass + pass))
	tfail=$((tfail + fail))
done

echo
echo "=== check finished in $(( $(date +%s) - start ))s; logs in build/check/"
for f in "${failed_list[@]}"; do
	echo "FAILED: $f"
done
echo "$tpass passed, $tfail failed"
[ $tfail = 0 ]
