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

# build_gatt_tools BLUEZ_DEB: prints a folder holding btgatt-client and
# btgatt-server built from the bluez source package of the same version as
# BLUEZ_DEB (Debian ships neither in a binary package).  Built once per
# version into x/bluez-gatt-tools_<version>/; the source package is kept
# in src/ so that a rebuild needs no network either.
#
# The source comes through a private apt state (deb-src lines of this
# release's suites in $CACHE/apt-src/, own lists and cache): the host's apt
# configuration is neither read for deb-src nor changed.  The build is
# BlueZ's own autotools build, with every optional part that needs more
# than GLib and D-Bus headers (configure insists on both) switched off, and
# only the two programs made (with the lib/bluetooth/*.h copies that
# `make` would otherwise build first as BUILT_SOURCES).  Both link only
# libc (src/shared and lib/ are static convenience libraries).
GATT_TOOLS=(btgatt-client btgatt-server)
build_gatt_tools() {
  local deb=$1 ver out b tmp codename apt_o srcdir h t0
  ver=$(dpkg-deb -f "$deb" Version) || return 1
  out=$CACHE/x/bluez-gatt-tools_$ver
  if [ -x "$out/btgatt-client" ] && [ -x "$out/btgatt-server" ]; then echo "$out"; return 0; fi
  for b in dpkg-source autoreconf automake libtoolize make gcc pkg-config; do
    command -v "$b" >/dev/null || { echo "[vm] building ${GATT_TOOLS[*]} needs $b; run scripts/setup" >&2; return 1; }
  done
  t0=$(date +%s)
  mkdir -p "$CACHE/src" "$CACHE/apt-src/lists/partial" "$CACHE/apt-src/cache/archives/partial"
  apt_o=(-o "Dir::Etc::SourceList=$CACHE/apt-src/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$CACHE/apt-src/lists" -o "Dir::Cache=$CACHE/apt-src/cache")
  if ! ls "$CACHE/src/bluez_${ver#*:}.dsc" >/dev/null 2>&1; then
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    codename=${codename:-bookworm}
    {
      for s in "$codename" "$codename-updates"; do
        echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $s main"
      done
      echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security $codename-security main"
    } > "$CACHE/apt-src/sources.list"
    tmp=$(mktemp -d "$CACHE/dl.XXXXXX") || return 1
    chmod 755 "$tmp"
    echo "[vm] downloading the bluez $ver source package (for ${GATT_TOOLS[*]})" >&2
    if ! { apt-get "${apt_o[@]}" update -qq && (cd "$tmp" && apt-get "${apt_o[@]}" source --download-only -qq "bluez=$ver"); } >"$tmp/apt.log" 2>&1; then
      echo "[vm] apt-get source bluez=$ver failed:" >&2
      sed 's/^/[vm]   /' "$tmp/apt.log" >&2
      rm -rf "$tmp"
      return 1
    fi
    rm -f "$tmp/apt.log"
    # the .dsc last: its presence says the set is complete
    for b in "$tmp"/*; do case "$b" in *.dsc) ;; *) mv "$b" "$CACHE/src/" ;; esac; done
    mv "$tmp"/*.dsc "$CACHE/src/"
    rm -rf "$tmp"
  fi
  echo "[vm] building ${GATT_TOOLS[*]} from bluez $ver (once; cached in $out)" >&2
  tmp=$(mktemp -d "$CACHE/build.XXXXXX") || return 1
  srcdir=$tmp/bluez
  h=()
  for b in bluetooth hci hci_lib sco l2cap sdp sdp_lib rfcomm bnep cmtp hidp; do h+=("lib/bluetooth/$b.h"); done
  if ! (
    dpkg-source -x "$CACHE/src/bluez_${ver#*:}.dsc" "$srcdir" &&
    cd "$srcdir" && autoreconf -fi &&
    ./configure --disable-dependency-tracking --disable-shared --enable-static \
      --disable-systemd --disable-cups --disable-obex --disable-udev --disable-client --disable-manpages \
      --disable-monitor --disable-network --disable-hid --disable-hog --disable-a2dp --disable-avrcp \
      --disable-bap --disable-mcp --disable-vcp --disable-datafiles &&
    make -j"$(nproc)" "${h[@]}" "${GATT_TOOLS[@]/#/tools/}"
  ) >"$tmp/build.log" 2>&1; then
    echo "[vm] building ${GATT_TOOLS[*]} failed (the build-dependencies come from scripts/setup); last lines of the log:" >&2
    tail -n 25 "$tmp/build.log" | sed 's/^/[vm]   /' >&2
    rm -rf "$tmp"
    return 1
  fi
  mkdir -p "$tmp/out"
  for b in "${GATT_TOOLS[@]}"; do cp "$srcdir/tools/$b" "$tmp/out/"; done
  rm -rf "$out"
  mv "$tmp/out" "$out"
  rm -rf "$tmp"
  echo "[vm] built ${GATT_TOOLS[*]} in $(($(date +%s) - t0)) s" >&2
  echo "$out"
}
