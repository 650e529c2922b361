# Scenario (scripts/vm -n 3, no bluetoothd): the gateway end to end.
#   hci0  bcms-daemon (state in /tmp/bcms-state, backend on loopback)
#   hci1  bcms-example-heart-rate          hci2  bcms-example-blood-pressure
#   the IoT backend: bcms-test-backend on 127.0.0.1:8080 (bearer token)
#  1. `bcms list` shows both examples; `bcms approve` the heart-rate one
#     (and the original's "Device already approved" for a second time);
#     `bcms pair` the blood-pressure one: it replies after pairing (btmon:
#     SMP Pairing Request before the reply) and `bcms is_paired` agrees with
#     the kernel (New Long Term Key on hci0).
#  2. readings reach the backend in the seed's shape: heart_rate {rate} for
#     the approved device, blood_pressure {sys, dias} for the paired one.
#  3. the backend stops; readings wait in the outbox; the daemon is killed
#     with SIGKILL and started again: approvals and the bond survive (no new
#     SMP pairing on the next connection), and when the backend is back,
#     readings taken before the kill arrive, none twice; the paired
#     device's GATT database comes from the discovery cache (no discovery:
#     btmon shows no Read By Group Type on its link, against at least one
#     before the restart); after discovery its link is relaxed to
#     100-200 ms (LE Connection Update in btmon).
#     Between the two, a daemon without libcurl: `bcms status` says why
#     nothing is submitted, readings still enter the outbox, and arrive
#     after libcurl is back.
#  4. the controllers are removed and added again (btvirt restarted): the
#     daemon configures hci0 again by itself, `bcms status` shows it and
#     `bcms diagnostics` counts it.
. /etc/bcms-vm-lib.sh

STATE=/tmp/bcms-state
PORT=8080
URL=http://127.0.0.1:$PORT

# --notify with an events command: every device or controller event runs
# it with BCMS_EVENT / BCMS_ADDRESS / BCMS_TEXT in its environment.
cat > /tmp/bcms.toml <<'TOML'
[events]
command = "echo \"$BCMS_EVENT $BCMS_ADDRESS\" >> /tmp/events.txt"
TOML
backend_start() {
  bg_start backend bcms-test-backend --port "$PORT" --token s3cret --state /tmp/backend-state.json
  wait_grep 10 'listening on' /tmp/backend.log || { fail "the test backend did not start"; cat /tmp/backend.log; finish; }
}
received() { wget -qO- "$URL/_test/received" 2>/dev/null; }
daemon_start() {
  bg_start daemon bcms-daemon --config /tmp/bcms.toml --index 0 --state-dir "$STATE" --api-url "$URL" --token-file /tmp/token -s 2 -sd 3 --debug -n
  # (not "error": a daemon without libcurl logs one and carries on)
  if ! wait_grep 30 'RPC listening|no controller' /tmp/daemon.log || ! grep -q 'RPC listening' /tmp/daemon.log; then
    fail "bcms-daemon did not start"; cat /tmp/daemon.log; finish
  fi
}
example_start() {  # NAME PROGRAM INDEX
  bg_start "$1" "$2" --index "$3" --interval-ms 1000
  if ! wait_grep 20 "ready on hci$3|start failed|cannot" "/tmp/$1.log" || ! grep -q "ready on hci$3" "/tmp/$1.log"; then
    fail "$2 did not start"; cat "/tmp/$1.log"; finish
  fi
}
# wait_received SECONDS PATTERN: until the backend's record matches.
wait_received() {
  _w_end=$(($(date +%s) + $1))
  while [ "$(date +%s)" -lt "$_w_end" ]; do
    received > /tmp/received.json && grep -Eq "$2" /tmp/received.json && return 0
    sleep 1
  done
  return 1
}
# att_tx FROM TO ADDR PATTERN: how many ATT PDUs matching PATTERN hci0 sent
# on links to ADDR, in btmon.log lines FROM..TO.  A link's handle comes
# from hci0's LE (Enhanced) Connection Complete event (its "Handle:" and
# "Peer address:" lines); handles are reused, so the latest event wins.
att_tx() {
  sed -n "$1,$2p" /tmp/btmon.log | awk -v addr="$3" -v pat="$4" '
    /^[<>@=]/ { on0 = ($0 ~ /\[hci0\]/); conn = 0; acl = ""
                if (on0 && $0 ~ /ACL Data TX: Handle/) acl = $6
                next }
    on0 && /Connection Complete/ { conn = 1; next }
    conn && $1 == "Handle:" { h = $2; next }
    conn && $1 == "Peer" && $2 == "address:" { peer[h] = $3; conn = 0; next }
    acl != "" && $0 ~ pat { if (peer[acl] == addr) n++; acl = "" }
    END { print n + 0 }'
}
# counter NAME [FILE]: a counter of `bcms --json diagnostics` output.
counter() { grep -o "\"$1\":[0-9]*" "${2:-/tmp/diagnostics.json}" | sed 's/.*://'; }
# arrived_in FROM UNTIL: readings at the backend taken in [FROM, UNTIL) (s).
arrived_in() { received | grep -o '"timestamp":[0-9]*' | sed 's/.*://' | awk -v a="$1" -v k="$2" '$1 >= a && $1 < k' | wc -l; }
iot_id() { received | grep -o "\"hardwareIdentifier\":\"$1\",\"id\":\"[^\"]*\"" | sed 's/.*"id":"\([^"]*\)"/\1/'; }

