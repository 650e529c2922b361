# Scenario (scripts/vm, 2 LE controllers, no bluetoothd): long reads and
# prepared (long) writes between BlueZ's btgatt-client (hci1) and our
# bcms-example-heart-rate (hci0), at the default ATT_MTU of 23 (no
# exchange: btgatt-client -m 23), on the 120-octet vendor characteristic
# b2c30003 (read, write, reliable write).
#   1. read-long-value returns all 120 octets: one Read Request and five
#      Read Blob Requests at offsets 22, 44, 66, 88, 110 (btmon; Core v5.4
#      Vol 3 Part G 4.8.3, Part F 3.4.4.5).
#   2. write-long-value of a new 100-octet value: Prepare Write Requests
#      (18 octets each, ATT_MTU - 5) and one Execute Write Request (btmon);
#      "Write successful"; a long read returns exactly the new value.
#   3. write-long-value -r (reliable write, 4.9.5: the client compares every
#      echoed Prepare Write Response) of another value at offset 20: the
#      value is the first 20 octets of step 2's value followed by it.
#   4. write-prepare by hand, then cancelled (write-execute SESSION 0:
#      Execute Write Request with flags 0x00, answered): the value is
#      unchanged.
. /etc/bcms-vm-lib.sh
. /etc/bcms-btgatt-lib.sh

SCRATCH=$SCRATCH_UUID
SCRATCH_TEXT=$(scratch_initial)
NEW_TEXT="prepared write: the quick brown fox jumps over the lazy dog, 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ!"
NEW_TEXT=$(printf '%.100s' "$NEW_TEXT")
REL_TEXT="reliable: echoed and compared by the client, twice over the 23 MTU"

# long_read SESSION TEXT DESC: read-long-value of $H returns TEXT.
long_read() {
  if btgatt_cmd "$1" 15 'Read value|Read request failed' read-long-value "$H" 0; then cat "/tmp/$1.answer"; echo; fi
  expect_grep "Read value \\(${#2} bytes\\): $(spaced_hex "$2")" "/tmp/$1.answer" "$3"
}

step "power on hci1 (the central); start bcms-example-heart-rate on hci0"
check "hci1 powered" power_on 1
btmon_start
hr_start hr --db /tmp/bcms-long/bonds.db
A0=$(addr_of 0)
note "hci0 (peripheral) $A0, hci1 (central) $(addr_of 1)"
if btgatt_open c -m 23; then pass "btgatt-client connected and discovered the database"; else fail "btgatt-client"; finish; fi
H=$(value_handle /tmp/c.log "$SCRATCH")
[ -n "$H" ] || { fail "no $SCRATCH in btgatt-client's database"; cat /tmp/c.log; finish; }
note "scratch value handle $H"
if btmon_tx 1 /tmp/btmon.log | grep -q 'ATT: Exchange MTU Request'; then fail "an MTU exchange took place"; else pass "no MTU exchange: ATT_MTU 23"; fi

step "long read of the 120-octet value"
MARK=$(wc -l < /tmp/btmon.log)
long_read c "$SCRATCH_TEXT" "read-long-value returns the 120 initial octets"
sleep 0.3
tail -n +"$MARK" /tmp/btmon.log > /tmp/b1.log
btmon_tx 1 /tmp/b1.log > /tmp/b1-tx.log
expect_eq "Read Requests" 1 "$(grep -c 'ATT: Read Request' /tmp/b1-tx.log)"
OFFS=$(grep -A3 'ATT: Read Blob Request' /tmp/b1-tx.log | sed -n 's/.*Offset: \(0x[0-9a-f]*\).*/\1/p' | tr '\n' ' ')
expect_eq "Read Blob offsets (22, 44, 66, 88, 110)" "0x0016 0x002c 0x0042 0x0058 0x006e " "$OFFS"

step "prepared (long) write of 100 octets"
MARK=$(wc -l < /tmp/btmon.log)
if btgatt_cmd c 15 'Write successful|Write failed' write-long-value "$H" 0 "$(hex_bytes "$NEW_TEXT")"; then cat /tmp/c.answer; echo; fi
expect_grep 'Write successful' /tmp/c.answer "write-long-value succeeded"
sleep 0.3
tail -n +"$MARK" /tmp/btmon.log > /tmp/b2.log
btmon_tx 1 /tmp/b2.log > /tmp/b2-tx.log
N_PREP=$(grep -c 'ATT: Prepare Write Request' /tmp/b2-tx.log)
expect_eq "Prepare Write Requests (100 octets in 18-octet parts)" 6 "$N_PREP"
expect_eq "Execute Write Requests" 1 "$(grep -c 'ATT: Execute Write Request' /tmp/b2-tx.log)"
expect_eq "Write Requests (none: the value is longer than ATT_MTU - 3)" 0 "$(grep -c 'ATT: Write Request' /tmp/b2-tx.log)"
btmon_tx 0 /tmp/b2.log > /tmp/b2-tx0.log
expect_eq "Prepare Write Responses from our server" 6 "$(grep -c 'ATT: Prepare Write Response' /tmp/b2-tx0.log)"
expect_eq "Execute Write Response from our server" 1 "$(grep -c 'ATT: Execute Write Response' /tmp/b2-tx0.log)"
long_read c "$NEW_TEXT" "the long read returns exactly the 100 written octets"

step "reliable write (write-long-value -r) at offset 20"
if btgatt_cmd c 15 'Write successful|Write failed|Reliable write not verified' write-long-value -r "$H" 20 "$(hex_bytes "$REL_TEXT")"; then cat /tmp/c.answer; echo; fi
expect_grep 'Write successful' /tmp/c.answer "reliable write verified by the client and executed"
WANT="$(printf '%.20s' "$NEW_TEXT")$REL_TEXT"
long_read c "$WANT" "the value is the first 20 octets followed by the reliable write (${#WANT} octets)"

step "write-prepare by hand, then cancel (write-execute ... 0)"
if btgatt_cmd c 10 'Session id: [0-9]+|Failed to proceed' write-prepare "$H" 0 0x58 0x58 0x58; then cat /tmp/c.answer; echo; fi
SID=$(sed -n 's/.*Session id: \([0-9]*\).*/\1/p' /tmp/c.answer | head -1)
if [ -n "$SID" ]; then
  pass "prepare write queued (session $SID)"
  MARK=$(wc -l < /tmp/btmon.log)
  echo "write-execute $SID 0" > /run/bg-c.fifo   # cancel: prints nothing
  sleep 1
  tail -n +"$MARK" /tmp/btmon.log > /tmp/b3.log
  btmon_tx 1 /tmp/b3.log | grep -A2 'ATT: Execute Write Request' > /tmp/b3-exec.log
  cat /tmp/b3-exec.log
  expect_grep 'Flags: Cancel all prepared writes \(0x00\)' /tmp/b3-exec.log "Execute Write Request with flags 0x00 (cancel) (btmon)"
  btmon_tx 0 /tmp/b3.log > /tmp/b3-tx0.log
  expect_eq "Execute Write Response from our server" 1 "$(grep -c 'ATT: Execute Write Response' /tmp/b3-tx0.log)"
  long_read c "$WANT" "after the cancel the value is unchanged"
else
  fail "write-prepare did not start a session"
fi
btgatt_close c

btmon_stop
finish
