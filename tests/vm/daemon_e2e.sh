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
#     readings taken before the kill arrive, none twice.
#  4. the controllers are removed and added again (btvirt restarted): the
#     daemon configures hci0 again by itself and `bcms status` shows it.
. /etc/bcms-vm-lib.sh

STATE=/tmp/bcms-state
PORT=8080
URL=http://127.0.0.1:$PORT

backend_start() {
  bg_start backend bcms-test-backend --port "$PORT" --token s3cret
  wait_grep 10 'listening on' /tmp/backend.log || { fail "the test backend did not start"; cat /tmp/backend.log; finish; }
}
received() { wget -qO- "$URL/_test/received" 2>/dev/null; }
daemon_start() {
  bg_start daemon bcms-daemon --index 0 --state-dir "$STATE" --api-url "$URL" --token-file /tmp/token -s 2 -sd 3 --debug
  if ! wait_grep 30 'RPC listening|no controller|error' /tmp/daemon.log || ! grep -q 'RPC listening' /tmp/daemon.log; then
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
if tail -n +"$MARK" /tmp/btmon.log | grep -q 'MGMT Event: New Long Term Key'; then pass "the kernel reported the LTK (hci0 is bonded)"; else fail "no New Long Term Key"; fi
bcms --address "$A2" is_paired > /tmp/ispaired.log 2>&1
expect_grep 'is paired' /tmp/ispaired.log "bcms is_paired agrees with the kernel"
bcms --only_approved list > /tmp/approved.log 2>&1
cat /tmp/approved.log
expect_grep "$A1" /tmp/approved.log "the approved device is listed with --only_approved"
expect_grep "$A2" /tmp/approved.log "the paired device is listed with --only_approved (pairing implies approval)"

step "readings reach the backend in the seed's shape"
if wait_received 90 '"dataType":"heart_rate"'; then pass "heart_rate readings arrived"; else fail "no heart_rate reading at the backend"; fi
if wait_received 90 '"dataType":"blood_pressure"'; then pass "blood_pressure readings arrived"; else fail "no blood_pressure reading at the backend"; fi
head -c 600 /tmp/received.json; echo
expect_grep '"data":\{"rate":[0-9]+\},"dataType":"heart_rate"' /tmp/received.json "heart_rate {rate}"
expect_grep '"data":\{"dias":[0-9.]+,"sys":[0-9.]+\},"dataType":"blood_pressure"' /tmp/received.json "blood_pressure {sys, dias}"
[ -n "$(iot_id "$A1")" ] && pass "$A1 registered with the backend" || fail "$A1 not registered"

step "backend down, then SIGKILL and restart of the daemon"
bg_stop backend
sleep 8   # readings taken now wait in the outbox
T_KILL=$(date +%s)
kill -KILL "$(cat /run/bg-daemon.pid)"
sleep 1
bg_stop daemon
MARK=$(($(wc -l < /tmp/btmon.log) + 1))
daemon_start
bcms --only_approved list > /tmp/approved2.log 2>&1
expect_grep "$A1" /tmp/approved2.log "the approval survived the SIGKILL"
bcms --address "$A2" is_paired > /tmp/ispaired2.log 2>&1
expect_grep 'is paired' /tmp/ispaired2.log "the bond survived the SIGKILL"
backend_start
if wait_received 90 "\"timestamp\":[0-9]+"; then pass "the backend gets data again"; else fail "nothing arrived after the backend came back"; fi
sleep 6
received > /tmp/received2.json
early=$(grep -o '"timestamp":[0-9]*' /tmp/received2.json | sed 's/.*://' | awk -v k="$T_KILL" '$1 < k' | wc -l)
if [ "$early" -gt 0 ]; then pass "$early readings taken before the SIGKILL arrived after it"; else fail "no reading from before the SIGKILL arrived"; fi
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

bg_stop daemon
expect_grep 'stopped:' /tmp/daemon.log "SIGINT: a clean stop"
btmon_stop
finish
