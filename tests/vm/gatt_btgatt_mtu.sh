# Scenario (scripts/vm, 2 LE controllers, no bluetoothd): ATT MTU exchange
# between BlueZ's btgatt-client (hci1; bluetoothd's GATT client engine,
# src/shared/gatt-client.c) and our bcms-example-heart-rate (hci0).
#   1. btgatt-client -m 517 sends Exchange MTU Request with Client Rx MTU
#      517 (btmon); our server answers with its Server Rx MTU (btmon), and
#      the client reports "MTU exchange complete, with MTU: N" where N is
#      min(517, that Server Rx MTU) (Core v5.4 Vol 3 Part F 3.4.2) and
#      larger than the default 23.
#   2. The negotiated MTU is in effect: the 120-octet vendor characteristic
#      b2c30003 comes back whole in ONE Read Response (no Read Blob
#      Request in btmon), where at MTU 23 it needs blob reads.
#   3. btgatt-client -m 100: the exchange settles on 100 and a read of the
#      120 octets now needs exactly one Read Blob (offset 99).
. /etc/bcms-vm-lib.sh
. /etc/bcms-btgatt-lib.sh

SCRATCH=$SCRATCH_UUID
SCRATCH_TEXT=$(scratch_initial)
SCRATCH_HEX=$(spaced_hex "$SCRATCH_TEXT")

step "power on hci1 (the central); start bcms-example-heart-rate on hci0"
check "hci1 powered" power_on 1
btmon_start
hr_start hr --db /tmp/bcms-mtu/bonds.db
A0=$(addr_of 0)
note "hci0 (peripheral) $A0, hci1 (central) $(addr_of 1)"

step "btgatt-client -m 517"
MARK=$(wc -l < /tmp/btmon.log)
if btgatt_open c1 -v -m 517; then pass "btgatt-client connected and discovered the database"; else fail "btgatt-client -m 517"; finish; fi
sed -n '/MTU exchange/p' /tmp/c1.log
sleep 0.3
tail -n +"$MARK" /tmp/btmon.log > /tmp/btmon-c1.log
btmon_tx 1 /tmp/btmon-c1.log > /tmp/c1-tx1.log
btmon_tx 0 /tmp/btmon-c1.log > /tmp/c1-tx0.log
expect_grep 'Client RX MTU: 517' /tmp/c1-tx1.log "hci1 sent Exchange MTU Request with Client Rx MTU 517 (btmon)"
SERVER_MTU=$(sed -n 's/.*Server RX MTU: \([0-9]*\).*/\1/p' /tmp/c1-tx0.log | head -1)
note "our Server Rx MTU: ${SERVER_MTU:-none}"
CLIENT_MTU=$(sed -n 's/.*MTU exchange complete, with MTU: \([0-9]*\).*/\1/p' /tmp/c1.log | head -1)
if [ -z "$SERVER_MTU" ] || [ -z "$CLIENT_MTU" ]; then
  fail "no Exchange MTU Response in btmon (${SERVER_MTU:-none}) or no completed exchange in the client (${CLIENT_MTU:-none})"
else
  WANT=$SERVER_MTU
  [ "$WANT" -gt 517 ] && WANT=517
  expect_eq "the client's negotiated MTU is min(517, Server Rx MTU)" "$WANT" "$CLIENT_MTU"
  if [ "$CLIENT_MTU" -gt 23 ]; then pass "MTU $CLIENT_MTU > 23"; else fail "MTU $CLIENT_MTU is not above the default"; fi
fi

step "read the 120-octet characteristic at that MTU: one Read Request, no blob"
H=$(value_handle /tmp/c1.log "$SCRATCH")
[ -n "$H" ] || { fail "no $SCRATCH in btgatt-client's database"; cat /tmp/c1.log; finish; }
note "scratch value handle $H"
MARK=$(wc -l < /tmp/btmon.log)
if btgatt_cmd c1 10 'Read value|Read request failed' read-long-value "$H" 0; then cat /tmp/c1.answer; echo; fi
expect_grep "Read value \(120 bytes\): $SCRATCH_HEX" /tmp/c1.answer "read-long-value returns the 120 octets"
sleep 0.3
tail -n +"$MARK" /tmp/btmon.log > /tmp/btmon-read1.log
btmon_tx 1 /tmp/btmon-read1.log > /tmp/read1-tx.log
N_READ=$(grep -c 'ATT: Read Request' /tmp/read1-tx.log)
N_BLOB=$(grep -c 'ATT: Read Blob Request' /tmp/read1-tx.log)
expect_eq "Read Requests sent by hci1 (btmon)" 1 "$N_READ"
expect_eq "Read Blob Requests sent by hci1: the value fitted in one response" 0 "$N_BLOB"
btgatt_close c1

step "btgatt-client -m 100: MTU 100, the same read needs one blob at offset 99"
MARK=$(wc -l < /tmp/btmon.log)
if btgatt_open c2 -v -m 100; then pass "second session"; else fail "btgatt-client -m 100"; finish; fi
expect_grep 'MTU exchange complete, with MTU: 100' /tmp/c2.log "negotiated MTU 100"
if btgatt_cmd c2 10 'Read value|Read request failed' read-long-value "$H" 0; then cat /tmp/c2.answer; echo; fi
expect_grep "Read value \(120 bytes\): $SCRATCH_HEX" /tmp/c2.answer "read-long-value returns the 120 octets"
sleep 0.3
tail -n +"$MARK" /tmp/btmon.log > /tmp/btmon-c2.log
btmon_tx 1 /tmp/btmon-c2.log > /tmp/c2-tx1.log
expect_grep 'Client RX MTU: 100' /tmp/c2-tx1.log "hci1 sent Exchange MTU Request with Client Rx MTU 100 (btmon)"
N=$(grep -c 'ATT: Read Blob Request' /tmp/c2-tx1.log)
expect_eq "Read Blob Requests sent by hci1 at MTU 100" 1 "$N"
grep -A3 'ATT: Read Blob Request' /tmp/c2-tx1.log | grep -E 'Offset' > /tmp/blob-offsets.log
expect_grep 'Offset: 0x0063' /tmp/blob-offsets.log "the blob read starts at offset 99 = 0x0063 (MTU - 1)"
btgatt_close c2

btmon_stop
step "btmon: the exchanges"
grep -E -A2 'ATT: Exchange MTU' /tmp/btmon.log
finish
