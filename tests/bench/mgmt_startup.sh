#!/usr/bin/env bash
# tests/bench/mgmt_startup.sh BCMS_MGMT [RUNS]: native start-up cost of
# `bcms-mgmt info` against BlueZ's `btmgmt info` (run by `scripts/bench
# --startup`; the VM counterpart is tests/vm/mgmt_perf.sh).
#
# Both programs load, initialise, parse `info` and open the management
# socket; everything after socket() is the same kernel work.  On a host
# without Bluetooth socket() fails (EAFNOSUPPORT) and both exit there, so
# the whole process *is* the start-up.  Reported, never asserted:
#   - the binaries: file size, .text, shared libraries, dynamic relocations;
#   - the dynamic loader (LD_DEBUG=statistics): relocations, time;
#   - instructions to the socket() call (valgrind callgrind
#     --dump-before=socket; repeatable to a few hundred instructions),
#     and for the whole process;
#   - wall time of the whole process, alternating runs (python3), median
#     and 10th-90th percentile, and the ratio.
# btmgmt comes from Debian's `bluez` package; without it only bcms-mgmt's
# figures are printed.  valgrind is optional likewise.
set -euo pipefail

OURS=$(realpath "${1:?usage: $0 BCMS_MGMT [RUNS]}")
RUNS=${2:-200}
THEIRS=$(command -v btmgmt || true)
PROGS=("$OURS")
[ -n "$THEIRS" ] && PROGS+=("$THEIRS") || echo "(btmgmt not found: install Debian's bluez for the comparison)"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "== binaries"
for p in "${PROGS[@]}"; do
  text=$(size -A "$p" | awk '$1 == ".text" { print $2 }')
  relocs=$(readelf -r "$p" | grep -c '^[0-9a-f]\{12\}' || true)
  libs=$(readelf -d "$p" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')
  printf '%-10s file %7d KiB  .text %6d KiB  dynamic relocations %5d  needs: %s\n' \
    "$(basename "$p")" $(($(stat -c %s "$p") / 1024)) $((text / 1024)) "$relocs" "$libs"
done

echo "== dynamic loader (LD_DEBUG=statistics, one run)"
for p in "${PROGS[@]}"; do
  LD_DEBUG=statistics "$p" info > /dev/null 2> "$TMP/ld.txt" || true
  awk -v n="$(basename "$p")" '
    /total startup time in dynamic loader/ { t = $(NF - 1) }
    /number of relocations:/ { r = $NF }
    /number of relocations from cache/ { c = $NF }
    /number of relative relocations/ { rr = $NF }
    END { printf "%-10s %s cycles in ld.so, %s relocations (%s from cache), %s relative\n", n, t, r, c, rr }' "$TMP/ld.txt"
done

if command -v valgrind > /dev/null; then
  echo "== instructions (valgrind callgrind; to socket() / whole process)"
  declare -A to_socket
  for p in "${PROGS[@]}"; do
    n=$(basename "$p")
    valgrind --tool=callgrind --dump-before=socket --callgrind-out-file="$TMP/cg.$n" "$p" info > /dev/null 2>&1 || true
    to_socket[$n]=$(sed -n 's/^summary: //p' "$TMP/cg.$n.1" 2> /dev/null || echo 0)
    total=$(cat "$TMP"/cg."$n"* | awk '/^summary:/ { s += $2 } END { print s }')
    printf '%-10s %10d to socket()  %10d whole process\n' "$n" "${to_socket[$n]}" "$total"
  done
  if [ -n "$THEIRS" ]; then
    awk -v o="${to_socket[$(basename "$OURS")]}" -v t="${to_socket[btmgmt]}" \
      'BEGIN { if (t > 0) printf "ratio bcms-mgmt/btmgmt, instructions to socket(): %.2f\n", o / t }'
  fi
fi

echo "== wall time, whole process, $RUNS alternating runs each"
python3 - "$RUNS" "${PROGS[@]}" << 'EOF'
import subprocess, sys, time
runs, progs = int(sys.argv[1]), sys.argv[2:] + ["/bin/true"]
times = {p: [] for p in progs}
for i in range(runs + 10):
    for p in progs:
        t0 = time.perf_counter_ns()
        subprocess.run([p, "info"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i >= 10:  # warm-up
            times[p].append((time.perf_counter_ns() - t0) / 1e6)
def pct(v, q):
    v = sorted(v)
    return v[round((len(v) - 1) * q)]
for p in progs:
    v = times[p]
    print(f"{p.split('/')[-1]:10} median {pct(v, .5):6.3f} ms  [p10 {pct(v, .1):6.3f} - p90 {pct(v, .9):6.3f}]")
if len(progs) == 3:
    o, t = times[progs[0]], times[progs[1]]
    r = [a / b for a, b in zip(o, t)]
    print(f"ratio bcms-mgmt/btmgmt: median of medians {pct(o, .5) / pct(t, .5):.2f}, "
          f"per-pair median {pct(r, .5):.2f} [p10 {pct(r, .1):.2f} - p90 {pct(r, .9):.2f}]"
          " (the spawn itself, see /bin/true, is in both)")
EOF
