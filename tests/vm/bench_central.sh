# Benchmark scenario (scripts/vm, 2 LE controllers, no bluetoothd): the
# central role on hci1 against bcms-example-heart-rate on hci0.
#   1. connect -> services resolved -> first Heart Rate Measurement, from
#      the process's spawn: our client (bcms-bench-central steps: MTU,
#      services, characteristics, descriptors, subscribe) against gatttool
#      -I doing the same steps (connect, primary, characteristics,
#      char-desc, char-write-req CCCD); BCMS_BENCH_RUNS runs each,
#      alternating, the link dropped between runs.  The example notifies
#      every 20 ms, so the first value waits 10 ms on average on both sides.
#   2. the same steps resolved as the daemon resolves (att::resolve_database
#      with the discovery cache in a SQLite file): cold (empty cache) against
#      cached (the database of the previous run, Database Hash unchanged),
#      alternating.
#   3. on one link: BCMS_BENCH_READS ATT Read Requests of Body Sensor
#      Location against as many round trips of a same-size SDU over an LE
#      credit-based channel to an echo server (bcms-l2cap listen --echo) on
#      the same peer.
# Figures: BENCH lines in the serial log (scripts/bench --vm prints them).
. /etc/bcms-vm-lib.sh
. /etc/bcms-btgatt-lib.sh

RUNS=${BCMS_BENCH_RUNS:-5}
READS=${BCMS_BENCH_READS:-200}

