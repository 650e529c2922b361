# shellcheck shell=bash
# scripts/vm-lib/rootfs.sh: builds the per-run initramfs of scripts/vm
# (sourced by it, runs on the host).  Inputs are scripts/vm's variables:
# RUN R KROOT KVER MODDIR BLUEZ BLUEZ_TEST BLUEZ_GATT BLUEZ_BINS BLUEZ_TEST_BINS MODULES
# BUSYBOX BINS EXTRAS ENVS NCTRL BTVIRT_FLAGS TIMEOUT SCENARIO SCENARIO_ARGS
# COMMAND VMLIB STACK (--with-bluez-stack: stack.sh's tree).  Output: $RUN/initrd.img, and NONCE (the exit marker key).
#
# VM layout:
#   /init                     scripts/vm-lib/init.sh (PID 1)
#   /etc/bcms-vm-lib.sh       scripts/vm-lib/scenario-lib.sh (for scenarios)
#   /etc/bcms-btgatt-lib.sh   scripts/vm-lib/btgatt-lib.sh (btgatt-client sessions)
#   /etc/bcms-vm/conf         this run's settings (shell variables)
#   /etc/bcms-vm/env          the scenario's --env variables
#   /etc/bcms-vm/modules      kernel modules in load order
#   /etc/bcms-vm/run.sh       what to run (scenario call or command)
#   /scenario/<name>.sh       the scenario file
#   /opt/bcms/bin/            --bin programs;  /opt/extra/: --extra folders
#   /usr/bin/                 BlueZ tools, stdbuf;  /bin: busybox applets

