# Scenario (scripts/vm, 2 LE controllers, no bluetoothd): the other example
# peripherals, one after the other on hci0, each read by BlueZ's gatttool
# from hci1 (an independent client):
#   bcms-example-env-sensor      Temperature 0x2A6E reads about 24.58 degC
#                                (sint16 0.01, seed 004: 9a 09), Humidity
#                                0x2A6F about 45 % (uint16 0.01),
#                                temperature notifications arrive;
#   bcms-example-battery         Battery Level 0x2A19 reads about 100 %,
#                                notifications count down;
#   bcms-example-blood-pressure  Feature 0x2A49 reads 00 00; indications of
#                                Blood Pressure Measurement 0x2A35 carry
#                                flags 06 and SFLOAT 120/80/93 mmHg.
# Each example is stopped (SIGINT) and the link dropped before the next
# starts: a kernel ATT channel belongs to the listener that existed when
# the link came up.
. /etc/bcms-vm-lib.sh

gatt() { t 20 gatttool -i hci1 -b "$A0" -t public "$@"; }

# start NAME PROGRAM ARGS...: runs PROGRAM on hci0 until `ready`.
start() {
  _n=$1
  shift
  bg_start "$_n" "$@" --index 0 --no-bonds
  if ! wait_grep 20 'ready on hci0|start failed|cannot' "/tmp/$_n.log" || ! grep -q 'ready on hci0' "/tmp/$_n.log"; then
    fail "$_n did not start"
    cat "/tmp/$_n.log"
    return 1
  fi
  pass "$_n is serving"
}
# stop NAME: SIGINT, then drop hci1's link to hci0.
stop() {
  bg_stop "$1"
  mgmt 1 disconnect -t 1 "$A0" > /dev/null 2>&1
  _i=0
  while mgmt 1 con 2>/dev/null | grep -q 'type LE' && [ "$_i" -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
}
# read_uuid UUID16 FILE: Read By Type of one characteristic (gatttool --uuid).
read_uuid() { gatt --char-read --uuid="$1" > "$2" 2>&1; cat "$2"; }
# cccd_of VALUE_HANDLE: the CCCD that follows a value handle (--char-desc).
cccd_of() {
  gatt --char-desc > /tmp/desc.log 2>&1
  for h in $(sed -n 's/^handle = \(0x[0-9a-f]*\), uuid = 00002902-.*/\1/p' /tmp/desc.log); do
    if [ $((h)) -gt $(($1)) ]; then echo "$h"; return 0; fi
  done
  return 1
}
# value_handle UUID16: from characteristic discovery.
value_handle() {
  gatt --characteristics > /tmp/chars.log 2>&1
  sed -n "s/.*char value handle = \(0x[0-9a-f]*\), uuid = 0000$1-.*/\1/p" /tmp/chars.log | head -1
}

step "power on hci1 (the central)"
check "hci1 powered" power_on 1
A0=$(addr_of 0)

step "bcms-example-env-sensor: Environmental Sensing 0x181A"
if start env bcms-example-env-sensor --interval-ms 200; then
  read_uuid 2a6e /tmp/temp.log
  # 24.58 degC +- 0.5 as sint16 0.01: 0x0968..0x09cc, little-endian.
  expect_grep 'value: [0-9a-f]{2} 09 *$' /tmp/temp.log "Temperature reads about 24.58 degC (xx 09)"
  read_uuid 2a6f /tmp/hum.log
  # 45 % +- 2 as uint16 0.01: 0x10cc..0x125c.
  expect_grep 'value: [0-9a-f]{2} 1[0-2] *$' /tmp/hum.log "Humidity reads about 45 % (xx 10..12)"
  H=$(value_handle 2a6e)
  C=$(cccd_of "$H")
  note "temperature value handle $H, CCCD $C"
  t 6 gatttool -i hci1 -b "$A0" -t public --char-write-req -a "$C" -n 0100 --listen > /tmp/env-listen.log 2>&1
  cat /tmp/env-listen.log
  N=$(grep -c "Notification handle = $H value: [0-9a-f][0-9a-f] [0-9a-f][0-9a-f] *$" /tmp/env-listen.log)
  if [ "$N" -ge 3 ]; then pass "$N temperature notifications (2 octets each)"; else fail "$N temperature notifications"; fi
  stop env
fi

step "bcms-example-battery: Battery Service 0x180F"
if start bat bcms-example-battery --interval-ms 200; then
  read_uuid 2a19 /tmp/bat-level.log
  expect_grep 'value: (6[0-4]|5[0-9a-f]) *$' /tmp/bat-level.log "Battery Level reads 100 % or a little less (one step per 200 ms)"
  H=$(value_handle 2a19)
  C=$(cccd_of "$H")
  t 6 gatttool -i hci1 -b "$A0" -t public --char-write-req -a "$C" -n 0100 --listen > /tmp/bat-listen.log 2>&1
  cat /tmp/bat-listen.log
  N=$(grep -c "Notification handle = $H value: [0-9a-f][0-9a-f] *$" /tmp/bat-listen.log)
  if [ "$N" -ge 3 ]; then pass "$N battery level notifications"; else fail "$N battery level notifications"; fi
  stop bat
fi

step "bcms-example-blood-pressure: Blood Pressure 0x1810"
if start bp bcms-example-blood-pressure --interval-ms 300; then
  read_uuid 2a49 /tmp/bpf.log
  expect_grep 'value: 00 00 *$' /tmp/bpf.log "Blood Pressure Feature reads 00 00"
  H=$(value_handle 2a35)
  C=$(cccd_of "$H")
  note "measurement value handle $H, CCCD $C"
  t 6 gatttool -i hci1 -b "$A0" -t public --char-write-req -a "$C" -n 0200 --listen > /tmp/bp-listen.log 2>&1
  cat /tmp/bp-listen.log
  N=$(grep -c "Indication   handle = $H value: " /tmp/bp-listen.log)
  if [ "$N" -ge 3 ]; then pass "$N measurement indications (each confirmed by gatttool)"; else fail "$N indications"; fi
  # Flags 06 (mmHg, Time Stamp, Pulse Rate); SFLOAT 120, 80, 93 mmHg first.
  expect_grep "Indication   handle = $H value: 06 78 00 50 00 5d 00 " /tmp/bp-listen.log "a reading of 120/80/93 mmHg as SFLOAT"
  expect_grep "Indication   handle = $H value: 06 76 00 4e 00 5b 00 " /tmp/bp-listen.log "a reading of 118/78/91 mmHg"
  stop bp
fi
finish
