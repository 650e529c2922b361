# Scenario (scripts/vm, 2 LE controllers, no bluetoothd): our
# bcms-example-heart-rate serves GATT on hci0; BlueZ's gatttool, an
# independent client, talks to it from hci1.  Every check reads gatttool's
# own output:
#   primary service discovery lists 0x1800, 0x1801 and 0x180d;
#   characteristic discovery lists 0x2a00, 0x2a37, 0x2a38, 0x2a39;
#   Device Name (0x2A00) reads back the name we gave;
#   Body Sensor Location (0x2A38) reads 01 (chest);
#   a write of 01 to the Heart Rate Control Point succeeds (and the
#   example logs it), a write of 02 is refused with ATT error 0x80;
#   with --listen, after writing 0100 to the measurement's CCCD, gatttool
#   prints Heart Rate Measurement notifications.
. /etc/bcms-vm-lib.sh

NAME="bcms HR"

# gatt CMD...: gatttool on hci1 against hci0, bounded.
gatt() { t 20 gatttool -i hci1 -b "$A0" -t public "$@"; }

step "power on hci1 (the central)"
check "hci1 powered" power_on 1
btmon_start

step "start bcms-example-heart-rate on hci0"
bg_start hr bcms-example-heart-rate --index 0 --name "$NAME" --db /tmp/bcms-hr/bonds.db --interval-ms 250
if ! wait_grep 20 'ready on hci0|start failed|cannot' /tmp/hr.log || ! grep -q 'ready on hci0' /tmp/hr.log; then
  fail "the example did not start"
  cat /tmp/hr.log
  finish
fi
pass "the example is serving"
cat /tmp/hr.log
A0=$(addr_of 0)
note "hci0 (peripheral) $A0, hci1 (central) $(addr_of 1)"

step "primary service discovery"
gatt --primary > /tmp/primary.log 2>&1
cat /tmp/primary.log
expect_grep 'uuid: 00001800-0000-1000-8000-00805f9b34fb' /tmp/primary.log "Generic Access 0x1800"
expect_grep 'uuid: 00001801-0000-1000-8000-00805f9b34fb' /tmp/primary.log "Generic Attribute 0x1801"
expect_grep 'uuid: 0000180d-0000-1000-8000-00805f9b34fb' /tmp/primary.log "Heart Rate 0x180d"

step "characteristic discovery"
gatt --characteristics > /tmp/chars.log 2>&1
cat /tmp/chars.log
for u in 2a00 2a01 2a37 2a38 2a39; do
  expect_grep "uuid = 0000$u-0000-1000-8000-00805f9b34fb" /tmp/chars.log "characteristic 0x$u"
done
vh() { sed -n "s/.*char value handle = \(0x[0-9a-f]*\), uuid = 0000$1-.*/\1/p" /tmp/chars.log | head -1; }
H_NAME=$(vh 2a00) H_HRM=$(vh 2a37) H_LOC=$(vh 2a38) H_CP=$(vh 2a39)
note "value handles: name $H_NAME, measurement $H_HRM, location $H_LOC, control point $H_CP"

step "read Device Name (0x2A00) and Body Sensor Location (0x2A38)"
gatt --char-read -a "$H_NAME" > /tmp/name.log 2>&1
cat /tmp/name.log
NAME_HEX=$(printf '%s' "$NAME" | od -An -tx1 | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')
expect_grep "Characteristic value/descriptor: $NAME_HEX" /tmp/name.log "Device Name reads '$NAME' ($NAME_HEX)"
gatt --char-read -a "$H_LOC" > /tmp/loc.log 2>&1
cat /tmp/loc.log
expect_grep 'Characteristic value/descriptor: 01 *$' /tmp/loc.log "Body Sensor Location reads 01 (chest)"

step "write the Heart Rate Control Point"
gatt --char-write-req -a "$H_CP" -n 01 > /tmp/cp.log 2>&1
cat /tmp/cp.log
expect_grep 'written successfully' /tmp/cp.log "write 01 (reset energy expended) accepted"
expect_grep 'control point: energy expended reset' /tmp/hr.log "the example saw the reset"
gatt --char-write-req -a "$H_CP" -n 02 > /tmp/cp2.log 2>&1
cat /tmp/cp2.log
# gatttool names ATT error 0x80 after its ATT_ECODE_IO (attrib/att.c
# att_ecode2str); the code itself is checked in btmon below.
expect_grep '^Characteristic Write Request failed: Internal application error: I/O$' /tmp/cp2.log \
  "write 02 refused (HRS 3.3.1: 0x80 Control Point not supported)"
if grep -q 'written successfully' /tmp/cp2.log; then fail "write 02 reported as written"; fi

step "subscribe to Heart Rate Measurement and listen for notifications"
gatt --char-desc > /tmp/desc.log 2>&1
# The CCCD (0x2902) that follows the measurement's value handle.
H_CCCD=""
for h in $(sed -n 's/^handle = \(0x[0-9a-f]*\), uuid = 00002902-.*/\1/p' /tmp/desc.log); do
  if [ $((h)) -gt $((H_HRM)) ]; then H_CCCD=$h; break; fi
done
[ -n "$H_CCCD" ] || { fail "no CCCD after $H_HRM in gatttool --char-desc"; cat /tmp/desc.log; }
note "measurement CCCD $H_CCCD"
t 5 gatttool -i hci1 -b "$A0" -t public --char-write-req -a "$H_CCCD" -n 0100 --listen > /tmp/listen.log 2>&1
cat /tmp/listen.log
N=$(grep -c "Notification handle = $H_HRM value: " /tmp/listen.log)
if [ "$N" -ge 3 ]; then pass "$N notifications on $H_HRM in 5 s"; else fail "only $N notifications on $H_HRM"; fi
# HRS 3.1: flags 0x1e = uint8 value, contact detected + supported, energy, RR.
expect_grep "Notification handle = $H_HRM value: 1e [0-9a-f][0-9a-f] " /tmp/listen.log "notifications carry a Heart Rate Measurement (flags 0x1e)"

btmon_stop
# The refused control point write, as btmon decodes our Error Response.
grep -A3 'ATT: Error Response' /tmp/btmon.log | grep -E 'Handle|Error:' > /tmp/att-errors.log
expect_grep "Error: .*\(0x80\)" /tmp/att-errors.log "ATT Error Response 0x80 on the control point (btmon)"
step "example log"
cat /tmp/hr.log
finish
