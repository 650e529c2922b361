# Scenario (scripts/vm --bin bcms-collect --bin bcms-example-blood-pressure,
# 2 LE controllers): the collector's active path on a real kernel.
# bcms-collect --active scans on hci0; bcms-example-blood-pressure
# advertises on hci1 (name bcms-bpm, Blood Pressure 0x1810, so the
# blood_pressure profile matches) and indicates a measurement every 500 ms
# from a fixed cycle (120/80/93 pulse 72, 118/78/91 pulse 70, 125/83/97
# pulse 75, 130/85/100 pulse 78).  The collector connects (an L2CAP LE
# socket to the ATT channel), discovers, subscribes to 0x2A35 indications
# for --listen 3 s and must print every measurement it was sent, each one
# a row of the cycle, then disconnect and not come back (60 s).
# Before subscribing, the procedure reads Battery Level (the example has
# 87 %) and the device clock (Date Time 0x2A08, which the example starts at
# 2020-01-01 00:00:00, as a monitor whose clock was never set): more than
# 60 s off, so the collector writes the VM's time and the example logs
# "clock set by <central> to <time>".
. /etc/bcms-vm-lib.sh

step "power on hci0 and hci1"
check "hci0 powered on" power_on 0
check "hci1 powered on" power_on 1
A1=$(addr_of 1)

step "bcms-collect --active on hci0, the blood-pressure example on hci1"
btmon_start
# The example first, until it is advertising for good: it enables
# advertising more than once while it starts, and btvirt connects only to
# a peer that is advertising when LE Create Connection comes (a connect
# made on the first report timed out in one run of three).  bcms-collect's
# scan-enable edge then reports the advertiser once.
bg_start bpm bcms-example-blood-pressure --index 1 --no-bonds --interval-ms 500
wait_grep 20 'ready on hci1' /tmp/bpm.log || fail "the example did not start: $(cat /tmp/bpm.log)"
bg_start collect bcms-collect --index 0 --active --listen 3
wait_grep 10 '^Discovery started on hci0' /tmp/collect.log || fail "bcms-collect did not start: $(cat /tmp/collect.log)"
wait_grep 30 'blood_pressure procedure (done|failed)' /tmp/collect.log || fail "no procedure ended within 30 s"
sleep 1
bg_stop collect
bg_stop bpm
btmon_stop
cat /tmp/collect.log
expect_grep "^collector: $A1 \(le_public\): blood_pressure procedure done" /tmp/collect.log "the procedure ran and ended"
sys=$(grep -c "^$A1 (le_public) gatt: blood_pressure sys=" /tmp/collect.log)
note "$sys measurements"
[ "$sys" -ge 4 ] && pass "at least 4 measurements in 3 s at 500 ms" || fail "only $sys measurements"
expect_eq "every systolic value is one of the example's" 0 \
  "$(grep "gatt: blood_pressure sys=" /tmp/collect.log | grep -Ecv 'sys=(120|118|125|130) mmHg$')"
expect_eq "every diastolic value is one of the example's" 0 \
  "$(grep "gatt: blood_pressure dias=" /tmp/collect.log | grep -Ecv 'dias=(80|78|83|85) mmHg$')"
expect_eq "one pulse rate per measurement" "$sys" "$(grep -c "gatt: heart_rate rate=" /tmp/collect.log)"
# btmon: every indication hci1 sent was received and printed (none lost).
ind=$(grep -c 'ATT: Handle Value Indication' /tmp/btmon.log)
note "btmon: $ind Handle Value Indication lines (hci1 sending and hci0 receiving)"
# The CCCD is written back to 0 before the link is dropped, so each
# indication is on both sides: exactly two lines per measurement printed.
expect_eq "btmon: every indication sent was printed" "$((sys * 2))" "$ind"
expect_grep '^stats: .* procedures_started=1 procedures_failed=0' /tmp/collect.log "one procedure, no failure, no reconnect"

step "battery and device clock (the example's log and btmon)"
cat /tmp/bpm.log
expect_grep "^$A1 \(le_public\) gatt: battery_level level=87( |%|\$)" /tmp/collect.log "Battery Level read: 87 %"
expect_grep "^collector: $A1 \(le_public\): blood_pressure procedure done: .*clock set" /tmp/collect.log \
  "the collector says it set the clock"
YEAR=$(date -u +%Y)
expect_grep "^clock set by .* to $YEAR-" /tmp/bpm.log "the example's clock was set to this year ($YEAR), not left at 2020"
SET=$(sed -n "s/^clock set by .* to \($YEAR-[0-9-]* [0-9:]*\).*/\1/p" /tmp/bpm.log | head -1)
if [ -n "$SET" ]; then
  d=$(( $(date -u +%s) - $(date -u -d "$SET" +%s 2>/dev/null || echo 0) ))
  d=${d#-}
  if [ "$d" -le 120 ]; then pass "the time written is within 2 min of the VM's clock ($SET UTC, ${d} s ago)"
  else fail "the time written ($SET) is ${d} s from the VM's clock"; fi
fi
# btmon: the central wrote the clock with a Write Request (one, confirmed
# by a Write Response from the example).
expect_grep 'ATT: Write Request' /tmp/btmon.log "btmon: a Write Request went out"
finish
