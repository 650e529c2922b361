# Scenario (scripts/vm --bin bcms-mgmt, 2 LE controllers): LE pairing and
# connection commands between the two controllers, all driven by bcms-mgmt:
#   hci0 (responder) runs `bcms-mgmt --json agent` and advertises;
#   hci1 (initiator, LE privacy on) runs `bcms-mgmt --json pair` (Just
#   Works, kernel 6.12); then con, conn-info, ltks --file, irks --file,
#   disconnect, unpair, a second pair in text mode answering the
#   confirmation on stdin (pair -c KeyboardDisplay -t public), and
#   cancelpair of a pairing that cannot complete.
# References: btmgmt (con, conn-info, unpair as the key read-back) and
# btmon's decoding of the kernel's events and replies.
#
# The LE link is held open by an L2CAP connection (BlueZ's l2test, LE
# credit-based PSM 0x80) from before the pairing until `disconnect`: the
# kernel otherwise drops an idle link about 2 s after Pair Device ends, and
# con/conn-info/disconnect would depend on how fast they run.
# hci0 loads an (empty) IRK list first, as bluetoothd does at start-up: that
# turns on RPA resolution, so hci0 asks for hci1's identity key, and hci1
# (privacy on) sends it.
. /etc/bcms-vm-lib.sh

# --- helpers (btmon_*: /etc/bcms-vm-lib.sh) -------------------------------
# bt_con INDEX: btmgmt's connection list of hciINDEX, one "ADDR type T" a
# line (nothing for no connection).  When btmgmt con fails, a text that
# matches no list: this runs in $(...), where fail would not count.
bt_con() {
  _bc=$(mgmt "$1" con 2>&1) || { echo "(btmgmt --index $1 con failed: $_bc)"; return 1; }
  echo "$_bc" | grep ' type ' | sed 's/[[:space:]]*$//'
}
# our_con INDEX: the same from `bcms-mgmt con`, which must exit 0.
our_con() {
  _oc=$(t 10 bcms-mgmt --index "$1" con 2>&1) || { echo "(bcms-mgmt --index $1 con failed: $_oc)"; return 1; }
  echo "$_oc"
}
# -------------------------------------------------------------------------

step "set-up: hci1 privacy on, both powered and bondable, hci0 advertises"
check "hci1 privacy on" t 10 bcms-mgmt --index 1 privacy on
for i in 0 1; do
  check "hci$i power on" t 10 bcms-mgmt --index $i power on
  check "hci$i bondable on" t 10 bcms-mgmt --index $i bondable on
done
check "hci0 connectable on" t 10 bcms-mgmt --index 0 connectable on
check "hci0 advertising on" t 10 bcms-mgmt --index 0 advertising on
check "hci0 irks (empty list: RPA resolution on)" t 10 bcms-mgmt --index 0 irks
A0=$(addr_of 0)
A1=$(addr_of 1)
note "hci0 $A0, hci1 $A1"
btmon_start

step "bcms-mgmt agent on hci0"
bg_start agent bcms-mgmt --json --index 0 agent
wait_grep 5 '"event":"Agent Running"' /tmp/agent.log || fail "agent did not start: $(cat /tmp/agent.log)"

step "an L2CAP link hci1 -> hci0 (l2test) holds the connection"
bg_start l2s l2test -i hci0 -r -V le_public -P 128
wait_grep 5 'Waiting for connection' /tmp/l2s.log || fail "l2test server did not start"
bg_start l2c l2test -i hci1 -n -V le_public -P 128 "$A0"
wait_grep 10 "Connected to $A0" /tmp/l2c.log || { fail "l2test did not connect"; cat /tmp/l2c.log; }

step "con: the same connections as btmgmt con, on both sides"
our_con 1 > /tmp/o.txt
expect_same "con on hci1 = btmgmt con" "$(bt_con 1)" "$(cat /tmp/o.txt)"
expect_eq "con on hci1 lists hci0" "$A0 type LE Public" "$(cat /tmp/o.txt)"
our_con 0 > /tmp/o.txt
expect_same "con on hci0 = btmgmt con" "$(bt_con 0)" "$(cat /tmp/o.txt)"
expect_grep ' type LE Random$' /tmp/o.txt "con on hci0: hci1 connected from a random (private) address"

