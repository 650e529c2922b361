# Scenario (scripts/vm, 2 LE controllers, no bluetoothd): pairing and
# durable bonds of our peripheral, against BlueZ's gatttool on hci1.
#
#  1. bcms-example-heart-rate on hci0 with the yes/no agent (--agent
#     confirm: it asks on stdin), bonds in /tmp/bcms-pair/bonds.db; hci1
#     bondable, `bcms-mgmt --index 1 agent` answers hci1's pairing
#     questions (there is no bluetoothd).
#  2. gatttool reads the encrypted-only characteristic at sec-level low: our
#     server refuses with Insufficient Encryption (0x0f) (btmon).  BlueZ's
#     client then raises security by itself (src/shared/att.c
#     change_security), i.e. starts Just Works pairing; our agent answers
#     "no", the pairing fails and gatttool reports the read as failed.
#  3. `gatttool --sec-level=medium` reads it: Just Works pairing again (SMP
#     Pairing Request in btmon), our agent answers "yes", the link is
#     encrypted, the read succeeds; the example stored the bond (its log,
#     and the peer in the SQLite file, mode 0600).
#  4. The example is stopped (SIGTERM) and hci0's kernel forgets the bond
#     (btmgmt unpair, which also drops the link): only our store has it now.
#  5. The example starts again with the same --db (auto-accept agent): Load
#     Long Term Keys puts the key back; `gatttool --sec-level=medium` reads
#     the characteristic again, and after the restart btmon shows the
#     controller asking for the LTK and the kernel answering it (LE Long
#     Term Key Request Reply), with no SMP pairing and no confirmation
#     request: the bond survived.  The measurement subscription the bonded
#     client made before the restart is restored too: `gatttool --listen`
#     receives notifications without writing the CCCD again.
. /etc/bcms-vm-lib.sh

DB=/tmp/bcms-pair/bonds.db
SECRET_UUID=b2c30002-7a3d-4d6e-9f10-5c1a8e2d4b60
SECRET_HEX="62 63 6d 73 20 73 65 63 72 65 74"  # "bcms secret"

gatt() { t 20 gatttool -i hci1 -b "$A0" -t public "$@"; }
start_example() {
  _name=$1
  shift
  bg_start "$_name" bcms-example-heart-rate --index 0 --name "bcms HR" --db "$DB" --interval-ms 500 "$@"
  if ! wait_grep 20 'ready on hci0|start failed|cannot' "/tmp/$_name.log" || ! grep -q 'ready on hci0' "/tmp/$_name.log"; then
    fail "the example did not start ($_name)"
    cat "/tmp/$_name.log"
    finish
  fi
}
# read_secret FILE: gatttool --sec-level=medium reads the encrypted
# characteristic, up to 3 attempts; status 0 when one returns the value.
# Why attempts: on a fresh link BlueZ 5.66's gatttool may send its Read
# Request while SMP is still running (btmon: the request between Pairing
# Confirm and Encryption Change); our server then correctly answers
# Insufficient Encryption and gatttool gives up ("Encryption required").
# The next attempt finds the link encrypted, or the bond in place.
read_secret() {
  _r=1
  while [ "$_r" -le 3 ]; do
    gatt --sec-level=medium --char-read -a "$H" > "$1" 2>&1
    cat "$1"
    grep -q "Characteristic value/descriptor: $SECRET_HEX" "$1" && return 0
    grep -q 'Encryption required' "$1" || return 1
    note "attempt $_r refused while the link was being encrypted; again"
    _r=$((_r + 1))
    sleep 0.3
  done
  return 1
}
# wait_no_link: until btmgmt con succeeds and lists no connection on hci1
# (at most 10 s).
wait_no_link() {
  _i=0
  while [ "$_i" -lt 100 ]; do
    if _con=$(mgmt 1 con 2>&1); then
      case "$_con" in *'type LE'*) ;; *) return 0 ;; esac
    fi
    sleep 0.1
    _i=$((_i + 1))
  done
  return 1
}

