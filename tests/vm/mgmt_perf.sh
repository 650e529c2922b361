# Scenario (scripts/vm --bin bcms-mgmt, 2 LE controllers): whole-process
# time of `bcms-mgmt info` against BlueZ's `btmgmt info` (both read the
# index list and each controller's information), RUNS runs each
# (BCMS_PERF_RUNS, default 50), in alternating blocks of 10 so that a
# slow patch of the shared host hits both alike.  Time is read from
# /proc/uptime around each block (10 ms resolution, so blocks, not runs).
#
# Prints "perf: bcms-mgmt info X ms/run, btmgmt info Y ms/run, ratio R".
# Passes when every run succeeded and printed the same as btmgmt (so the
# two did the same work); the ratio is reported, and only a ratio above
# BCMS_PERF_MAX_RATIO (default 10) fails, as a gross regression.
# Under TCG the figures mostly measure process start-up: every code page a
# process runs for the first time is translated, and a C++ program with
# CLI11, asio and the generated codec touches more code than btmgmt.
. /etc/bcms-vm-lib.sh

RUNS=${BCMS_PERF_RUNS:-50}
MAX_RATIO=${BCMS_PERF_MAX_RATIO:-10}
BLOCK=10

step "the two agree (same work)"
t 10 bcms-mgmt info | sed 's/[[:space:]]*$//' > /tmp/o.txt
t 10 btmgmt info | sed 's/[[:space:]]*$//' > /tmp/b.txt
if diff /tmp/b.txt /tmp/o.txt; then pass "bcms-mgmt info = btmgmt info"; else fail "bcms-mgmt info differs from btmgmt info"; fi

# block PROGRAM...: runs PROGRAM info BLOCK times, prints the elapsed
# centiseconds; a failed run is reported.
block() {
  _b_a=$(cut -d' ' -f1 /proc/uptime)
  _b_i=0
  while [ $_b_i -lt $BLOCK ]; do
    "$@" info > /dev/null 2>&1 || echo "FAILED" >> /tmp/perf-failed.txt
    _b_i=$((_b_i + 1))
  done
  _b_b=$(cut -d' ' -f1 /proc/uptime)
  awk -v a="$_b_a" -v b="$_b_b" 'BEGIN { printf "%d", (b - a) * 100 + 0.5 }'
}

step "$RUNS runs each, alternating blocks of $BLOCK"
: > /tmp/perf-failed.txt
ours=0 theirs=0 n=0
while [ $n -lt "$RUNS" ]; do
  ours=$((ours + $(block bcms-mgmt)))
  theirs=$((theirs + $(block btmgmt)))
  n=$((n + BLOCK))
done
expect_eq "runs that failed" 0 "$(grep -c FAILED /tmp/perf-failed.txt)"
# the shell loop's own cost (fork + exec of a static busybox applet)
base_a=$(cut -d' ' -f1 /proc/uptime)
i=0
while [ $i -lt "$RUNS" ]; do /bin/true info; i=$((i + 1)); done
base_b=$(cut -d' ' -f1 /proc/uptime)
awk -v o="$ours" -v t="$theirs" -v n="$n" -v a="$base_a" -v b="$base_b" -v r="$RUNS" 'BEGIN {
  printf "perf: bcms-mgmt info %.1f ms/run, btmgmt info %.1f ms/run, ratio %.2f (%d runs each; loop + exec of /bin/true: %.1f ms/run)\n",
         o * 10 / n, t * 10 / n, (t > 0 ? o / t : 0), n, (b - a) * 1000 / r }' | tee /tmp/perf.txt
ratio=$(sed -n 's/.*ratio \([0-9.]*\).*/\1/p' /tmp/perf.txt)
if awk -v r="$ratio" -v m="$MAX_RATIO" 'BEGIN { exit !(r > 0 && r <= m) }'; then
  pass "ratio $ratio <= $MAX_RATIO"
else
  fail "ratio $ratio (limit $MAX_RATIO)"
fi
finish