step "backend, examples on hci1 (heart rate) and hci2 (blood pressure), bcms-daemon on hci0"
echo s3cret > /tmp/token
btmon_start
backend_start
example_start hr bcms-example-heart-rate 1
example_start bp bcms-example-blood-pressure 2
A1=$(addr_of 1) A2=$(addr_of 2)
note "heart rate $A1, blood pressure $A2"
daemon_start
check "RPC on 127.0.0.1:4567" grep -q 'RPC listening on 127.0.0.1:4567' /tmp/daemon.log

step "bcms list shows both devices"
ok=0
for i in $(seq 30); do
  bcms list > /tmp/list.log 2>&1
  if grep -qi "$A1" /tmp/list.log && grep -qi "$A2" /tmp/list.log; then ok=1; break; fi
  sleep 1
done
cat /tmp/list.log
expect_eq "both examples listed" 1 "$ok"

step "approve and pair"
bcms --address "$A1" approve > /tmp/approve.log 2>&1; rc=$?
expect_eq "bcms approve: exit status" 0 "$rc"
bcms --address "$A1" approve > /tmp/approve2.log 2>&1; rc=$?
expect_eq "approving again: exit status 1" 1 "$rc"
expect_grep 'Device already approved' /tmp/approve2.log "the original's error text"
bcms --address 00:11:22:33:44 approve > /tmp/bad.log 2>&1; rc=$?
expect_eq "a malformed address: exit status 2" 2 "$rc"
MARK=$(($(wc -l < /tmp/btmon.log) + 1))
t 60 bcms --address "$A2" pair > /tmp/pair.log 2>&1; rc=$?
cat /tmp/pair.log
expect_eq "bcms pair: exit status" 0 "$rc"
if tail -n +"$MARK" /tmp/btmon.log | grep -q 'SMP: Pairing Request'; then pass "SMP pairing ran before the reply"; else fail "no SMP Pairing Request"; fi
if tail -n +"$MARK" /tmp/btmon.log | grep -q 'MGMT Event: New Long Term'; then pass "the kernel reported the LTK (hci0 is bonded)"; else fail "no New Long Term Key"; fi
bcms --address "$A2" is_paired > /tmp/ispaired.log 2>&1
expect_grep 'is paired' /tmp/ispaired.log "bcms is_paired agrees with the kernel"
bcms --only_approved list > /tmp/approved.log 2>&1
cat /tmp/approved.log
expect_grep "$A1" /tmp/approved.log "the approved device is listed with --only_approved"
expect_grep "$A2" /tmp/approved.log "the paired device is listed with --only_approved (pairing implies approval)"
sleep 1   # the events command runs in the background
cat /tmp/events.txt 2>/dev/null | head -10
expect_grep "^device_approved $A1\$" /tmp/events.txt "events.command ran for the approval (BCMS_EVENT, BCMS_ADDRESS)"
expect_grep "^device_paired $A2\$" /tmp/events.txt "events.command ran for the pairing"
expect_eq "events.command did not run for readings" 0 "$(grep -c '^reading ' /tmp/events.txt)"

