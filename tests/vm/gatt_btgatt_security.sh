# Scenario (scripts/vm, 2 LE controllers, no bluetoothd): our peripheral
# raises security itself.  BlueZ's btgatt-client (hci1) reads the
# heart-rate example's encryption-only characteristic (b2c30002) over an
# unencrypted link.
#   1. Our server refuses with Insufficient Encryption (0x0f) (btmon, hci0).
#   2. The peripheral then sends an SMP Security Request (hci0, btmon; Core
#      v5.4 Vol 3 Part H 2.4.6, 3.6.7), after its ATT Error Response: the
#      default of the example (no option), i.e. of the peripheral API.
#   3. Pairing follows (Pairing Request from hci1; agent on hci1, the
#      example's auto agent); the example stores the bond.
#   4. A new bonded session, encrypted with the stored key (set-security 2),
#      reads "bcms secret".  (Not the first session: BlueZ 5.66's bt_att
#      queues its retry of the refused read after pairing but never sends
#      it -- btmon shows no second Read Request, with or without our
#      Security Request -- and the session stalls until its 30 s timeout.)
# btgatt-client cannot be kept from pairing by itself on the error
# (bt_att's change_security; its set-security 1 fails on a connected LE
# socket), so step 2 is checked on what hci0 sent: the Security Request
# goes out right after the Error Response, a round trip before the
# client's Pairing Request could arrive.
# BCMS_HR_ARGS (scripts/vm -e) adds options to the example.
. /etc/bcms-vm-lib.sh
. /etc/bcms-btgatt-lib.sh

SECRET_UUID=b2c30002-7a3d-4d6e-9f10-5c1a8e2d4b60
SECRET_HEX=$(spaced_hex "bcms secret")

step "hci1 central with agent; bcms-example-heart-rate on hci0 (default options)"
central_pairing_setup
btmon_start
# shellcheck disable=SC2086 # BCMS_HR_ARGS: words
hr_start hr --db /tmp/bcms-secreq/bonds.db ${BCMS_HR_ARGS:-}
A0=$(addr_of 0)
A1=$(addr_of 1)
note "hci0 (peripheral) $A0, hci1 (central) $A1"

step "unencrypted session"
if btgatt_open c -s low; then pass "session discovered the database"; else fail "btgatt-client"; finish; fi
H=$(value_handle /tmp/c.log "$SECRET_UUID")
[ -n "$H" ] || { fail "no $SECRET_UUID in the database"; cat /tmp/c.log; finish; }
note "encryption-only value handle $H"

step "read it: Insufficient Encryption, then the peripheral's Security Request"
MARK=$(wc -l < /tmp/btmon.log)
echo "read-value $H" > /run/bg-c.fifo
wait_grep 10 "bonded with $A1" /tmp/hr.log || true
sleep 0.5
tail -n +"$MARK" /tmp/btmon.log > /tmp/b.log
btmon_tx 0 /tmp/b.log > /tmp/b-tx0.log
btmon_tx 1 /tmp/b.log > /tmp/b-tx1.log
grep -E 'ATT: Error|SMP: ' /tmp/b-tx0.log | sed 's/^/    hci0 sent: /'
grep -E 'ATT: Read|SMP: ' /tmp/b-tx1.log | sed 's/^/    hci1 sent: /'
grep -A3 'ATT: Error Response' /tmp/b-tx0.log > /tmp/b-err.log
expect_grep 'Error: Insufficient Encryption \(0x0f\)' /tmp/b-err.log "our server refused the read: Insufficient Encryption (0x0f)"
expect_grep 'SMP: Security Request' /tmp/b-tx0.log "the peripheral sent an SMP Security Request (btmon)"
ERR=$(grep -n 'ATT: Error Response' /tmp/b-tx0.log | head -1 | cut -d: -f1)
SECREQ=$(grep -n 'SMP: Security Request' /tmp/b-tx0.log | head -1 | cut -d: -f1)
if [ -n "$ERR" ] && [ -n "$SECREQ" ] && [ "$ERR" -lt "$SECREQ" ]; then pass "the Security Request follows the Error Response"; else
  fail "Error Response (line ${ERR:-none}) and Security Request (line ${SECREQ:-none}) out of order"; fi
expect_grep 'SMP: Pairing Request' /tmp/b-tx1.log "hci1 answered with a Pairing Request"
expect_grep "bonded with $A1" /tmp/hr.log "the example stored the bond"

btgatt_close c

step "a new bonded session, encrypted with the stored key, reads the value"
btgatt_open c2 || { fail "second session"; finish; }
btgatt_pair c2
if btgatt_cmd c2 10 'Read value|Read request failed' read-value "$H"; then cat /tmp/c2.answer; echo; fi
expect_grep "Read value \\(11 bytes\\): $SECRET_HEX" /tmp/c2.answer "encrypted read returns 'bcms secret'"
btgatt_close c2

btmon_stop
step "btmon: what hci1 and hci0 sent (ATT, SMP, encryption)"
btmon_tx 1 /tmp/btmon.log | grep -E '^<|ATT: |SMP: |Error:' | grep -B1 -E 'ATT: |SMP: ' | grep -v '^--' | sed 's/^/    hci1: /'
btmon_tx 0 /tmp/btmon.log | grep -E '^<|ATT: |SMP: |Error:' | grep -B1 -E 'ATT: |SMP: ' | grep -v '^--' | sed 's/^/    hci0: /'
step "btgatt-client log"
cat /tmp/c.log
step "example log"
cat /tmp/hr.log
finish
