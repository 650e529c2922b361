# Scenario (scripts/vm --bin bcms-mgmt, 2 LE controllers): whole-process
# time of `bcms-mgmt info` against BlueZ's `btmgmt info` (both read the
# index list and each controller's information).
#
# Runs alternate (ours, theirs, ours, ...; BCMS_PERF_RUNS each, default 40,
# after 3 warm-up runs each) so that a slow patch of the shared host hits
# both alike.  Each run is timed by busybox `adjtimex` (microseconds)
# before and after; the same bracket around /bin/true (the loop, the
# timer and a fork + exec of a static busybox) is measured as well and
# subtracted.
#
# Prints
#   perf: bcms-mgmt info MEDIAN ms [P10-P90], btmgmt info MEDIAN ms [P10-P90]
#   perf: ratio bcms-mgmt/btmgmt: median of medians R, per-pair ratio median Q [P10-P90]
# Passes when every run succeeded and printed the same as btmgmt (so the
# two did the same work).  Timing is reported, never asserted: the VM
# runs under TCG on a shared host.
# Under TCG the figures mostly measure process start-up: every code page a
# process runs for the first time is translated, so the cost follows the
# amount of distinct code run (dynamic loader, relocations, static
# initialisers, argument parsing) more than the work done.
. /etc/bcms-vm-lib.sh

RUNS=${BCMS_PERF_RUNS:-40}
WARMUP=3

step "the two agree (same work)"
t 10 bcms-mgmt info | sed 's/[[:space:]]*$//' > /tmp/o.txt
t 10 btmgmt info | sed 's/[[:space:]]*$//' > /tmp/b.txt
if diff /tmp/b.txt /tmp/o.txt; then pass "bcms-mgmt info = btmgmt info"; else fail "bcms-mgmt info differs from btmgmt info"; fi

# now_us: the wall clock in microseconds (busybox adjtimex, read-only).
now_us() { adjtimex | awk '/tv_sec/ { s = $2 } /tv_usec/ { u = $2 } END { printf "%d%06d\n", s, u }'; }

# timed LABEL PROGRAM...: runs PROGRAM info once, appends "LABEL MICROSECONDS"
# to /tmp/perf-runs.txt; a failed run is recorded in /tmp/perf-failed.txt.
timed() {
  _l=$1
  shift
  _a=$(now_us)
  "$@" info > /dev/null 2>&1 || echo "$_l" >> /tmp/perf-failed.txt
  _b=$(now_us)
  echo "$_l $((_b - _a))" >> /tmp/perf-runs.txt
}

step "$WARMUP warm-up runs, then $RUNS alternating runs each"
: > /tmp/perf-failed.txt
: > /tmp/perf-runs.txt
i=0
while [ $i -lt $WARMUP ]; do
  bcms-mgmt info > /dev/null 2>&1
  btmgmt info > /dev/null 2>&1
  i=$((i + 1))
done
i=0
while [ $i -lt "$RUNS" ]; do
  timed ours bcms-mgmt
  timed theirs btmgmt
  timed base /bin/true
  i=$((i + 1))
done
expect_eq "runs that failed" 0 "$(grep -c . /tmp/perf-failed.txt)"

# Medians and 10th/90th percentiles of each label's runs (baseline
# subtracted), and of the per-pair ratios ours[i]/theirs[i].
awk '
  function sort(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
  function pct(a, n, p) { return a[int((n - 1) * p + 1.5)] }
  { v[$1, ++n[$1]] = $2 }
  END {
    for (i = 1; i <= n["base"]; i++) b[i] = v["base", i]
    sort(b, n["base"]); base = pct(b, n["base"], 0.5)
    m = n["ours"] < n["theirs"] ? n["ours"] : n["theirs"]
    for (i = 1; i <= m; i++) {
      o[i] = (v["ours", i] - base) / 1000; t[i] = (v["theirs", i] - base) / 1000
      r[i] = t[i] > 0 ? o[i] / t[i] : 0
    }
    sort(o, m); sort(t, m); sort(r, m)
    printf "perf: bcms-mgmt info %.1f ms [%.1f-%.1f], btmgmt info %.1f ms [%.1f-%.1f] (median [p10-p90] of %d alternating runs each, timer + exec of /bin/true %.1f ms subtracted)\n",
           pct(o, m, 0.5), pct(o, m, 0.1), pct(o, m, 0.9), pct(t, m, 0.5), pct(t, m, 0.1), pct(t, m, 0.9), m, base / 1000
    printf "perf: ratio bcms-mgmt/btmgmt: median of medians %.2f, per-pair ratio median %.2f [%.2f-%.2f]\n",
           pct(o, m, 0.5) / pct(t, m, 0.5), pct(r, m, 0.5), pct(r, m, 0.1), pct(r, m, 0.9)
  }' /tmp/perf-runs.txt
finish