step "readings reach the backend in the seed's shape"
if wait_received 90 "\"hardwareIdentifier\":\"$A1\""; then pass "$A1 registered with the backend"; else fail "$A1 not registered"; fi
if wait_received 90 "\"hardwareIdentifier\":\"$A2\""; then pass "$A2 registered with the backend"; else fail "$A2 not registered"; fi
ID1=$(iot_id "$A1") ID2=$(iot_id "$A2")
note "backend ids: $A1 $ID1, $A2 $ID2"
# bcms devices: the registration the daemon keeps with each device, and
# what the original's list did not show (RSSI, last seen, address type).
ok=0
for i in $(seq 20); do
  bcms --json devices > /tmp/devices.json 2>&1
  grep -q "\"registrationId\":\"$ID1\"" /tmp/devices.json && grep -q "\"registrationId\":\"$ID2\"" /tmp/devices.json && { ok=1; break; }
  sleep 1
done
head -c 600 /tmp/devices.json; echo
expect_eq "bcms devices: both backend ids kept with the devices" 1 "$ok"
expect_grep "\"address\":\"$A1\",.*\"rssi\":-?[0-9]+" /tmp/devices.json "bcms devices: an RSSI for the heart-rate example"
bcms devices > /tmp/devices.txt 2>&1
cat /tmp/devices.txt
expect_grep "^$A2 +le_public .* yes +yes +$ID2" /tmp/devices.txt "bcms devices (table): the paired monitor with its backend id"
if wait_received 90 "\"data\":\\{\"rate\":[0-9]+\\},\"dataType\":\"heart_rate\",\"iotDeviceId\":\"$ID1\""; then
  pass "heart_rate {rate} of the heart-rate example"; else fail "no heart_rate {rate} of $A1"; fi
if wait_received 90 "\"data\":\\{\"dias\":[0-9.]+,\"sys\":[0-9.]+\\},\"dataType\":\"blood_pressure\",\"iotDeviceId\":\"$ID2\""; then
  pass "blood_pressure {sys, dias} of the blood-pressure example"; else fail "no blood_pressure {sys, dias} of $A2"; fi
echo "what the backend received (the seed's shape):"
head -c 700 /tmp/received.json; echo

