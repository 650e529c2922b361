# Scenario (scripts/vm, 2 LE controllers, no bluetoothd): Service Changed
# across a restart with a different database (Core v5.4 Vol 3 Part G
# 7.1, 2.5.2), seen by BlueZ's btgatt-client (bluetoothd's GATT client
# engine registers for Service Changed by itself).
#   1. A first session pairs (set-security 2) with the heart-rate example.
#   2. A second, bonded session (encrypted with the stored LTK) writes the
#      Service Changed CCCD (the client engine does it during discovery);
#      the database is unchanged, so no Service Changed indication comes.
#   3. The example is stopped (SIGTERM) and started again with the same
#      --db and --extra-service (one more service, b2c30010-...).
#   4. A third bonded session gets the Service Changed indication:
#      btgatt-client prints "Service Changed handled - start: S end: E",
#      the range covers the new service, and btmon shows hci0 sending a
#      Handle Value Indication on the Service Changed characteristic.
. /etc/bcms-vm-lib.sh
. /etc/bcms-btgatt-lib.sh

DB=/tmp/bcms-sc/bonds.db
EXTRA_UUID=b2c30010-7a3d-4d6e-9f10-5c1a8e2d4b60

step "hci1 central with agent; bcms-example-heart-rate on hci0"
central_pairing_setup
btmon_start
hr_start hr1 --db "$DB"
A0=$(addr_of 0)
A1=$(addr_of 1)
note "hci0 (peripheral) $A0, hci1 (central) $A1"

step "session 1: pair"
btgatt_open p || { fail "session 1"; finish; }
btgatt_pair p
wait_grep 5 "bonded with $A1" /tmp/hr1.log || true
expect_grep "bonded with $A1" /tmp/hr1.log "the example stored the bond"
H_SC=$(value_handle /tmp/p.log 00002a05-0000-1000-8000-00805f9b34fb)
note "Service Changed value handle ${H_SC:-none}"
btgatt_close p

step "session 2: bonded, same database: no Service Changed"
btgatt_open q || { fail "session 2"; finish; }
btgatt_pair q
sleep 2
if grep -q 'Service Changed handled' /tmp/q.log; then fail "a Service Changed indication although the database is the same"; else
  pass "no Service Changed indication for an unchanged database"; fi
btgatt_close q

step "restart the example with --extra-service (same store)"
bg_stop hr1
hr_start hr2 --db "$DB" --extra-service
expect_grep "service $EXTRA_UUID" /tmp/hr2.log "the restarted example serves the extra service"
EXTRA_RANGE=$(sed -n "s/.*service $EXTRA_UUID handles \(0x[0-9a-f]*\)-\(0x[0-9a-f]*\).*/\1 \2/p" /tmp/hr2.log)
note "extra service handles: ${EXTRA_RANGE:-none}"
MARK=$(wc -l < /tmp/btmon.log)

step "session 3: bonded, changed database: Service Changed"
btgatt_open r || { fail "session 3"; finish; }
btgatt_pair r
if wait_grep 10 'Service Changed handled - start: 0x[0-9a-f]+ end: 0x[0-9a-f]+' /tmp/r.log; then
  grep 'Service Changed handled' /tmp/r.log
  pass "btgatt-client handled a Service Changed indication"
  set -- $(sed -n 's/.*Service Changed handled - start: \(0x[0-9a-f]*\) end: \(0x[0-9a-f]*\).*/\1 \2/p' /tmp/r.log | head -1)
  set -- "$1" "$2" $EXTRA_RANGE
  if [ $# -eq 4 ] && [ $(($1)) -le $(($3)) ] && [ $(($2)) -ge $(($4)) ]; then
    pass "the changed range $1-$2 covers the new service $3-$4"
  else fail "the changed range ($1-$2) does not cover the new service (${3:-?}-${4:-?})"; fi
else
  fail "no Service Changed indication after the database changed"
fi
sleep 0.3
tail -n +"$MARK" /tmp/btmon.log > /tmp/b3.log
btmon_tx 0 /tmp/b3.log | grep -A2 'ATT: Handle Value Indication' > /tmp/b3-ind.log
expect_grep "Handle: ${H_SC:-none}" /tmp/b3-ind.log "hci0 sent a Handle Value Indication on Service Changed (btmon)"
btgatt_close r

btmon_stop
step "logs"
cat /tmp/hr2.log
finish
