# shellcheck shell=bash
# scripts/vm-lib/cache.sh: the download cache of scripts/vm (sourced by it,
# runs on the host).  The caller holds the cache lock (flock on
# $CACHE/.lock) around every function here, and every entry appears by
# rename(2), so a concurrent run sees a cache entry whole or not at all.
#
# Layout of $CACHE:
#   kernel-pkg        the kernel package name resolved from $KERNEL_META
#   debs/*.deb        what `apt-get download` fetched
#   x/<deb name>/     `dpkg -x` of each .deb (+ vmlinux for the kernel)
#   logs/             default place for serial logs (pruned after 7 days)

APT_UPDATED=0
apt_update() {   # refresh the package lists once per run, when allowed
  [ "$APT_UPDATED" = 1 ] && return 0
  APT_UPDATED=1
  if [ "$(id -u)" = 0 ]; then
    echo "[vm] apt-get update" >&2
    apt-get update -qq >/dev/null 2>&1 || echo "[vm] apt-get update failed (offline?)" >&2
  fi
}

# Prints the concrete kernel package that $KERNEL_META depends on.  Resolved
# once and remembered, so later runs are offline and keep the same kernel.
resolve_kernel_pkg() {
  local f=$CACHE/kernel-pkg p
  if [ -s "$f" ]; then cat "$f"; return 0; fi
  p=$(apt-cache depends "$KERNEL_META" 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }')
  if [ -z "$p" ]; then
    apt_update
    p=$(apt-cache depends "$KERNEL_META" 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }')
  fi
  [ -n "$p" ] || { echo "[vm] apt-cache knows no $KERNEL_META" >&2; return 1; }
  echo "$p" > "$f.tmp.$$" && mv "$f.tmp.$$" "$f"
  echo "$p"
}

# fetch_and_unpack PKG: prints the folder holding PKG's unpacked .deb,
# downloading it first unless a .deb of PKG is already cached.
fetch_and_unpack() {
  local pkg=$1 deb tmp x
  deb=$(ls "$CACHE/debs/${pkg}_"*.deb 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$deb" ]; then
    tmp=$(mktemp -d "$CACHE/dl.XXXXXX") || return 1
    chmod 755 "$tmp"   # apt drops to the _apt user for downloads when it can
    echo "[vm] downloading $pkg" >&2
    if ! (cd "$tmp" && apt-get download -qq "$pkg") >"$tmp/apt.log" 2>&1; then
      apt_update
      if ! (cd "$tmp" && apt-get download -qq "$pkg") >"$tmp/apt.log" 2>&1; then
        echo "[vm] apt-get download $pkg failed:" >&2
        sed 's/^/[vm]   /' "$tmp/apt.log" >&2
        rm -rf "$tmp"
        return 1
      fi
    fi
    deb=$(ls "$tmp"/*.deb | head -1)
    mv "$deb" "$CACHE/debs/" && deb=$CACHE/debs/$(basename "$deb")
    rm -rf "$tmp"
  fi
  x=$CACHE/x/$(basename "$deb" .deb)
  if [ ! -d "$x" ]; then
    rm -rf "$x.tmp.$$"
    mkdir -p "$x.tmp.$$"
    dpkg -x "$deb" "$x.tmp.$$" || { rm -rf "$x.tmp.$$"; return 1; }
    mv "$x.tmp.$$" "$x"
  fi
  echo "$x"
}

is_elf() { [ "$(head -c4 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; }

# extract_vmlinux BZIMAGE OUT: the ELF kernel inside a bzImage is one
# compressed stream (zstd for Debian's 6.12, xz for 6.1) somewhere after
# the setup code: try each magic number's offsets until one unpacks to ELF.
extract_vmlinux() {
  local z=$1 out=$2 fmt magic cmd off
  for fmt in zstd xz; do
    case $fmt in
      zstd) magic='\x28\xb5\x2f\xfd'; cmd="zstd -dcq" ;;
      xz)   magic='\xfd7zXZ\x00';     cmd="xz -dcq --single-stream" ;;
    esac
    for off in $(LC_ALL=C grep -obUaP "$magic" "$z" | cut -d: -f1); do
      tail -c +$((off + 1)) "$z" | $cmd > "$out.tmp.$$" 2>/dev/null || true
      if is_elf "$out.tmp.$$"; then mv "$out.tmp.$$" "$out"; return 0; fi
    done
  done
  rm -f "$out.tmp.$$"
  return 1
}