step "pair: bcms-mgmt --json pair on hci1 (Just Works)"
t 30 bcms-mgmt --json --index 1 pair "$A0" > /tmp/pair.json 2> /tmp/pair.err
rc=$?
cat /tmp/pair.json /tmp/pair.err
expect_eq "pair exit status" 0 "$rc"
expect_grep "^\\{\"index\":1,\"paired\":\"$A0\",\"address_type\":\"le_public\"" /tmp/pair.json "pair: result line"
expect_grep "\"event\":\"New Long Term Key\",\"index\":1,\"store_hint\":1,\"address\":\"$A0\"" /tmp/pair.json "pair: New Long Term Key printed"
expect_eq "pair: two LTKs (one per role)" 2 "$(grep -c '"event":"New Long Term Key"' /tmp/pair.json)"
wait_grep 5 '"event":"New Long Term Key"' /tmp/agent.log || fail "agent: no New Long Term Key"
cat /tmp/agent.log
expect_grep '"event":"User Confirmation Request","index":0' /tmp/agent.log "agent: answered the confirmation"
expect_grep "\"event\":\"New Identity Resolving Key\",\"index\":0,\"store_hint\":1,\"random_address\":\"[0-9A-F:]+\",\"address\":\"$A1\"" \
  /tmp/agent.log "agent: hci1's IRK with its identity address"
# the kernel resolved hci1's private address: btmgmt now lists the identity
expect_eq "btmgmt con on hci0 after pairing: hci1's identity" "$A1 type LE Public" "$(bt_con 0)"
expect_eq "btmgmt con on hci1 after pairing" "$A0 type LE Public" "$(bt_con 1)"

step "conn-info: the kernel's answer, as btmon decoded it"
# btvirt has no HCI Read RSSI, so a refresh of the kernel's cached values
# fails (Failed, 0x03) and a cached answer succeeds; btmgmt asks first, and
# whichever answer bcms-mgmt gets, it must print what the kernel said.
mgmt 1 conn-info -t 1 "$A0" > /tmp/b.txt 2>&1
cat /tmp/b.txt
t 10 bcms-mgmt --index 1 conn-info -t public "$A0" > /tmp/ci.txt 2>&1
ci_rc=$?
cat /tmp/ci.txt

step "disconnect"
t 10 bcms-mgmt --index 1 disconnect "$A0" > /tmp/o.txt 2>&1
expect_eq "disconnect exit status" 0 "$?"
expect_grep "^hci1 Disconnect $A0 \\(LE Public\\) complete$" /tmp/o.txt "disconnect reported"
wait_grep 5 'Disconnected' /tmp/l2c.log || fail "l2test client did not see the disconnection"
expect_eq "btmgmt con on hci1 after disconnect" "" "$(bt_con 1)"
expect_eq "bcms-mgmt con on hci1 after disconnect" "No connections" "$(our_con 1)"
bg_stop l2c
bg_stop l2s

# (from here on the link is down: btmgmt's unpair always asks for a
# disconnection too, so it can serve as the key read-back only now)
step "ltks: reload the keys pair printed (btmgmt unpair is the read-back)"
check "ltks (none: clears hci1's LTKs)" t 10 bcms-mgmt --index 1 ltks
mgmt 1 unpair -t 1 "$A0" > /tmp/b.txt 2>&1
expect_grep 'Not Paired' /tmp/b.txt "btmgmt unpair after the clear: Not Paired"
t 10 bcms-mgmt --index 1 ltks --file /tmp/pair.json > /tmp/o.txt 2>&1
expect_grep '^hci1 Load Long Term Keys: 2 keys loaded$' /tmp/o.txt "ltks --file: both LTKs loaded"
mgmt 1 unpair -t 1 "$A0" > /tmp/b.txt 2>&1
expect_grep "$A0 unpaired" /tmp/b.txt "btmgmt unpair after ltks --file: the keys were there"
check "ltks --file again (for the unpair below)" t 10 bcms-mgmt --index 1 ltks --file /tmp/pair.json

step "irks: load the IRK the agent printed into hci0"
t 10 bcms-mgmt --index 0 irks --file /tmp/agent.log > /tmp/o.txt 2>&1
expect_grep '^hci0 Load Identity Resolving Keys: 1 keys loaded$' /tmp/o.txt "irks --file: one IRK loaded"

step "unpair"
t 10 bcms-mgmt --index 1 unpair "$A0" > /tmp/o.txt 2>&1
expect_grep "^hci1 Unpair Device $A0 \\(LE Public\\) complete$" /tmp/o.txt "unpair reported"
mgmt 1 unpair -t 1 "$A0" > /tmp/b.txt 2>&1
expect_grep 'Not Paired' /tmp/b.txt "btmgmt unpair after ours: Not Paired"
t 10 bcms-mgmt --index 1 unpair "$A0" > /tmp/o.txt 2>&1
rc=$?
expect_eq "unpair again: exit status" 1 "$rc"
expect_grep '^Unpair Device failed: Not Paired \(0x06\)$' /tmp/o.txt "unpair again: status by name"
check "unpair hci1's identity on hci0" t 10 bcms-mgmt --index 0 unpair "$A1"

