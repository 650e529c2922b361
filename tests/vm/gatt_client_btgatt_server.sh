# Scenario (scripts/vm, 2 LE controllers, no bluetoothd): our GATT client
# (bcms-gatt on hci1) against BlueZ's btgatt-server on hci0 (tools/
# btgatt-server.c built from Debian's bluez source package: bluetoothd's
# src/shared/gatt-server.c engine with a GAP service whose Device Name is
# 77 octets and writable at any offset, and -r a Heart Rate service that
# notifies once a second while its CCCD is on).
#   1. full discovery: primary services (all, by UUID), characteristics,
#      descriptors -- the same lines as gatttool prints on the same link;
#   2. a long read at ATT_MTU 23 (one Read Request, then Read Blob Requests,
#      btmon) returns btgatt-server's whole 77-octet name;
#   3. a write of a new 20-octet name and its read-back on one connection
#      (bcms-gatt -I).  Not a long write: btgatt-server's Device Name
#      callback treats the zero-length validation call BlueZ's gatt-server
#      makes for each Prepare Write Request (offset 0, length 0) as "empty
#      the name", so every later prepared part is past the end (Invalid
#      Offset).  Our client's long and reliable writes are checked in
#      the engine tests (a real GattServer and scripted peers);
#   4. notifications: the CCCD written, at least 2 Heart Rate Measurements
#      in 4 s, decoded.
# btgatt-server accepts one connection and exits when it ends, so every
# client run gets a fresh server (srv), and the LE link is down before the
# next one (an idle link the kernel keeps would carry the next ATT channel
# to no listener).  The write and its read-back share one bcms-gatt -I
# session (one connection, one server).
. /etc/bcms-vm-lib.sh
. /etc/bcms-btgatt-lib.sh

LONG_NAME="Very Long Test Device Name For Testing ATT Protocol Operations On GATT Server"
NEW_NAME="bcms wrote this name"
# srv: a fresh btgatt-server -r on hci0 (log /tmp/srv.log), listening.
srv() {
  bg_stop srv
  wait_no_le_link 3 || { mgmt 1 disconnect -t 1 "$A0" > /dev/null 2>&1; wait_no_le_link 5; }
  bg_start srv btgatt-server -i hci0 -r -v
  wait_grep 10 'Started listening' /tmp/srv.log || { fail "btgatt-server did not start"; cat /tmp/srv.log; finish; }
}
gatt() { srv; t 20 gatttool -i hci1 -b "$A0" -t public "$@"; }
ours() { srv; t 20 bcms-gatt -i 1 -b "$A0" -t public "$@"; }

same() {
  if [ ! -s "$2" ]; then fail "$1: gatttool printed nothing"; cat "$3"; return; fi
  if cmp -s "$2" "$3"; then pass "$1: same output as gatttool ($(wc -l < "$2") lines)"; else
    fail "$1: output differs from gatttool's"; diff "$2" "$3" | head -20; fi
}
# pdus KIND: how many ATT PDUs named KIND hci1 sent since the mark.
pdus() { tail -n +"$MARK" /tmp/btmon.log | btmon_tx 1 /dev/stdin | grep -c "ATT: $1"; }
mark() { MARK=$(($(wc -l < /tmp/btmon.log) + 1)); }

step "hci0 connectable and advertising, btgatt-server -r on it; hci1 powered"
check "hci0 powered" power_on 0
check "hci0 connectable" mgmt 0 connectable on
check "hci0 advertising" mgmt 0 advertising on
check "hci1 powered" power_on 1
btmon_start
A0=$(addr_of 0)
note "hci0 (btgatt-server) $A0"