step "hci1: power on, bondable, pairing agent (bcms-mgmt agent)"
check "hci1 powered" power_on 1
check "hci1 bondable" t 10 bcms-mgmt --index 1 bondable on
bg_start agent bcms-mgmt --index 1 agent
wait_grep 5 'Agent running' /tmp/agent.log || fail "bcms-mgmt agent did not start: $(cat /tmp/agent.log)"
btmon_start

step "start bcms-example-heart-rate on hci0 (yes/no agent)"
start_example hr1 --agent confirm
pass "the example is serving"
A0=$(addr_of 0)
A1=$(addr_of 1)
note "hci0 (peripheral) $A0, hci1 (central) $A1"
gatt --characteristics > /tmp/chars.log 2>&1
H=$(sed -n "s/.*char value handle = \(0x[0-9a-f]*\), uuid = $SECRET_UUID.*/\1/p" /tmp/chars.log)
[ -n "$H" ] || { fail "no $SECRET_UUID in characteristic discovery"; cat /tmp/chars.log; finish; }
note "encrypted-only characteristic: value handle $H"

step "read it unencrypted (sec-level low): refused; the pairing gatttool then tries is rejected"
echo no > /run/bg-hr1.fifo  # the agent's answer to the next question
gatt --char-read -a "$H" > /tmp/read1.log 2>&1
cat /tmp/read1.log
expect_grep 'read failed' /tmp/read1.log "gatttool reports the read as failed"
if grep -q "Characteristic value/descriptor: $SECRET_HEX" /tmp/read1.log; then fail "the value was readable without encryption"; fi
sleep 0.5
expect_grep 'Error: Insufficient Encryption \(0x0f\)' /tmp/btmon.log "ATT Error Response: Insufficient Encryption (0x0f)"
# The refusal comes before any SMP traffic: the server did not leak first.
FIRST_ERR=$(grep -n 'Error: Insufficient Encryption' /tmp/btmon.log | head -1 | cut -d: -f1)
FIRST_SMP=$(grep -n 'SMP: ' /tmp/btmon.log | head -1 | cut -d: -f1)
if [ -z "$FIRST_SMP" ] || [ "$FIRST_ERR" -lt "$FIRST_SMP" ]; then pass "refused before any pairing"; else fail "SMP before the refusal"; fi
expect_grep "Pair with $A1\\? \\(yes/no\\)" /tmp/hr1.log "our yes/no agent was asked"
expect_grep "pairing with $A1: rejected" /tmp/hr1.log "and rejected the pairing"
if grep -q "bonded with" /tmp/hr1.log; then fail "a bond was stored after the rejection"; else pass "no bond stored"; fi
wait_no_link || note "hci1 still lists a connection"

step "read it with --sec-level=medium: Just Works pairing (agent: yes), then the value"
echo yes > /run/bg-hr1.fifo
if read_secret /tmp/read2.log; then pass "encrypted read returns 'bcms secret'"; else fail "encrypted read failed"; fi
expect_grep 'SMP: Pairing Request' /tmp/btmon.log "SMP pairing took place (btmon)"
if wait_grep 5 "bonded with $A1" /tmp/hr1.log; then pass "the example stored the bond"; else
  fail "the example did not report 'bonded with $A1' within 5 s"; cat /tmp/hr1.log; fi
expect_grep "pairing with $A1: accepted" /tmp/hr1.log "our agent accepted the User Confirmation Request (Just Works)"
# Subscribe to Heart Rate Measurement now that the client is bonded: the
# CCCD value is persisted (Core v5.4 Vol 3 Part G 3.3.3.3).
H_HRM=$(sed -n "s/.*char value handle = \(0x[0-9a-f]*\), uuid = 00002a37-.*/\1/p" /tmp/chars.log)
gatt --sec-level=medium --char-desc > /tmp/desc.log 2>&1
H_CCCD=""
for h in $(sed -n 's/^handle = \(0x[0-9a-f]*\), uuid = 00002902-.*/\1/p' /tmp/desc.log); do
  if [ $((h)) -gt $((H_HRM)) ]; then H_CCCD=$h; break; fi