step "pair in text mode: -c KeyboardDisplay, the confirmation answered on stdin"
echo yes | t 30 bcms-mgmt --index 1 pair -c KeyboardDisplay -t public "$A0" > /tmp/pair.txt 2>&1
rc=$?
cat /tmp/pair.txt
expect_eq "text pair exit status" 0 "$rc"
expect_grep "User Confirmation Request from $A0 \\(LE Public\\)" /tmp/pair.txt "text pair: confirmation asked"
expect_grep "^hci1 New Long Term Key: store_hint 1 address $A0 address_type le_public " /tmp/pair.txt "text pair: New Long Term Key printed"
expect_grep "^Paired with $A0 \\(LE Public\\)$" /tmp/pair.txt "text pair: result line"

step "cancelpair: a pairing with an absent device, cancelled"
bg_start pc sh -c 'bcms-mgmt --index 1 pair 00:11:22:33:44:55; echo "exit $?"'
# Pair Device has been handled once the kernel puts the address on the
# controller's accept list for its connection scan (HCI, in btmon)
wait_grep 10 '^ +Address: 00:11:22:33:44:55' /tmp/btmon.log || fail "the kernel did not start connecting to 00:11:22:33:44:55"
t 10 bcms-mgmt --index 1 cancelpair 00:11:22:33:44:55 > /tmp/o.txt 2>&1
expect_grep '^hci1 Cancel Pair Device 00:11:22:33:44:55 \(LE Public\) complete$' /tmp/o.txt "cancelpair reported"
wait_grep 5 '^exit ' /tmp/pc.log || fail "the cancelled pair did not end"
bg_stop pc
cat /tmp/pc.log
expect_grep '^Pair Device failed: Cancelled \(0x10\)$' /tmp/pc.log "cancelled pair: status by name"
expect_grep '^exit 1$' /tmp/pc.log "cancelled pair: exit status 1"
bg_stop agent

step "btmon: our commands, the kernel's replies and key events"
btmon_stop
btmon_blocks bcms-mgmt > /tmp/ours.log
btmon_clean /tmp/ours.log
btmon_mgmt Command 0019 "LE Address: $A0"
btmon_mgmt Command 0019 'Capability: NoInputNoOutput \(0x03\)'
btmon_mgmt Command 0019 'Capability: KeyboardDisplay \(0x04\)'
btmon_mgmt Command 001c "LE Address: "
btmon_mgmt Command 001a 'LE Address: 00:11:22:33:44:55'
btmon_mgmt Command 0014 "LE Address: $A0"
btmon_mgmt Command 001b "LE Address: $A0"
btmon_mgmt Command 0031 "LE Address: $A0"
btmon_mgmt Command 0013 'Keys: 2'
btmon_mgmt Command 0030 'Keys: 1'
btmon_mgmt Event 000a 'Key type: Unauthenticated legacy key \(0x00\)'
btmon_mgmt Event 0018 "LE Address: $A1"
# the IRK we loaded is the one the kernel handed out
irk_event=$(btmon_field Event 0018 Key)
irk_loaded=$(btmon_field Command 0030 Key)
[ -n "$irk_event" ] && expect_eq "irks --file loaded the IRK of the New IRK event" "$irk_event" "$irk_loaded" ||
  fail "no IRK in btmon's New Identity Resolving Key event"
# conn-info printed the kernel's answer to our Get Connection Information
ci_reply=$(OP='Get Connection Information (0x0031)' awk '
  /^[^ ]/ { inrep = index($0, "@ MGMT Event: Command Comp") == 1; next }
  inrep && index($0, ENVIRON["OP"]) { want = 1; next }
  want && /Status:/ { sub(/^ *Status: /, ""); print; exit }' /tmp/ours.log)
note "kernel's answer to our conn-info: $ci_reply"
case "$ci_reply" in
  "Success (0x00)")
    expect_eq "conn-info succeeded as the kernel answered" 0 "$ci_rc"
    rssi=$(awk '/Get Connection Information \(0x0031\)/ { w = 1 } w && /RSSI:/ { print; exit }' /tmp/ours.log | sed 's/.*(0x\(..\))/\1/')
    expect_grep "RSSI $(printf '%d' "0x$rssi" | awk '{ print ($1 > 127 ? $1 - 256 : $1) }')[[:space:]]" /tmp/ci.txt "conn-info: RSSI as btmon decoded it" ;;
  *)
    expect_eq "conn-info failed as the kernel answered" 1 "$ci_rc"
    expect_grep "^Get Connection Information failed: $(echo "$ci_reply" | sed 's/[()]/\\&/g')$" /tmp/ci.txt "conn-info: the kernel's status by name" ;;
esac
finish