step "discovery"
gatt --primary > /tmp/g-primary.log 2>&1
ours primary > /tmp/o-primary.log 2>&1; rc=$?
expect_eq "bcms-gatt primary exit status" 0 "$rc"
cat /tmp/o-primary.log
same "primary" /tmp/g-primary.log /tmp/o-primary.log
expect_grep 'uuid: 0000180d-0000-1000-8000-00805f9b34fb' /tmp/o-primary.log "the Heart Rate service is found"
ours primary -u 180d > /tmp/o-primary-u.log 2>&1
gatt --primary --uuid=180d > /tmp/g-primary-u.log 2>&1
same "primary by UUID" /tmp/g-primary-u.log /tmp/o-primary-u.log
gatt --characteristics > /tmp/g-chars.log 2>&1
ours characteristics > /tmp/o-chars.log 2>&1; rc=$?
expect_eq "characteristics exit status" 0 "$rc"
same "characteristics" /tmp/g-chars.log /tmp/o-chars.log
gatt --char-desc > /tmp/g-desc.log 2>&1
ours char-desc > /tmp/o-desc.log 2>&1
same "char-desc" /tmp/g-desc.log /tmp/o-desc.log
vh() { sed -n "s/.*char value handle = \(0x[0-9a-f]*\), uuid = 0000$1-.*/\1/p" /tmp/o-chars.log | head -1; }
H_NAME=$(vh 2a00) H_HRM=$(vh 2a37)
H_CCCD=""
for h in $(sed -n 's/^handle = \(0x[0-9a-f]*\), uuid = 00002902-.*/\1/p' /tmp/o-desc.log); do
  if [ $((h)) -gt $((H_HRM)) ]; then H_CCCD=$h; break; fi
done
note "Device Name $H_NAME, Heart Rate Measurement $H_HRM (CCCD $H_CCCD)"
[ -n "$H_NAME" ] && [ -n "$H_HRM" ] && [ -n "$H_CCCD" ] || { fail "handles not found"; finish; }

step "a long read at ATT_MTU 23"
mark
ours char-read-hnd "$H_NAME" > /tmp/o-name.log 2>&1; rc=$?
expect_eq "char-read-hnd exit status" 0 "$rc"
expect_grep "Characteristic value/descriptor: $(spaced_hex "$LONG_NAME") 00 \$" /tmp/o-name.log \
  "the whole 77-octet name (with its NUL) read"
n=$(pdus 'Read Blob Request')
if [ "$n" -ge 3 ]; then pass "$n Read Blob Requests after the Read Request (btmon)"; else fail "$n Read Blob Requests (want >= 3)"; fi
gatt --char-read -a "$H_NAME" > /tmp/g-name.log 2>&1
note "gatttool (no long read): $(cat /tmp/g-name.log)"

step "a write, read back on the same connection (bcms-gatt -I)"
mark
srv
printf 'connect\nchar-write-req %s %s\nchar-read-hnd %s\nexit\n' "$H_NAME" "$(spaced_hex "$NEW_NAME" | tr -d ' ')" "$H_NAME" |
  t 20 bcms-gatt -i 1 -b "$A0" -t public -I > /tmp/o-write.log 2>&1; rc=$?
cat /tmp/o-write.log
expect_eq "bcms-gatt -I exit status" 0 "$rc"
expect_grep 'Characteristic value was written successfully' /tmp/o-write.log "the write was answered"
n=$(pdus 'Write Request')
if [ "$n" -ge 1 ]; then pass "$n Write Request (btmon)"; else fail "no Write Request"; fi
expect_grep 'GAP Device Name Write called' /tmp/srv.log "btgatt-server ran its write handler"
expect_grep "Characteristic value/descriptor: $(spaced_hex "$NEW_NAME") ?\$" /tmp/o-write.log "the new name read back whole"

step "notifications"
srv
t 6 bcms-gatt -i 1 -b "$A0" -t public --listen char-write-req "$H_CCCD" 0100 > /tmp/o-listen.log 2>&1
head -6 /tmp/o-listen.log
expect_grep '^Characteristic value was written successfully$' /tmp/o-listen.log "the CCCD write was answered"
n=$(grep -c "Notification handle = $H_HRM value: " /tmp/o-listen.log)
if [ "$n" -ge 2 ]; then pass "$n Heart Rate Measurement notifications in 5 s"; else fail "$n notifications (want >= 2)"; fi
expect_grep '^  heart_rate rate=[0-9]+ bpm' /tmp/o-listen.log "notifications decoded as Heart Rate Measurement"

bg_stop srv
btmon_stop
finish