# copy_elf_deps ROOT FILE: copies the shared libraries FILE needs (ldd on
# this host) into ROOT.  System libraries keep their path; others (e.g. a
# build tree's own .so) go to /usr/local/lib/bcms, which is on the VM's
# LD_LIBRARY_PATH.  A library ldd cannot find is a harness error.
copy_elf_deps() {
  local root=$1 f=$2 line lib dest
  is_elf "$f" || return 0
  while IFS= read -r line; do
    case "$line" in
      *"not found"*) die "$f needs ${line%% *}, which this host lacks (run scripts/setup)" ;;
    esac
    lib=$(grep -o '/[^ ]*' <<<"$line" | head -1 || true)
    [ -n "$lib" ] || continue
    case "$lib" in
      /lib/*|/lib64/*|/usr/lib/*|/usr/lib64/*) dest=$lib ;;
      *) dest=/usr/local/lib/bcms/$(basename "$lib") ;;
    esac
    [ -e "$root$dest" ] && continue
    mkdir -p "$root$(dirname "$dest")"
    cp -L "$lib" "$root$dest"
  done < <(ldd "$f" 2>/dev/null || true)
  # Libraries FILE dlopen()s, as its ELF dlopen metadata note declares them
  # (.note.dlopen, https://systemd.io/ELF_DLOPEN_METADATA/): bcms-daemon
  # loads libcurl only when a backend is configured.
  local soname path
  for soname in $(readelf -p .note.dlopen "$f" 2>/dev/null | grep -o '"soname":\[[^]]*\]' | grep -o 'lib[^"]*' || true); do
    # awk reads all of ldconfig's output: leaving early would end ldconfig
    # with SIGPIPE (its list is larger than a pipe's buffer), which
    # pipefail turns into a failure of the harness.
    path=$(ldconfig -p | awk -v n="$soname" '$1 == n && /x86-64/ && p == "" { p = $NF } END { print p }')
    [ -n "$path" ] || die "$f dlopen()s $soname, which this host lacks (run scripts/setup)"
    [ -e "$root$path" ] && continue
    mkdir -p "$root$(dirname "$path")"
    cp -L "$path" "$root$path"
    copy_elf_deps "$root" "$path"
  done
}

# add_module NAME: copies NAME.ko (decompressed: busybox insmod takes plain
# files) after its dependencies (modinfo -F depends), depth first, and
# appends it to MOD_ORDER.  Built-in modules are skipped.
declare -A MOD_SEEN=()
MOD_ORDER=()
add_module() {
  local n=${1//-/_} f dep
  [ -n "${MOD_SEEN[$n]:-}" ] && return 0
  MOD_SEEN[$n]=1
  f=$(find "$MODDIR/kernel" \( -name "$n.ko*" -o -name "${n//_/-}.ko*" \) | head -1)
  if [ -z "$f" ]; then
    grep -qE "/($n|${n//_/-})\.ko\$" "$MODDIR/modules.builtin" && return 0
    die "kernel module $n is neither in $MODDIR nor built in"
  fi
  for dep in $(modinfo -F depends "$f" | tr , ' '); do add_module "$dep"; done
  case "$f" in
    *.ko.xz)  xz -dc "$f" ;;
    *.ko.zst) zstd -qdc "$f" ;;
    *.ko.gz)  gzip -dc "$f" ;;
    *)        cat "$f" ;;
  esac > "$R/lib/modules/$KVER/$n.ko"
  MOD_ORDER+=("$n")
}

build_rootfs() {
  local b a f d e
  mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,etc/bcms-vm,proc,sys,dev,tmp,run,scenario,opt/bcms/bin,opt/extra,lib/modules/"$KVER"}

  cp "$BUSYBOX" "$R/bin/busybox"
  for a in $("$BUSYBOX" --list); do [ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"; done
  for b in "${BLUEZ_BINS[@]}"; do
    f=$(ls "$BLUEZ"/usr/bin/"$b" "$BLUEZ"/bin/"$b" 2>/dev/null | head -1 || true)
    [ -n "$f" ] || die "bluez has no $b"
    cp "$f" "$R/usr/bin/"
  done
  for b in "${BLUEZ_TEST_BINS[@]}"; do
    [ -f "$BLUEZ_TEST/usr/bin/$b" ] || die "bluez-test-tools has no $b"
    cp "$BLUEZ_TEST/usr/bin/$b" "$R/usr/bin/"
  done
  for b in "${GATT_TOOLS[@]}"; do   # built from source by cache.sh
    [ -x "$BLUEZ_GATT/$b" ] || die "$BLUEZ_GATT has no $b"
    cp "$BLUEZ_GATT/$b" "$R/usr/bin/"
  done
  # stdbuf -oL: BlueZ's tools printf to a block-buffered stdout when it is
  # a file; scenarios that watch a background tool's output need lines.
  cp "$(command -v stdbuf)" "$R/usr/bin/stdbuf"
  for f in /usr/libexec/coreutils/libstdbuf.so /usr/lib/*/coreutils/libstdbuf.so; do
    [ -f "$f" ] || continue
    mkdir -p "$R$(dirname "$f")"
    cp "$f" "$R$f"
  done
  for f in "$R"/usr/bin/*; do copy_elf_deps "$R" "$f"; done

  for m in "${MODULES[@]}"; do add_module "$m"; done
  printf '%s\n' "${MOD_ORDER[@]}" > "$R/etc/bcms-vm/modules"

  cp "$VMLIB/init.sh" "$R/init"
  chmod 755 "$R/init"
  cp "$VMLIB/scenario-lib.sh" "$R/etc/bcms-vm-lib.sh"
  cp "$VMLIB/btgatt-lib.sh" "$R/etc/bcms-btgatt-lib.sh"

  # Without debug sections: the initramfs is unpacked into the guest's
  # memory (a debugoptimized bcms-daemon is 130 MB with them, 10 without).
  for b in "${BINS[@]}"; do
    if is_elf "$b"; then
      objcopy --strip-debug "$b" "$R/opt/bcms/bin/$(basename "$b")" 2>/dev/null || cp -L "$b" "$R/opt/bcms/bin/"
    else
      cp -L "$b" "$R/opt/bcms/bin/"
    fi
    copy_elf_deps "$R" "$b"
  done
  for d in "${EXTRAS[@]}"; do cp -a "$d"/. "$R/opt/extra/"; done
  while IFS= read -r -d '' f; do copy_elf_deps "$R" "$f"; done < <(find "$R/opt/extra" -type f -print0)

  NONCE=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
  {
    echo "BCMS_VM_NONCE=$NONCE"
    echo "BCMS_VM_CONTROLLERS=$NCTRL"
    printf 'BCMS_VM_BTVIRT_FLAGS=%q\n' "$BTVIRT_FLAGS"
    # the scenario gets the VM to itself for at most this long, so that
    # the VM can still report a timeout before the host kills it
    echo "BCMS_VM_SCENARIO_TIMEOUT=$((TIMEOUT > 40 ? TIMEOUT - 20 : TIMEOUT / 2))"
  } > "$R/etc/bcms-vm/conf"
  for e in "${ENVS[@]}"; do printf 'export %s=%q\n' "${e%%=*}" "${e#*=}"; done > "$R/etc/bcms-vm/env"
  if [ -n "$SCENARIO" ]; then
    cp "$SCENARIO" "$R/scenario/$(basename "$SCENARIO")"
    printf 'sh %q' "/scenario/$(basename "$SCENARIO")" > "$R/etc/bcms-vm/run.sh"
    [ ${#SCENARIO_ARGS[@]} -eq 0 ] || printf ' %q' "${SCENARIO_ARGS[@]}" >> "$R/etc/bcms-vm/run.sh"
    echo >> "$R/etc/bcms-vm/run.sh"
  else
    printf '%s\n' "$COMMAND" > "$R/etc/bcms-vm/run.sh"
  fi

  if [ -n "${STACK:-}" ]; then install_bluez_stack "$R"; fi

  # newc archive owned by root, uncompressed: under TCG the kernel unpacks
  # it faster than it would decompress a gzip'd one.
  (cd "$R" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$RUN/initrd.img"
}
