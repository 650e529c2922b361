# Scenario (scripts/vm, 2 LE controllers, no bluetoothd): connection
# management of the central role on the real kernel.  Our
# bcms-example-heart-rate advertises and serves GATT on hci0;
# bcms-central-probe on hci1 starts discovery through the ScanPolicy, then
# connects through the ConnectionManager while discovery runs.  Checked in
# btmon's trace of hci1 (HCI and our mgmt socket, in order):
#   - Load Connection Parameters for the peer (fast: 7.5-15 ms) before the
#     connection is created, and LE Create Connection carrying them;
#   - discovery paused for the connect: our Stop Discovery, the kernel's
#     Discovering 0 and LE Set Scan Enable (disabled) before LE Create
#     Connection;
#   - discovery resumed afterwards: Start Discovery, Discovering 1 and LE
#     Set Scan Enable (enabled) after LE Connection Complete;
#   - the relaxed parameters (100-200 ms, latency 4) loaded once the
#     services are discovered, and (Linux >= 6.10) applied to the live link
#     with LE Connection Update.
# Then the kernel's answers to colliding connects (errno probe), and a
# connect the kernel refuses as busy (an ATT socket of ours already holds
# the channel) recovered by the manager: mgmt Disconnect, retry, connected.
. /etc/bcms-vm-lib.sh

step "power on hci0 (peripheral) and hci1 (central)"
check "hci0 powered" power_on 0
check "hci1 powered" power_on 1
A0=$(addr_of 0)
note "hci0 $A0, hci1 $(addr_of 1)"
btmon_start

step "start bcms-example-heart-rate on hci0"
bg_start hr bcms-example-heart-rate --index 0 --name "bcms HR" --db /tmp/bcms-hr/bonds.db --interval-ms 500
if ! wait_grep 20 'ready on hci0|start failed|cannot' /tmp/hr.log || ! grep -q 'ready on hci0' /tmp/hr.log; then
  fail "the example did not start"
  cat /tmp/hr.log
  finish
fi
pass "the example is serving"

step "discover, connect through the ConnectionManager, discover services, relax, disconnect"
t 60 bcms-central-probe connect "$A0" --index 1 --discover --relax --hold-ms 2000 > /tmp/probe.log 2>&1
RC=$?
cat /tmp/probe.log
expect_eq "bcms-central-probe exit status" 0 "$RC"
expect_grep '\] discovery: running$' /tmp/probe.log "discovery ran before the connect"
expect_grep '\] connect: connected \(slots in use 1, attempts 1, busy retries 0' /tmp/probe.log "connected on the first attempt"
expect_grep '\] service 0x[0-9a-f]{4}-0x[0-9a-f]{4} 0x180[dD]$' /tmp/probe.log "Heart Rate service discovered over the link"
expect_grep '\] relax: ok$' /tmp/probe.log "relaxed parameters loaded"
expect_grep '\] link: closed \(slots in use 0\)$' /tmp/probe.log "slot returned when the link closed"
expect_grep '\] discovery: resumed$' /tmp/probe.log "discovery resumed after the connect"
expect_grep 'params_loaded 2 params_refused 0 slots_taken 1 slots_returned 1 in_use 0' /tmp/probe.log "stats: two loads, one slot taken and returned"

# The kernel keeps an idle LE link a moment after its last socket: the
# next part starts from no connection.
downs() { grep -c 'hci0: disconnected' /tmp/hr.log; }
wait_down() {  # wait_down N: until the example saw N disconnections
  _i=0
  while [ "$(downs)" -lt "$1" ] && [ $_i -lt 200 ]; do sleep 0.05; _i=$((_i + 1)); done
  [ "$(downs)" -ge "$1" ] || fail "the link did not go down (disconnections: $(downs), expected $1)"
}
wait_down 1
step "errno: colliding connects"
t 30 bcms-central-probe errno "$A0" --index 1 > /tmp/errno.log 2>&1
cat /tmp/errno.log
# What the manager's busy handling relies on (Linux 6.12, central not
# advertising: hci_connect_le_scan, l2cap_chan_connect).
expect_grep 'first connect to .*: 115 EINPROGRESS$' /tmp/errno.log "a first ATT connect is pending (EINPROGRESS)"
expect_grep 'same device while the first is pending: 16 EBUSY$' /tmp/errno.log "a second ATT connect to a device being connected: EBUSY"
expect_grep 'another device while one is pending: 115 EINPROGRESS$' /tmp/errno.log "a connect to another device while one is pending is accepted (EINPROGRESS)"
expect_grep 'same device while it is connected: 16 EBUSY$' /tmp/errno.log "a second ATT connect to a connected device: EBUSY"

wait_down 2
step "a busy connect recovered: our own ATT socket holds the channel"
t 60 bcms-central-probe connect "$A0" --index 1 --stale --hold-ms 500 > /tmp/stale.log 2>&1
RC=$?
cat /tmp/stale.log
expect_eq "bcms-central-probe --stale exit status" 0 "$RC"
expect_grep '\] stale: our own ATT socket to .* connected \(kept open\)$' /tmp/stale.log "a stale ATT socket held the channel"
expect_grep 'busy_retries [1-9]' /tmp/stale.log "the manager saw busy and retried"
expect_grep '\] connect: connected' /tmp/stale.log "connected after the retry"