step "backend down, then SIGKILL and restart of the daemon"
bg_stop backend
T_STOP=$(date +%s)
# readings taken now wait in the outbox: wait for a procedure to bring some
FROM=$(($(wc -l < /tmp/daemon.log) + 1))
n=0
for i in $(seq 120); do tail -n +"$FROM" /tmp/daemon.log | grep -q 'procedure done' && { n=1; break; }; sleep 1; done
[ "$n" = 1 ] || note "no procedure finished during the outage"
sleep 1
T_KILL=$(date +%s)
kill -KILL "$(cat /run/bg-daemon.pid)"
sleep 1
bg_stop daemon
cp /tmp/daemon.log /tmp/daemon-1.log
MARK=$(($(wc -l < /tmp/btmon.log) + 1))
# First a gateway image without libcurl (the daemon dlopen()s it only
# with a backend configured): it says so in its log and in `bcms status`,
# and readings still enter the outbox; they leave once libcurl is back
# (checked below with the outage's).
CURLS=$(ls /lib/x86_64-linux-gnu/libcurl.so.4 /usr/lib/x86_64-linux-gnu/libcurl.so.4 2>/dev/null)
[ -n "$CURLS" ] || fail "no libcurl.so.4 in the VM (the harness follows the daemon's dlopen note)"
for f in $CURLS; do mv "$f" "$f.away"; done
T_NC0=$(date +%s)
daemon_start
bcms status > /tmp/status-nocurl.log 2>&1
cat /tmp/status-nocurl.log
expect_grep '^submission: unavailable: libcurl: .*libcurl.so.4' /tmp/status-nocurl.log "without libcurl: bcms status says submission is unavailable, and why"
expect_grep 'unavailable: libcurl: .*readings are kept in the outbox' /tmp/daemon.log "without libcurl: the log says so"
bcms --json diagnostics > /tmp/diag-nocurl.json 2>&1
stored0=$(counter outbox_stored /tmp/diag-nocurl.json)
n=0
for i in $(seq 90); do
  bcms --json diagnostics > /tmp/diag-nocurl.json 2>&1
  acc=$(counter outbox_accepted /tmp/diag-nocurl.json)
  st=$(counter outbox_stored /tmp/diag-nocurl.json)
  [ "${acc:-0}" -gt 0 ] && [ "${st:-0}" -gt "${stored0:-0}" ] && { n=1; break; }
  sleep 1
done
if [ "$n" = 1 ]; then pass "without libcurl: $acc readings accepted into the outbox (stored $stored0 -> $st)"; else
  fail "without libcurl: no reading entered the outbox"; cat /tmp/diag-nocurl.json; fi
T_NC1=$(date +%s)
bg_stop daemon
cp /tmp/daemon.log /tmp/daemon-nocurl.log
for f in $CURLS; do mv "$f.away" "$f"; done
daemon_start
bcms --only_approved list > /tmp/approved2.log 2>&1
expect_grep "$A1" /tmp/approved2.log "the approval survived the SIGKILL"
bcms --address "$A2" is_paired > /tmp/ispaired2.log 2>&1
expect_grep 'is paired' /tmp/ispaired2.log "the bond survived the SIGKILL"
sleep 5    # the backend stays down a little longer
backend_start
# readings taken while the backend was down and before the SIGKILL
n=0
for i in $(seq 60); do n=$(arrived_in "$T_STOP" "$T_KILL"); [ "$n" -gt 0 ] && break; sleep 1; done
if [ "$n" -gt 0 ]; then pass "$n readings taken during the outage, before the SIGKILL, arrived after both"; else fail "no reading from the outage before the SIGKILL arrived"; fi
n=0
for i in $(seq 30); do n=$(arrived_in "$T_NC0" $((T_NC1 + 1))); [ "$n" -gt 0 ] && break; sleep 1; done
if [ "$n" -gt 0 ]; then pass "$n readings taken while libcurl was missing arrived once it was back"; else fail "no reading from the run without libcurl arrived"; fi
sleep 5
received > /tmp/received2.json
# The bond's discovery cache survived too: the first procedure on the
# paired blood-pressure monitor after the restart skips discovery.
if wait_grep 90 "$A2.*blood_pressure procedure done.*discovery cache hit" /tmp/daemon.log; then
  pass "after the restart the paired device's database came from the discovery cache"
else
  fail "no discovery cache hit for $A2 after the restart"; grep 'procedure' /tmp/daemon.log | tail -5
