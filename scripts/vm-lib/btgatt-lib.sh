# shellcheck shell=sh
# /etc/bcms-btgatt-lib.sh (scripts/vm-lib/btgatt-lib.sh): helpers for the
# scenarios that drive BlueZ's btgatt-client (tools/btgatt-client.c, built
# by scripts/vm-lib/cache.sh) against our example peripherals.  Source it
# after /etc/bcms-vm-lib.sh.
#
# btgatt-client is interactive: it connects, runs the GATT client engine of
# bluetoothd (src/shared/gatt-client.c: MTU exchange, discovery, Service
# Changed registration), prints "GATT discovery procedures complete" and
# then reads commands from stdin.  A session runs in the background
# (bg_start, stdin a FIFO); each command is written to the FIFO and its
# answer awaited in the session's log.  Lines carry ANSI colours and the
# "[GATT client]# " prompt, so patterns match inside lines, not whole lines.
#
#   hr_start NAME [ARGS...]         bcms-example-heart-rate on hci0, waits for "ready"
#   btgatt_open NAME [OPTS...]      btgatt-client on hci1 against $A0; waits for discovery
#   btgatt_cmd NAME SECS PATTERN CMD...   sends CMD, waits for PATTERN after it
#   btgatt_close NAME
#   value_handle LOG UUID           value handle of a characteristic in a session's database print
#   hex_bytes STRING                "0x62 0x63 ..." (btgatt-client's byte arguments)
#   spaced_hex STRING               "62 63 ..." (how btgatt-client prints values)
#   csrk_of INDEX                   hci INDEX's local CSRK from btmon's New Signature Resolving Key

# hr_start NAME [ARGS...]: the heart-rate example on hci0 (log /tmp/NAME.log);
# the scenario fails and ends when it does not report ready in 20 s.
hr_start() {
  _h_name=$1
  shift
  bg_start "$_h_name" bcms-example-heart-rate --index 0 --name "bcms HR" --interval-ms 500 "$@"
  if ! wait_grep 20 'ready on hci0|start failed|cannot' "/tmp/$_h_name.log" ||
     ! grep -q 'ready on hci0' "/tmp/$_h_name.log"; then
    fail "the example did not start ($_h_name)"
    cat "/tmp/$_h_name.log"
    finish
  fi
}

# btgatt_open NAME [OPTS...]: btgatt-client -i hci1 -d $A0 OPTS... in the
# background (log /tmp/NAME.log).  Status 0 when its GATT client reported
# discovery complete within 30 s.
btgatt_open() {
  _g_name=$1
  shift
  bg_start "$_g_name" btgatt-client -i hci1 -d "$A0" -t public "$@"
  if wait_grep 30 'GATT discovery procedures (complete|failed)|Failed to connect|Device disconnected' "/tmp/$_g_name.log" &&
     grep -q 'GATT discovery procedures complete' "/tmp/$_g_name.log"; then
    return 0
  fi
  note "btgatt-client $* did not complete discovery:"
  cat "/tmp/$_g_name.log"
  return 1
}

# btgatt_cmd NAME SECS PATTERN CMD...: sends the command line CMD to the
# session NAME and waits up to SECS for PATTERN (extended regex) in what the
# session printed after it.  The answer is left in /tmp/NAME.answer.
btgatt_cmd() {
  _c_name=$1 _c_secs=$2 _c_pat=$3
  shift 3
  _c_from=$(($(wc -l < "/tmp/$_c_name.log") + 1))
  echo "$*" > "/run/bg-$_c_name.fifo"
  _c_end=$(($(date +%s) + _c_secs + 1))
  while :; do
    tail -n +"$_c_from" "/tmp/$_c_name.log" > "/tmp/$_c_name.answer"
    grep -Eq -e "$_c_pat" "/tmp/$_c_name.answer" && return 0
    [ "$(date +%s)" -ge "$_c_end" ] && return 1
    sleep 0.05
  done
}

# btgatt_close NAME: ends the session and waits until hci1 has no LE link
# left.  The kernel keeps an idle LE link for a while after its last
# socket closed, and the ATT fixed channel has no disconnect of its own:
# a session opened in that window shares the previous one's ATT bearer on
# the server (its MTU, its prepare queue).  Tests of per-connection state
# want a new link, so the link is dropped here (btmgmt disconnect) if it
# outlives 3 s.
btgatt_close() {
  bg_stop "$1"
  wait_no_le_link 3 && return 0
  mgmt 1 disconnect -t 1 "$A0" > /dev/null 2>&1
  wait_no_le_link 5 || note "hci1 still lists an LE connection"
}