# median FILE: the median of the numbers in FILE (one per line).
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "nan" }'; }
spread() { sort -n "$1" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'; }
# collect LOG SIDE: the run's stamps appended to /tmp/SIDE-{c,r,v}.
collect() {
  sed -n 's/^T CONNECTED //p' "$1" >> "/tmp/$2-c"
  sed -n 's/^T RESOLVED //p' "$1" >> "/tmp/$2-r"
  sed -n 's/^T VALUE //p' "$1" >> "/tmp/$2-v"
}
drop_link() { wait_no_le_link 2 || { mgmt 1 disconnect -t 1 "$A0" > /dev/null 2>&1; wait_no_le_link 5; }; }

step "power on hci1; heart-rate example (20 ms updates) and an L2CAP echo server on hci0"
check "hci1 powered" power_on 1
bg_start hr bcms-example-heart-rate --index 0 --name "bcms HR" --interval-ms 20
if ! wait_grep 20 'ready on hci0|start failed|cannot' /tmp/hr.log || ! grep -q 'ready on hci0' /tmp/hr.log; then
  fail "the example did not start"; cat /tmp/hr.log; finish
fi
A0=$(addr_of 0)
bg_start echo bcms-l2cap listen --psm 0x0081 --echo
wait_grep 5 'listening psm' /tmp/echo.log || { fail "echo server"; cat /tmp/echo.log; finish; }

step "our client once, for the database shape gatttool has to wait for"
bcms-bench-central steps "$A0" > /tmp/shape.log 2>&1; rc=$?
cat /tmp/shape.log
expect_eq "bcms-bench-central steps exit status" 0 "$rc"
set -- $(sed -n 's/^STEPS services \([0-9]*\) characteristics \([0-9]*\) descriptors [0-9]* last \(0x[0-9a-f]*\) value \(0x[0-9a-f]*\) cccd \(0x[0-9a-f]*\).*/\1 \2 \3 \4 \5/p' /tmp/shape.log)
[ $# -eq 5 ] || { fail "no STEPS line"; finish; }
S=$1 C=$2 LAST=$3 VAL=$4 CCCD=$5
note "services $S, characteristics $C, last handle $LAST, measurement $VAL (CCCD $CCCD)"
drop_link

step "$RUNS alternating runs: connect -> resolved -> first notification"
: > /tmp/o-c; : > /tmp/o-r; : > /tmp/o-v; : > /tmp/g-c; : > /tmp/g-r; : > /tmp/g-v
ok_o=0 ok_g=0
i=0
while [ "$i" -lt "$RUNS" ]; do
  i=$((i + 1))
  if t 30 bcms-bench-central time -- bcms-bench-central steps "$A0" > /tmp/o.log 2>&1; then
    ok_o=$((ok_o + 1))
    collect /tmp/o.log o
  else
    note "ours, run $i:"; cat /tmp/o.log
  fi
  drop_link
  if t 30 bcms-bench-central gatttool "$A0" --services "$S" --characteristics "$C" --last "$LAST" \
       --cccd "$CCCD" --value "$VAL" > /tmp/g.log 2>&1; then
    ok_g=$((ok_g + 1))
    collect /tmp/g.log g
  else
    note "gatttool, run $i:"; cat /tmp/g.log
  fi
  drop_link
done
expect_eq "our runs that completed" "$RUNS" "$ok_o"
expect_eq "gatttool runs that completed" "$RUNS" "$ok_g"
for k in c:connected r:resolved v:first_notification; do
  f=${k%%:*} name=${k#*:}
  mo=$(median /tmp/o-$f) mg=$(median /tmp/g-$f)
  echo "BENCH central_$name ours_ms $mo [$(spread /tmp/o-$f)] gatttool_ms $mg [$(spread /tmp/g-$f)] ratio $(awk -v a="$mo" -v b="$mg" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }')"
done

step "$RUNS alternating runs, cold and cached: our client resolving as the daemon does (att::resolve_database)"
# Both open the same SQLite store (created once, before the runs).  cold:
# the peer's entry dropped first (--cold), so the Database Hash read finds
# nothing cached and everything is discovered (and stored); cached: the
# entry the cold run stored, the hash matches and nothing is discovered.
: > /tmp/k-c; : > /tmp/k-r; : > /tmp/k-v; : > /tmp/w-c; : > /tmp/w-r; : > /tmp/w-v; : > /tmp/k-d; : > /tmp/w-d; : > /tmp/k-e; : > /tmp/w-e
rm -rf /tmp/bench-cache; mkdir -m 700 /tmp/bench-cache   # the store refuses a world-writable directory
bcms-bench-central steps "$A0" --cache-db /tmp/bench-cache/cache.db > /dev/null 2>&1
drop_link
# delta LOG SIDE: connected -> resolved of the run, ms
# (-d) and connected -> first notification (-e): what the cache changes,
# without the store's opening (and --cold's delete), which come before the
# connect and which the daemon pays once at start.
delta() {
  awk '/^T CONNECTED / { c = $3 } /^T RESOLVED / { r = $3 } END { if (c != "" && r != "") printf "%.2f\n", r - c }' "$1" >> "/tmp/$2-d"
  awk '/^T CONNECTED / { c = $3 } /^T VALUE / { v = $3 } END { if (c != "" && v != "") printf "%.2f\n", v - c }' "$1" >> "/tmp/$2-e"
}
ok_k=0 ok_w=0 hits=0 misses=0
i=0
while [ "$i" -lt "$RUNS" ]; do
  i=$((i + 1))
  if t 30 bcms-bench-central time -- bcms-bench-central steps "$A0" --cache-db /tmp/bench-cache/cache.db --cold > /tmp/k.log 2>&1; then
    ok_k=$((ok_k + 1)); collect /tmp/k.log k; delta /tmp/k.log k
    grep -q 'cache miss' /tmp/k.log && misses=$((misses + 1))
  else note "cold, run $i:"; cat /tmp/k.log; fi
  drop_link
  if t 30 bcms-bench-central time -- bcms-bench-central steps "$A0" --cache-db /tmp/bench-cache/cache.db > /tmp/w.log 2>&1; then
    ok_w=$((ok_w + 1)); collect /tmp/w.log w; delta /tmp/w.log w
    grep -q 'cache hit' /tmp/w.log && hits=$((hits + 1))
  else note "cached, run $i:"; cat /tmp/w.log; fi
  drop_link
done
grep STEPS /tmp/k.log /tmp/w.log
expect_eq "cold runs that completed, each a cache miss" "$RUNS $RUNS" "$ok_k $misses"
expect_eq "cached runs that completed, each a cache hit" "$RUNS $RUNS" "$ok_w $hits"
expect_grep 'STEPS services [0-9]+ .* value 0x[0-9a-f]+ cccd 0x[0-9a-f]+ .*cache hit requests [0-9]+' /tmp/w.log \
  "the cached database has the measurement and its CCCD"
for k in c:connected r:resolved v:first_notification d:connected_to_resolved e:connected_to_first_notification; do
  f=${k%%:*} name=${k#*:}
  mk=$(median /tmp/k-$f) mw=$(median /tmp/w-$f)
  echo "BENCH central_cache_$name cached_ms $mw [$(spread /tmp/w-$f)] cold_ms $mk [$(spread /tmp/k-$f)] ratio $(awk -v a="$mw" -v b="$mk" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }')"
done
echo "BENCH central_cache_requests cold $(sed -n 's/.*cache miss requests \([0-9]*\).*/\1/p' /tmp/k.log) cached $(sed -n 's/.*cache hit requests \([0-9]*\).*/\1/p' /tmp/w.log)"

step "read round trip against a raw L2CAP echo on the same link"
gatttool -i hci1 -b "$A0" -t public --characteristics > /tmp/chars.log 2>&1
H_LOC=$(sed -n 's/.*char value handle = \(0x[0-9a-f]*\), uuid = 00002a38-.*/\1/p' /tmp/chars.log | head -1)
drop_link
t 60 bcms-bench-central rtt "$A0" --handle "$H_LOC" --psm 0x0081 --count "$READS" > /tmp/rtt.log 2>&1; rc=$?
cat /tmp/rtt.log
expect_eq "bcms-bench-central rtt exit status" 0 "$rc"
if grep -q '^READ n' /tmp/rtt.log && grep -q '^ECHO n' /tmp/rtt.log; then
  echo "BENCH $(grep '^READ n' /tmp/rtt.log)"
  echo "BENCH $(grep '^ECHO n' /tmp/rtt.log)"
  echo "BENCH $(grep '^RATIO' /tmp/rtt.log)"
  pass "read and echo round trips measured"
else
  fail "no READ/ECHO figures"
fi

bg_stop echo
finish
