#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the bproc kernel: Debian's linux-source-6.12, patches/series applied
# with quilt, configured from kernel/*.config fragments over tinyconfig,
# built with O= under the cache directory.
#
#   scripts/kernel.sh [normal|debug]   -> prints the build directory last
#
# Cache layout ($BPROC_CACHE, default /var/cache/bproc):
#   linux-<debver>/        extracted source with the series applied (quilt)
#   kbuild-<flavour>/      O= build directory; .bproc-key records the
#                          (source version, patches, config) it was built
#                          from, so an unchanged kernel is not rebuilt.
set -euo pipefail

flavour=${1:-normal}
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${BPROC_CACHE:-/var/cache/bproc}
tarball=/usr/src/linux-source-6.12.tar.xz
pin=$(cat "$top/kernel/VERSION")
jobs=${BPROC_JOBS:-$(nproc)}

say() { echo "kernel: $*" >&2; }
die() { echo "kernel: error: $*" >&2; exit 1; }

case $flavour in
normal) frags="base harness" ;;
debug) frags="base harness debug" ;;
*) die "unknown flavour '$flavour' (normal|debug)" ;;
esac

[ -r "$tarball" ] || die "$tarball missing: install linux-source-6.12 (scripts/deps.sh)"
ver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) ||
	die "cannot read the version of linux-source-6.12"
if [ "$ver" != "$pin" ]; then
	say "WARNING: linux-source-6.12 is $ver; bproc is tested on $pin (kernel/VERSION)"
fi

mkdir -p "$cache"
exec 9>"$cache/kernel.lock"
flock 9

# --- source tree with the series applied --------------------------------
tree=$cache/linux-$ver
series_files() {
	echo "$top/patches/series"
	grep -v '^[[:space:]]*\(#\|$\)' "$top/patches/series" | awk '{print $1}' |
		sed "s|^|$top/patches/|"
}
for f in $(series_files); do
	[ -r "$f" ] || die "patches/series names $(basename "$f"), which does not exist"
done
pkey=$(cat $(series_files) | sha256sum | cut -c1-16)

if [ ! -f "$tree/.bproc-patches" ] || [ "$(cat "$tree/.bproc-patches")" != "$pkey" ]; then
	stamps=$cache/series-stamps
	rm -f "$stamps"
	if [ -d "$tree/.pc" ]; then
		say "patch series changed: popping the old series"
		# Content and mtime of every file the old series patched: a
		# file the new series leaves the same gets its mtime back, so
		# only what really changed is rebuilt.
		(cd "$tree" && for p in $(quilt applied 2>/dev/null); do
			quilt files "$p" 2>/dev/null; done | sort -u |
			while read -r f; do
				[ -f "$f" ] && echo "$(sha256sum < "$f" | cut -c1-64) $(stat -c %Y "$f") $f"
			done) > "$stamps" 2>/dev/null || rm -f "$stamps"
		if ! (cd "$tree" && quilt pop -a -f -q >/dev/null); then
			say "quilt pop failed: extracting the source again"
			rm -rf "$tree"
		fi
	fi
	if [ ! -f "$tree/Makefile" ]; then
		say "extracting $tarball ($ver)"
		rm -rf "$tree" "$tree.tmp"
		mkdir -p "$tree.tmp"
		tar -xJf "$tarball" -C "$tree.tmp" --strip-components=1
		mv "$tree.tmp" "$tree"
	fi
	rm -f "$tree/.bproc-patches"
	rm -rf "$tree/patches"
	mkdir "$tree/patches"
	cp "$top/patches/series" "$top"/patches/*.patch "$tree/patches/"
	if grep -qv '^[[:space:]]*\(#\|$\)' "$tree/patches/series"; then
		say "applying patches/series (quilt push -a --fuzz=0)"
		if ! out=$(cd "$tree" && QUILT_PATCHES=patches quilt push -a --fuzz=0 2>&1); then
			echo "$out" >&2
			top_patch=$(cd "$tree" && quilt top 2>/dev/null || true)
			die "a patch of patches/series does not apply (applied so far: ${top_patch:-none}); see the hunk above"
		fi
	fi
	if [ -f "$stamps" ]; then
		kept=0
		while read -r sum mtime f; do
			[ -f "$tree/$f" ] || continue
			if [ "$(sha256sum < "$tree/$f" | cut -c1-64)" = "$sum" ]; then
				touch -m -d "@$mtime" "$tree/$f" && kept=$((kept + 1))
			fi
		done < "$stamps"
		say "kept the mtimes of $kept unchanged patched files"
		rm -f "$stamps"
	fi
	echo "$pkey" > "$tree/.bproc-patches"
fi

# --- configuration ---------------------------------------------------------
out=$cache/kbuild-$flavour
mkdir -p "$out"
cfgs=""
for f in $frags; do cfgs="$cfgs $top/kernel/$f.config"; done
cfgs="$cfgs $top/selftests/bproc/config"
key=$( (echo "$ver"; echo "$pkey"; cat $cfgs) | sha256sum | cut -c1-16)

if [ -f "$out/.bproc-key" ] && [ "$(cat "$out/.bproc-key")" = "$key" ] &&
   [ -f "$out/arch/x86/boot/bzImage" ] && [ -f "$out/Module.symvers" ]; then
	say "up to date ($flavour, key $key): $out"
	echo "$out"
	exit 0
fi
rm -f "$out/.bproc-key"

say "configuring ($flavour): tinyconfig +$(for f in $frags; do printf ' %s' "$f"; done) + selftests/bproc/config"
make -s -C "$tree" O="$out" tinyconfig >/dev/null
# shellcheck disable=SC2086
(cd "$out" && "$tree/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" $cfgs >/dev/null)
make -s -C "$tree" O="$out" olddefconfig >/dev/null

bad=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=n) want="# ${line%=n} is not set"; sym=${line%=n} ;;
	CONFIG_*=*) want=$line; sym=${line%%=*} ;;
	"# CONFIG_"*" is not set") want=$line; sym=${line#\# }; sym=${sym%% *} ;;
	*) continue ;;
	esac
	if ! grep -qxF "$want" "$out/.config"; then
		if [ "$want" = "# $sym is not set" ] && ! grep -q "^$sym=" "$out/.config"; then
			continue
		fi
		got=$(grep -E "^$sym=|^# $sym is not set" "$out/.config" || echo "absent")
		say "config: wanted '$want', got '$got'"
		bad=1
	fi
done < <(cat $cfgs)
[ $bad = 0 ] || die "configuration fragments do not hold (dependencies missing?)"

# --- build -----------------------------------------------------------------
say "building bzImage and modules ($flavour, -j$jobs) in $out"
start=$(date +%s)
if ! make -s -C "$tree" O="$out" -j"$jobs" bzImage modules > "$out/build.log" 2>&1; then
	tail -40 "$out/build.log" >&2
	die "kernel build failed; full log: $out/build.log"
fi
echo "$key" > "$out/.bproc-key"
say "built in $(( $(date +%s) - start ))s: $out/arch/x86/boot/bzImage"
echo "$out"
