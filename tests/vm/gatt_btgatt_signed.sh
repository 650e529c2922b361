# Scenario (scripts/vm, 2 LE controllers, no bluetoothd): Signed Write
# Command (Core v5.4 Vol 3 Part F 3.4.5.4, Part H 2.4.5) from BlueZ's
# btgatt-client (hci1) to the heart-rate example (hci0), on the vendor
# characteristic b2c30003 (Authenticated Signed Writes property).
#   1. Pairing (Just Works, btgatt-client set-security 2) distributes CSRKs both
#      ways (SMP Signing Information); hci1's own CSRK is read from btmon's
#      MGMT New Signature Resolving Key event.
#   2. An unencrypted session (btgatt-client sends signed writes only on an
#      unencrypted link): set-sign-key -c CSRK, write-value -w -s: btmon
#      shows a Signed Write Command; the value reads back as written.
#   3. The same with a wrong CSRK: dropped, the value is unchanged.
#   4. A new session restarts btgatt-client's SignCounter at 0: its first
#      signed write (counter 0, already used) is a replay and dropped; the
#      second (counter 1) is accepted.
#   5. After a restart of the example (same --db), counters 0 and 1 are
#      replays too (the server persists the last counter per bond); counter
#      2 is accepted.
. /etc/bcms-vm-lib.sh
. /etc/bcms-btgatt-lib.sh

DB=/tmp/bcms-signed/bonds.db
H=""
# signed_write SESSION TEXT: one Signed Write Command of TEXT to $H.
signed_write() {
  if btgatt_cmd "$1" 10 'Write command sent|Failed' write-value -w -s "$H" "$(hex_bytes "$2")"; then cat "/tmp/$1.answer"; echo; fi
  expect_grep 'Write command sent' "/tmp/$1.answer" "btgatt-client sent the signed write of '$2'"
  sleep 0.5   # a command has no response: give the server time to apply it
}
# value_is SESSION TEXT DESC: read-long-value of $H returns TEXT.
value_is() {
  if btgatt_cmd "$1" 10 'Read value|Read request failed' read-long-value "$H" 0; then cat "/tmp/$1.answer"; echo; fi
  expect_grep "Read value \\(${#2} bytes\\): $(spaced_hex "$2")" "/tmp/$1.answer" "$3"
}
# signed_session NAME KEY: an unencrypted session with signing key KEY.
signed_session() {
  btgatt_open "$1" -s low || { fail "btgatt-client session $1"; finish; }
  echo "set-sign-key -c $2" > "/run/bg-$1.fifo"
}

step "hci1 central with agent; bcms-example-heart-rate on hci0"
central_pairing_setup
btmon_start
hr_start hr1 --db "$DB"
A0=$(addr_of 0)
A1=$(addr_of 1)
note "hci0 (peripheral) $A0, hci1 (central) $A1"

step "pair (btgatt-client set-security 2): CSRKs are distributed"
if btgatt_open p; then pass "session discovered the database"; else fail "first session"; finish; fi
btgatt_pair p
H=$(value_handle /tmp/p.log "$SCRATCH_UUID")
PROPS=$(sed -n "s/.*charac.* value: 0x[0-9a-f]*, props: \(0x[0-9a-f]*\),.*uuid: $SCRATCH_UUID.*/\1/p" /tmp/p.log | head -1)
note "scratch value handle $H, properties $PROPS"
[ -n "$PROPS" ] && [ $((PROPS & 0x40)) -ne 0 ] && pass "the characteristic has Authenticated Signed Writes (0x40)" ||
  fail "no Authenticated Signed Writes property ($PROPS)"
btgatt_close p
wait_grep 5 "bonded with $A1" /tmp/hr1.log || true
expect_grep "bonded with $A1" /tmp/hr1.log "the example stored the bond"
CSRK=$(csrk_of 1)
note "hci1's local CSRK: ${CSRK:-none}"
case "$CSRK" in
  [0-9a-f]*) [ ${#CSRK} -eq 32 ] && pass "hci1 got a local CSRK (btmon)" || fail "malformed CSRK '$CSRK'" ;;
  *) fail "no local CSRK for hci1 in btmon"; grep -E -A6 'New Signature Resolving Key|SMP: Signing' /tmp/btmon.log; finish ;;
esac
WRONG=$(echo "$CSRK" | tr '0-9a-f' '1-9a-f0')

step "unencrypted session, signed write with the right key"
MARK=$(wc -l < /tmp/btmon.log)
signed_session s1 "$CSRK"
signed_write s1 "SIGNED1"
value_is s1 "SIGNED1" "the signed write (counter 0) was applied"
tail -n +"$MARK" /tmp/btmon.log > /tmp/b1.log
btmon_tx 1 /tmp/b1.log > /tmp/b1-tx.log
expect_grep 'ATT: Signed Write Command' /tmp/b1-tx.log "hci1 sent a Signed Write Command (btmon)"
if grep -q 'Encryption Change' /tmp/b1.log; then fail "the link was encrypted (no signing needed)"; else pass "the link stayed unencrypted"; fi

step "a signed write with a wrong key is dropped"
echo "set-sign-key -c $WRONG" > /run/bg-s1.fifo
signed_write s1 "WRONGKEY"
value_is s1 "SIGNED1" "the value is unchanged after the wrongly signed write"
btgatt_close s1

step "new session: SignCounter 0 again is a replay; counter 1 is accepted"
signed_session s2 "$CSRK"
signed_write s2 "REPLAY0"
value_is s2 "SIGNED1" "the replayed counter 0 was dropped"
signed_write s2 "SIGNED2"
value_is s2 "SIGNED2" "counter 1 was accepted"
btgatt_close s2

step "restart the example with the same store: counters 0 and 1 are replays, 2 is accepted"
bg_stop hr1
hr_start hr2 --db "$DB"
signed_session s3 "$CSRK"
signed_write s3 "REPLAY0"
signed_write s3 "REPLAY1"
value_is s3 "$(scratch_initial)" "counters 0 and 1 dropped after the restart (the initial value)"
signed_write s3 "SIGNED3"
value_is s3 "SIGNED3" "counter 2 was accepted after the restart"
btgatt_close s3

btmon_stop
step "example logs"
cat /tmp/hr1.log /tmp/hr2.log
finish
