# shellcheck shell=bash
# scripts/vm-lib/stack.sh: the optional BlueZ + D-Bus + Python stack of
# scripts/vm (--with-bluez-stack; sourced by it, runs on the host).  What
# people run today next to bcms, for the side-by-side benchmarks
# (scripts/bench-vm, issue 11): bluetoothd, dbus-daemon with the system bus
# configuration, Python 3 with Debian's python3-bleak, python3-dbus and
# python3-gi.  Normal runs do not call anything here and stay small.
#
# Cache ($CACHE/stack/, filled under scripts/vm's cache lock, entries
# appear by rename):
#   debs/*.deb     the dependency closure of STACK_PKGS, as apt resolves it
#                  for an empty system (apt-get install --download-only with
#                  an empty dpkg status), so nothing of the host's installed
#                  set is assumed
#   root-<key>/    every .deb of the closure but STACK_SKIP unpacked with
#                  dpkg-deb -x, documentation and locales dropped, Python
#                  modules byte-compiled (unchecked-hash .pyc: an installed
#                  system has them, and imports would otherwise compile on
#                  each run); <key> hashes the .deb list
# Reruns need no network.  In the VM the tree is copied under the base
# rootfs without replacing anything (the host's libraries that the project
# binaries were linked against stay), plus /etc/passwd, /etc/group,
# /etc/machine-id, /etc/bluetooth/main.conf (EATT off: GATT Channels = 1,
# the baseline's setting) and /etc/bcms-stack-lib.sh (stack-vm.sh: start
# and stop dbus-daemon and bluetoothd).

STACK_PKGS=(bluez dbus python3 python3-bleak python3-dbus python3-gi)
# Packages of the closure that only maintainer scripts or other programs
# need (package management, perl, udev rules, PAM, users): not unpacked.
STACK_SKIP='^(dpkg|tar|perl|perl-base|perl-modules-.*|libperl.*|lib.*-perl|usrmerge|init-system-helpers|sysvinit-utils|debconf|adduser|passwd|libpam.*|libsemanage.*|libsepol.*|libdb5\.3|libgdbm.*|udev|kmod|lsb-base|libjs-.*|readline-common|media-types|libtirpc-common|libasound2-data)$'

# fetch_bluez_stack: prints the folder holding the unpacked stack.
fetch_bluez_stack() {
  local d=$CACHE/stack tmp key root deb pkg n=0
  mkdir -p "$d"
  if [ ! -s "$d/debs.list" ]; then
    tmp=$(mktemp -d "$CACHE/dl.XXXXXX") || return 1
    chmod 755 "$tmp"
    mkdir -p "$tmp/debs/partial"
    : > "$tmp/status"
    echo "[vm] downloading the BlueZ stack's dependency closure (${STACK_PKGS[*]})" >&2
    local apt_o=(-o "Dir::State::status=$tmp/status" -o "Dir::Cache::archives=$tmp/debs"
      -o Debug::NoLocking=1 -o APT::Install-Recommends=false -o APT::Sandbox::User=root)
    if ! apt-get "${apt_o[@]}" -qq -y --download-only install "${STACK_PKGS[@]}" >"$tmp/apt.log" 2>&1; then
      apt_update
      if ! apt-get "${apt_o[@]}" -qq -y --download-only install "${STACK_PKGS[@]}" >"$tmp/apt.log" 2>&1; then
        echo "[vm] apt-get --download-only ${STACK_PKGS[*]} failed:" >&2
        sed 's/^/[vm]   /' "$tmp/apt.log" >&2
        rm -rf "$tmp"
        return 1
      fi
    fi
    rm -rf "$d/debs"
    mkdir -p "$d/debs"
    mv "$tmp"/debs/*.deb "$d/debs/"
    (cd "$d/debs" && ls -1 ./*.deb | sed 's|^\./||' | LC_ALL=C sort) > "$tmp/debs.list"
    mv "$tmp/debs.list" "$d/debs.list"   # last: says the set is complete
    rm -rf "$tmp"
  fi
  key=$(md5sum < "$d/debs.list" | cut -c1-12)
  root=$d/root-$key
  if [ ! -d "$root" ]; then
    echo "[vm] unpacking the BlueZ stack ($(wc -l < "$d/debs.list") packages) into $root" >&2
    tmp=$root.tmp.$$
    rm -rf "$tmp"
    mkdir -p "$tmp"
    while IFS= read -r deb; do
      pkg=${deb%%_*}
      if [[ $pkg =~ $STACK_SKIP ]]; then continue; fi
      dpkg-deb -x "$d/debs/$deb" "$tmp" || { rm -rf "$tmp"; return 1; }
      n=$((n + 1))
    done < "$d/debs.list"
    rm -rf "$tmp"/usr/share/{doc,man,info,locale,lintian,bug,bash-completion,zsh}
    # byte-compile as dpkg's postinst (py3compile) would have; the host's
    # python3 must be the same minor version as the stack's
    local pyver host_pyver
    pyver=$(ls -d "$tmp"/usr/lib/python3.[0-9]* 2>/dev/null | head -1 | sed 's|.*/python||')
    host_pyver=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)
    if [ -n "$pyver" ] && [ "$pyver" = "$host_pyver" ]; then
      python3 -m compileall -q -j0 --invalidation-mode unchecked-hash \
        -s "$tmp" -p / "$tmp/usr/lib/python$pyver" "$tmp/usr/lib/python3" >/dev/null 2>&1 ||
        echo "[vm] note: byte-compiling the stack's Python modules failed (imports will compile in the VM)" >&2
    else
      echo "[vm] note: host python3 is ${host_pyver:-missing}, the stack's is $pyver: no .pyc (slower imports)" >&2
    fi
    mv "$tmp" "$root"
    echo "[vm] BlueZ stack: $n packages, $(du -sh "$root" | cut -f1)" >&2
  fi
  echo "$root"
}

# install_bluez_stack ROOT: the stack under the VM root ROOT (files already
# there win), and its configuration.
install_bluez_stack() {
  local r=$1
  cp -a -n "$STACK"/. "$r"/
  mkdir -p "$r"/etc/bluetooth "$r"/var/lib/bluetooth "$r"/var/lib/dbus "$r"/run/dbus
  chmod 700 "$r"/var/lib/bluetooth
  [ -e "$r/var/run" ] || ln -s /run "$r/var/run"   # D-Bus clients use /var/run/dbus/system_bus_socket
  cat > "$r/etc/passwd" <<'EOF'
root:x:0:0:root:/tmp:/bin/sh
messagebus:x:100:101::/nonexistent:/bin/false
EOF
  cat > "$r/etc/group" <<'EOF'
root:x:0:
messagebus:x:101:
bluetooth:x:102:
EOF
  od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$r/etc/machine-id"
  echo >> "$r/etc/machine-id"
  # BlueZ 5.66's defaults except: EATT off (Channels = 1).  With EATT on,
  # bleak against btvirt fails (issue 11's baseline); the benchmark
  # scenario can switch it back on for its reliability note.
  cat > "$r/etc/bluetooth/main.conf" <<'EOF'
[General]
[GATT]
Channels = 1
[Policy]
AutoEnable = true
EOF
  cp "$VMLIB/stack-vm.sh" "$r/etc/bcms-stack-lib.sh"
}
