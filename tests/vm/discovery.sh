# Scenario (scripts/vm, 2 LE controllers): LE discovery between btvirt
# controllers, observed with BlueZ's own tools only.  hci1 runs
# `btmgmt find -l`; hci0 advertises with `btmgmt add-adv` (connectable,
# general discoverable, Complete Local Name "bcms-h0"); hci1 must report
# hci0's public address and name.
#
# Deterministic by construction, not by retries: find_peer (see
# /etc/bcms-vm-lib.sh = scripts/vm-lib/scenario-lib.sh) starts the
# discovery first and enables hci0's advertising only once btmgmt has the
# Start Discovery reply; the comment there explains why the other order
# loses the one advertising report btvirt sends about half the time.
#
# BCMS_DISCOVERY_ROUNDS=N (scripts/vm -e ...) repeats the whole exchange N
# times in one VM (default 1); BCMS_DISCOVERY_TRACE=1 prints the btmon
# trace (mgmt commands/events, scan/advertising enables, reports) at the end.
. /etc/bcms-vm-lib.sh

ROUNDS=${BCMS_DISCOVERY_ROUNDS:-1}
NAME=bcms-h0

step "power on hci0 and hci1"
check "hci0 powered on" power_on 0
check "hci1 powered on" power_on 1
A0=$(addr_of 0)
A1=$(addr_of 1)
note "hci0 $A0, hci1 $A1"
[ -n "$A0" ] || { fail "no address for hci0"; finish; }

btmon_start
found=0
r=1
while [ "$r" -le "$ROUNDS" ]; do
  step "round $r/$ROUNDS: hci1 starts LE discovery, then hci0 advertises"
  if find_peer 1 "$A0" 5 adv_start 0 "$NAME"; then
    found=$((found + 1))
    pass "round $r: hci1 found hci0 ($A0)"
    expect_grep "name $NAME" /tmp/find.log "round $r: the report carries hci0's advertised name"
  else
    fail "round $r: hci1 did not report hci0 ($A0) within 5 s"
    echo "--- btmgmt find:"
    cat /tmp/find.log
    echo "--- btmon (mgmt events and advertising reports):"
    grep -E 'MGMT (Command|Event)|Advertising Report|Scan Enable|Advertising Enable' /tmp/btmon.log | tail -n 30
  fi
  # Leave both controllers idle for the next round: the kernel keeps
  # discovering (10.24 s) after btmgmt exits unless told to stop.
  mgmt 1 stop-find -l > /dev/null 2>&1
  adv_stop 0 > /dev/null || fail "round $r: rm-adv on hci0"
  r=$((r + 1))
done
btmon_stop
if [ "${BCMS_DISCOVERY_TRACE:-0}" = 1 ]; then
  step "btmon trace"
  grep -E 'MGMT (Command|Event)|Advertising Report|Scan Enable|Advertising Enable|Adverti.. \(0x08' /tmp/btmon.log
fi
note "found hci0 in $found of $ROUNDS round(s)"
finish
