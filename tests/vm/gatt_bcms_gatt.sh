# Scenario (scripts/vm, 2 LE controllers, no bluetoothd): bcms-gatt on hci1
# against our bcms-example-heart-rate on hci0, every command's output
# compared line for line with BlueZ's gatttool doing the same on the same
# link: primary (all, and by UUID), characteristics, char-desc,
# char-read-hnd, char-read-uuid, char-write-req (accepted and refused),
# notifications with --listen (and decoded), --json, -m (MTU), exit codes.
. /etc/bcms-vm-lib.sh

NAME="bcms HR"
gatt() { t 20 gatttool -i hci1 -b "$A0" -t public "$@"; }
ours() { t 20 bcms-gatt -i 1 -b "$A0" -t public "$@"; }

# same LABEL FILE_GATTTOOL FILE_OURS: identical, and not empty.
same() {
  if [ ! -s "$2" ]; then fail "$1: gatttool printed nothing"; cat "$3"; return; fi
  if cmp -s "$2" "$3"; then pass "$1: same output as gatttool ($(wc -l < "$2") lines)"; else
    fail "$1: output differs from gatttool's"; diff "$2" "$3" | head -20; fi
}

step "power on hci1 (the central); start bcms-example-heart-rate on hci0"
check "hci1 powered" power_on 1
btmon_start
bg_start hr bcms-example-heart-rate --index 0 --name "$NAME" --db /tmp/bcms-hr/bonds.db --interval-ms 250
if ! wait_grep 20 'ready on hci0|start failed|cannot' /tmp/hr.log || ! grep -q 'ready on hci0' /tmp/hr.log; then
  fail "the example did not start"; cat /tmp/hr.log; finish
fi
A0=$(addr_of 0)
note "hci0 (peripheral) $A0"

step "primary service discovery"
gatt --primary > /tmp/g-primary.log 2>&1
ours primary > /tmp/o-primary.log 2>&1; rc=$?
expect_eq "bcms-gatt primary exit status" 0 "$rc"
same "primary" /tmp/g-primary.log /tmp/o-primary.log
gatt --primary --uuid=180d > /tmp/g-primary-u.log 2>&1
ours primary -u 180d > /tmp/o-primary-u.log 2>&1
same "primary by UUID" /tmp/g-primary-u.log /tmp/o-primary-u.log

step "characteristics and descriptors"
gatt --characteristics > /tmp/g-chars.log 2>&1
ours characteristics > /tmp/o-chars.log 2>&1
same "characteristics" /tmp/g-chars.log /tmp/o-chars.log
gatt --char-desc > /tmp/g-desc.log 2>&1
ours char-desc > /tmp/o-desc.log 2>&1
same "char-desc" /tmp/g-desc.log /tmp/o-desc.log
vh() { sed -n "s/.*char value handle = \(0x[0-9a-f]*\), uuid = 0000$1-.*/\1/p" /tmp/g-chars.log | head -1; }
H_NAME=$(vh 2a00) H_HRM=$(vh 2a37) H_LOC=$(vh 2a38) H_CP=$(vh 2a39)
H_CCCD=""
for h in $(sed -n 's/^handle = \(0x[0-9a-f]*\), uuid = 00002902-.*/\1/p' /tmp/g-desc.log); do
  if [ $((h)) -gt $((H_HRM)) ]; then H_CCCD=$h; break; fi
done
note "value handles: name $H_NAME, measurement $H_HRM (CCCD $H_CCCD), location $H_LOC, control point $H_CP"

step "reads"
gatt --char-read -a "$H_NAME" > /tmp/g-name.log 2>&1
ours char-read-hnd "$H_NAME" > /tmp/o-name.log 2>&1
same "char-read-hnd Device Name" /tmp/g-name.log /tmp/o-name.log
gatt --char-read --uuid=2a38 > /tmp/g-uuid.log 2>&1
ours char-read-uuid 2a38 > /tmp/o-uuid.log 2>&1
same "char-read-uuid 0x2a38" /tmp/g-uuid.log /tmp/o-uuid.log
ours -m 247 char-read-hnd "$H_LOC" > /tmp/o-mtu.log 2>&1; rc=$?
expect_eq "-m 247 exit status" 0 "$rc"
expect_grep 'Characteristic value/descriptor: 01 $' /tmp/o-mtu.log "Body Sensor Location after an MTU exchange"

step "writes"
gatt --char-write-req -a "$H_CP" -n 01 > /tmp/g-cp.log 2>&1
ours char-write-req "$H_CP" 01 > /tmp/o-cp.log 2>&1; rc=$?
expect_eq "char-write-req 01 exit status" 0 "$rc"
same "char-write-req accepted" /tmp/g-cp.log /tmp/o-cp.log
ours char-write-req "$H_CP" 02 > /tmp/o-cp2.log 2>&1; rc=$?
cat /tmp/o-cp2.log
expect_eq "refused write: exit status 1" 1 "$rc"
expect_grep 'Characteristic Write Request failed: .*0x80' /tmp/o-cp2.log "the ATT error 0x80 is named"
ours char-write-req "$H_CP" 0g > /tmp/o-bad.log 2>&1; rc=$?
expect_eq "malformed value: exit status 2" 2 "$rc"
t 10 bcms-gatt -i 1 -b 00:11:22:33:44 primary > /tmp/o-badaddr.log 2>&1; rc=$?
expect_eq "malformed address: exit status 2" 2 "$rc"

step "notifications: subscribe and listen"
t 5 gatttool -i hci1 -b "$A0" -t public --char-write-req -a "$H_CCCD" -n 0100 --listen > /tmp/g-listen.log 2>&1
t 5 bcms-gatt -i 1 -b "$A0" --listen char-write-req "$H_CCCD" 0100 > /tmp/o-listen.log 2>&1
head -8 /tmp/o-listen.log
NG=$(grep -c "Notification handle = $H_HRM value: 1e " /tmp/g-listen.log)
NO=$(grep -c "Notification handle = $H_HRM value: 1e " /tmp/o-listen.log)
if [ "$NO" -ge 3 ]; then pass "bcms-gatt: $NO notifications in 5 s (gatttool: $NG)"; else fail "bcms-gatt: only $NO notifications (gatttool: $NG)"; fi
expect_grep '^Characteristic value was written successfully$' /tmp/o-listen.log "the CCCD write was answered"
expect_grep '^  heart_rate rate=[0-9]+ bpm' /tmp/o-listen.log "notifications decoded as Heart Rate Measurement"

step "--json"
ours --json primary > /tmp/o-json.log 2>&1
expect_grep '^\{"start":1,"end":5,"uuid":"00001800-0000-1000-8000-00805f9b34fb"\}$' /tmp/o-json.log "JSON line for Generic Access"

step "a device that is not there: timed out, exit 4"
t 20 bcms-gatt -i 1 -b 00:11:22:33:44:55 --timeout 2 primary > /tmp/o-absent.log 2>&1; rc=$?
cat /tmp/o-absent.log
expect_eq "absent device: exit status 4" 4 "$rc"

btmon_stop
finish