# wait_no_le_link SECONDS: until hci1 lists no LE connection.
wait_no_le_link() {
  _l_end=$(($(date +%s) + $1 + 1))
  while mgmt 1 con 2>/dev/null | grep -q 'type LE'; do
    [ "$(date +%s)" -ge "$_l_end" ] && return 1
    sleep 0.1
  done
  return 0
}

# value_handle LOG UUID: from btgatt-client's database print
# ("charac - start: 0x000e, value: 0x000f, props: 0x02, ... uuid: UUID").
value_handle() {
  sed -n "s/.*charac.* value: \(0x[0-9a-f]*\), props.*uuid: $2.*/\1/p" "$1" | head -1
}

# hex_bytes STRING: the octets of STRING as "0x62 0x63 ...".
hex_bytes() { printf '%s' "$1" | od -An -v -tx1 | tr -s ' \n' ' ' | sed 's/^ //; s/ $//; s/\([0-9a-f][0-9a-f]\)/0x\1/g'; }
# spaced_hex STRING: "62 63 ..." as btgatt-client prints a read value.
spaced_hex() { printf '%s' "$1" | od -An -v -tx1 | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'; }

# csrk_of INDEX: the 32 hex digits of the CSRK that controller INDEX
# distributed in pairing (its SMP Signing Information, as btmon decodes
# what hciINDEX sent; the kernel reports it to the other side only, as
# that side's "remote CSRK").  The octets are in wire order, which is how
# btgatt-client's set-sign-key -c takes them.
csrk_of() {
  btmon_tx "$1" /tmp/btmon.log | sed -n 's/.*Signature key: \([0-9a-f]*\).*/\1/p' | tail -1
}

# btmon_tx INDEX FILE: the packets controller INDEX's host sent ("<" lines
# of [hciINDEX], with their decoded fields) in the btmon log FILE.  btmon
# shows every PDU twice on the shared virtual radio (TX on one controller,
# RX on the other); counting one side counts each PDU once.
btmon_tx() {
  awk -v h="[hci$1]" '/^[<>@=]/ { tx = ($1 == "<" && index($0, h) > 0); if (tx) print; next } tx { print }' "$2"
}

# The heart-rate example's 120-octet vendor characteristic (read, write,
# reliable write, signed writes) and its initial value, as the example
# builds it: "bcms long value 000 004 008 ... " cut to 120 octets.
SCRATCH_UUID=b2c30003-7a3d-4d6e-9f10-5c1a8e2d4b60
scratch_initial() {
  _s="bcms long value "
  _i=0
  while [ ${#_s} -lt 120 ]; do _s="$_s$(printf '%03d ' $_i)"; _i=$((_i + 4)); done
  printf '%.120s' "$_s"
}

# central_pairing_setup: hci1 powered and bondable, with `bcms-mgmt agent`
# answering its pairing questions (Just Works; there is no bluetoothd).
# The kernel then pairs on demand (a session's -s medium, or the
# peripheral's Security Request) and distributes LTK and CSRK both ways.
central_pairing_setup() {
  check "hci1 powered" power_on 1
  check "hci1 bondable" t 10 bcms-mgmt --index 1 bondable on
  bg_start agent bcms-mgmt --index 1 agent
  wait_grep 5 'Agent running' /tmp/agent.log || note "the agent did not announce itself"
}

# btgatt_pair NAME: raises the session's link to security level 2 (the
# client's set-security 2 = BT_SECURITY medium on its ATT socket): the
# kernel pairs (Just Works) or, when bonded, encrypts with the stored LTK.
# Waits until hci1 reports the link encrypted (btmon Encryption Change).
# (btgatt-client -s medium at connect is not used: the kernel may answer
# it with "security requested but not available" when SMP is not yet set
# up on the new link, and go on unencrypted.)
btgatt_pair() {
  _p_from=$(($(wc -l < /tmp/btmon.log) + 1))
  btgatt_cmd "$1" 5 'Setting security level 2 success|Could not' set-security 2
  _p_end=$(($(date +%s) + 11))
  while ! tail -n +"$_p_from" /tmp/btmon.log | grep -q 'Encryption: Enabled'; do
    if [ "$(date +%s)" -ge "$_p_end" ]; then fail "session $1: the link was not encrypted within 10 s"; return 1; fi
    sleep 0.1
  done
  pass "session $1: link encrypted"
  sleep 0.5   # key distribution follows the encryption
}
