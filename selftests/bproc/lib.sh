# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared by the in-VM runners (run_module_tests.sh, run_cluster_tests.sh):
# TAP helpers (scripts/tap.sh), and
#
#   run_ksft NAME     run build/selftests/NAME, its TAP lines tagged with
#                     NAME, and record "NAME exits 0" (catches a crash)
#   kernel_log_clean  no warning, BUG, oops or kmemleak report in dmesg
#   has_kmemleak      the kernel has kmemleak (make check-debug's kernel)
#   kmemleak_clean    two scans find no unreferenced object (prints them)

top=${BPROC_TOP:?BPROC_TOP must name the bproc tree}
# shellcheck source=../../scripts/tap.sh
. "$top/scripts/tap.sh"

run_ksft() {
	local name=$1 bin=$top/build/selftests/$1
	echo "# ---- $name"
	if ! [ -x "$bin" ]; then
		ok 1 "$name is built ($bin)"
		return 1
	fi
	# Each test's time on a comment line after its result (where the
	# suite's minutes go: docs/harness.md).
	"$bin" 2>&1 | sed -E -u "s/^((not )?ok [0-9]+ )/\\1$name: /" | {
		local line t0 t
		t0=$(date +%s.%N)
		while IFS= read -r line; do
			printf '%s\n' "$line"
			case $line in
			"ok "*|"not ok "*)
				t=$(date +%s.%N)
				printf '# time: %.1f s\n' "$(echo "$t - $t0" | bc -l)"
				t0=$t ;;
			esac
		done
	}
	ok "${PIPESTATUS[0]}" "$name exits 0"
}

# Reaped ghosts drop their module reference when their task is freed,
# an RCU grace period after the wait: allow a moment, not a leak.
rmmod_settled() {
	local i
	for i in 1 2 3 4 5 6 7 8 9; do
		rmmod bproc 2>/dev/null && return 0
		sleep 0.5
	done
	rmmod bproc
}

kernel_log_clean() {
	! dmesg | grep -E 'WARNING:|BUG:|Oops|kmemleak:.*new suspected'
}

kmemleak=/sys/kernel/debug/kmemleak

has_kmemleak() {
	mountpoint -q /sys/kernel/debug ||
		mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	[ -e $kmemleak ]
}

# Objects must be unreferenced in two scans in a row to be reported.
kmemleak_clean() {
	echo scan > $kmemleak && sleep 1 && echo scan > $kmemleak || return 1
	if grep -q . $kmemleak; then
		head -60 $kmemleak
		return 1
	fi
}