done
gatt --sec-level=medium --char-write-req -a "$H_CCCD" -n 0100 > /tmp/cccd.log 2>&1
cat /tmp/cccd.log
expect_grep 'written successfully' /tmp/cccd.log "bonded client subscribed to the measurement (CCCD $H_CCCD = 0100)"
ls -l "$DB" > /tmp/dbmode.log 2>&1
cat /tmp/dbmode.log
expect_grep '^-rw-------' /tmp/dbmode.log "the bond store is readable by root only (0600)"
if grep -qa "$A1" "$DB" "$DB-wal" 2>/dev/null; then pass "the peer's address is in the SQLite store"; else fail "no record of $A1 in $DB"; fi

step "stop the example (SIGTERM); hci0's kernel forgets the bond"
kill -TERM "$(cat /run/bg-hr1.pid)"
if wait_grep 5 'signal 15, stopping' /tmp/hr1.log; then pass "the example stopped on SIGTERM"; else
  fail "the example did not log its stop on SIGTERM"; fi
bg_stop hr1
cat /tmp/hr1.log
mgmt 0 unpair -t 1 "$A1" > /tmp/unpair.log 2>&1
rc=$?
cat /tmp/unpair.log
expect_eq "btmgmt unpair exit status" 0 "$rc"
expect_grep "$A1 unpaired" /tmp/unpair.log "hci0's kernel had the bond and dropped it"
# (unpair also disconnects: the link must go)
check "hci1 lists no connection after the unpair" wait_no_link
MARK=$(wc -l < /tmp/btmon.log)

step "start the example again with the same store; read encrypted without pairing"
start_example hr2
expect_grep 'loaded [1-9][0-9]* long term key' /tmp/hr2.log "the stored LTK was loaded into the kernel"
if read_secret /tmp/read3.log; then pass "encrypted read after the restart returns 'bcms secret'"; else
  fail "encrypted read after the restart failed"; fi
sleep 0.5
tail -n +"$MARK" /tmp/btmon.log > /tmp/btmon-after.log
expect_grep 'LE Long Term Key Request Reply' /tmp/btmon-after.log "the kernel answered the controller's LTK request with the stored key"
if grep -q 'SMP: Pairing Request' /tmp/btmon-after.log; then fail "pairing ran again after the restart"; else pass "no SMP pairing after the restart"; fi
if grep -q 'pairing with' /tmp/hr2.log; then fail "the agent was asked again after the restart"; else pass "no confirmation request after the restart"; fi
expect_grep "connected: $A1 \(le_public\), bonded" /tmp/hr2.log "the restarted example recognises the bonded peer"
# No CCCD write on this run: the subscription comes back from the store.
t 3 gatttool -i hci1 -b "$A0" -t public --sec-level=medium --char-read -a "$H" --listen > /tmp/listen.log 2>&1
N=$(grep -c "Notification handle = $H_HRM value: " /tmp/listen.log)
if [ "$N" -ge 2 ]; then pass "$N notifications after the restart without subscribing again (CCCD persisted)"; else
  fail "$N notifications after the restart (CCCD not restored?)"; cat /tmp/listen.log; fi

btmon_stop
bg_stop hr2
bg_stop agent
step "logs"
cat /tmp/hr2.log
cat /tmp/agent.log
step "btmon: ATT, SMP, encryption and link events"
grep -E 'ATT: |SMP: |Error: |Encryption Change|Long Term Key Req|Disconnect Complete|LE Connection Complete|MGMT Event: (New Long|User Conf|Device (Conn|Disc)|Auth)' /tmp/btmon.log
finish