fi
# btmon: the first daemon discovered the monitor's services (Read By Group
# Type from hci0 on its links), the second one did not; it did talk ATT
# on them (so the check can fail).
END=$(wc -l < /tmp/btmon.log)
cold=$(att_tx 1 "$MARK" "$A2" 'ATT: Read By Group Type Request')
warm=$(att_tx "$MARK" "$END" "$A2" 'ATT: Read By Group Type Request')
warm_att=$(att_tx "$MARK" "$END" "$A2" 'ATT: ')
note "btmon, hci0 -> $A2: before the restart $cold Read By Group Type; after it $warm, in $warm_att ATT PDUs"
[ "$cold" -ge 1 ] && pass "btmon: the first daemon discovered the monitor's primary services ($cold Read By Group Type)" ||
  fail "btmon: no Read By Group Type to $A2 before the restart (the check cannot tell anything)"
if [ "$warm_att" -ge 2 ] && [ "$warm" = 0 ]; then
  pass "btmon: after the restart no Read By Group Type to $A2 ($warm_att ATT PDUs sent on its link): cache hit"
else
  fail "btmon: after the restart $warm Read By Group Type in $warm_att ATT PDUs to $A2"
fi
# After discovery the link's parameters are relaxed (Load Connection
# Parameters; Linux 6.10+ applies it to the live link: LE Connection
# Update with 100-200 ms, 0x0050-0x00a0).
if grep -A8 'LE Connection Update (0x08|0x0013)' /tmp/btmon.log | grep -q 'Min connection interval: .*(0x0050)'; then
  pass "btmon: the link was relaxed to 100-200 ms after discovery (LE Connection Update)"
else
  fail "btmon: no LE Connection Update to the relaxed parameters"
  grep -A8 -E 'Load Connection Parameters|LE Connection Update' /tmp/btmon.log | head -30
fi
expect_grep '"duplicates":0' /tmp/received2.json "none arrived twice"
if tail -n +"$MARK" /tmp/btmon.log | grep -q 'SMP: Pairing Request'; then fail "paired again after the restart"; else pass "no new pairing after the restart (the bond was reused)"; fi

step "the controllers go away and come back (btvirt restarted)"
kill "$(pidof btvirt)"
wait_grep 15 'removed' /tmp/daemon.log || fail "the daemon did not see hci0 go"
btvirt $BCMS_VM_BTVIRT_FLAGS -l3 > /run/btvirt2.log 2>&1 &
if wait_grep 40 'configured again' /tmp/daemon.log; then pass "the daemon configured hci0 again by itself"; else fail "hci0 not configured again"; tail -20 /tmp/daemon.log; fi
bcms status > /tmp/status.log 2>&1
cat /tmp/status.log
expect_grep 'present: true' /tmp/status.log "bcms status: the controller is present"
# Diagnostics without the log: the removal and the return counted, what
# the outbox sent after the outage.
bcms --json diagnostics > /tmp/diagnostics.json 2>&1
expect_eq "bcms diagnostics: controller_removed" 1 "$(counter controller_removed)"
expect_eq "bcms diagnostics: controller_added" 1 "$(counter controller_added)"
submitted=$(counter outbox_submitted)
if [ "${submitted:-0}" -gt 0 ]; then pass "bcms diagnostics: outbox_submitted $submitted"; else fail "bcms diagnostics: outbox_submitted '${submitted}'"; cat /tmp/diagnostics.json; fi

bg_stop daemon
expect_grep 'stopped:' /tmp/daemon.log "SIGINT: a clean stop"
if [ "$BCMS_FAILURES" -gt 0 ]; then
  echo "---- the first daemon's log (warnings, errors, collector, submission)"
  grep -E 'warn|error|collector|submit|outbox|event' /tmp/daemon-1.log | grep -v 'event reading' | tail -40
  echo "---- the second daemon's log"
  grep -E 'warn|error|collector|submit|outbox|event' /tmp/daemon.log | grep -v 'event reading' | tail -40
  echo "---- btmon: mgmt events on hci0 around pairing"
  grep -E 'MGMT Event: (New Long|New Identity|New Sig|Device Conn|Device Disc|Auth)|MGMT Command: Pair|SMP: |Pair Device' /tmp/btmon.log | head -40
fi
btmon_stop
finish