btmon_stop
step "the trace of hci1 (btmon)"
# One token per packet of interest on hci1, in order (btmon shortens long
# names to fit its columns, so packets are told by their codes; the
# kernel copies each mgmt event to every mgmt socket, so a repeated
# Discovering token is dropped).
awk '
  function emit(t) { if (t ~ /^DISC/ && t == lastdisc) return; if (t ~ /^DISC/) lastdisc = t; printf "%s ", t }
  /^[^ ]/ {
    blk = ""
    if (index($0, "[hci1]") == 0) next
    if ($0 ~ /^@ MGMT Command: .*\(0x0023\)/) emit("START")
    else if ($0 ~ /^@ MGMT Command: .*\(0x0024\)/) emit("STOP")
    else if ($0 ~ /^@ MGMT Command: .*\(0x0035\)/) emit("LOAD")
    else if ($0 ~ /^@ MGMT Command: .*\(0x0014\)/) emit("MGMT_DISCONNECT")
    else if ($0 ~ /^@ MGMT Event: .*\(0x0013\)/) blk = "disc"
    else if ($0 ~ /^< HCI Command: .*\(0x08\|0x000c\)/) blk = "scan"
    else if ($0 ~ /^< HCI Command: .*\(0x08\|0x00(0d|43)\)/) emit("CREATE")
    else if ($0 ~ /^< HCI Command: .*\(0x08\|0x0013\)/) emit("UPDATE")
    else if ($0 ~ /^> HCI Event: LE Meta Event/) blk = "meta"
    else if ($0 ~ /^> HCI Event: Disconnect Complete/) emit("DISCONNECTED")
    next
  }
  blk == "disc" && /Discovery: Enabled/ { emit("DISC1"); blk = "" }
  blk == "disc" && /Discovery: Disabled/ { emit("DISC0"); blk = "" }
  blk == "scan" && /Scanning: Enabled/ { emit("SCAN1"); blk = "" }
  blk == "scan" && /Scanning: Disabled/ { emit("SCAN0"); blk = "" }
  blk == "meta" && /LE (Enhanced )?Connection Complete/ { emit("CONNECTED"); blk = "" }
  blk == "meta" && /LE Connection Update Complete/ { emit("UPDATED"); blk = "" }
' /tmp/btmon.log > /tmp/timeline.txt
echo >> /tmp/timeline.txt
note "timeline: $(cat /tmp/timeline.txt)"
# The first connect (the part before the first DISCONNECTED).
FIRST=$(sed 's/ DISCONNECTED .*//' /tmp/timeline.txt)
tl() { if printf '%s\n' "$FIRST" | grep -Eq -e "$1"; then pass "$2"; else fail "$2: no /$1/ in: $FIRST"; fi; }
tl '^.*DISC1 .*LOAD .*STOP .*CREATE' "Load Connection Parameters and Stop Discovery after discovery ran, before LE Create Connection"
tl 'STOP (SCAN[01] )*DISC0 .*CREATE' "the kernel reported Discovering 0 before the connection was created"
tl 'SCAN0 CREATE' "scanning disabled right before LE Create Connection"
tl 'CREATE CONNECTED .*START .*DISC1' "Start Discovery and Discovering 1 after LE Connection Complete"
tl 'CONNECTED .*START .*SCAN1' "LE scanning enabled again after the connection"
tl 'CONNECTED .*LOAD .*UPDATE' "relaxed parameters loaded on the live link and applied (LE Connection Update, Linux >= 6.10)"

# The parameters themselves, as btmon decodes them: our two loads (fast,
# then relaxed), LE Create Connection with the fast set, and (Linux >=
# 6.10) LE Connection Update of the live link with the relaxed set.
awk '/^[^ ]/ { p = ($0 ~ /^@ MGMT Command: .*\(0x0035\)/) } p' /tmp/btmon.log > /tmp/load.log
cat /tmp/load.log
expect_grep "LE Address: $A0" /tmp/load.log "Load Connection Parameters names the peer"
expect_grep 'Min connection interval: 6$' /tmp/load.log "fast set loaded: min interval 6 (7.5 ms)"
expect_grep 'Max connection interval: 12$' /tmp/load.log "fast set loaded: max interval 12 (15 ms)"
expect_grep 'Min connection interval: 80$' /tmp/load.log "relaxed set loaded: min interval 80 (100 ms)"
expect_grep 'Max connection interval: 160$' /tmp/load.log "relaxed set loaded: max interval 160 (200 ms)"
awk '/^[^ ]/ { p = ($0 ~ /^< HCI Command: .*\(0x08\|0x00(0d|43)\).*\[hci1\]/) } p' /tmp/btmon.log | head -16 > /tmp/create.log
cat /tmp/create.log
expect_grep 'Min connection interval: 7.50 msec \(0x0006\)' /tmp/create.log "LE Create Connection with the fast minimum interval (7.5 ms)"
expect_grep 'Max connection interval: 15.00 msec \(0x000c\)' /tmp/create.log "LE Create Connection with the fast maximum interval (15 ms)"
awk '/^[^ ]/ { p = ($0 ~ /^< HCI Command: .*\(0x08\|0x0013\).*\[hci1\]/) } p' /tmp/btmon.log > /tmp/update.log
cat /tmp/update.log
expect_grep 'Min connection interval: 100.00 msec \(0x0050\)' /tmp/update.log "LE Connection Update with the relaxed minimum (100 ms)"
expect_grep 'Max connection interval: 200.00 msec \(0x00a0\)' /tmp/update.log "LE Connection Update with the relaxed maximum (200 ms)"
expect_grep 'Connection latency: 4' /tmp/update.log "LE Connection Update with latency 4"
step "example log"
cat /tmp/hr.log
finish
