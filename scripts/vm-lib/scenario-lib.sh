# shellcheck shell=sh
# /etc/bcms-vm-lib.sh (scripts/vm-lib/scenario-lib.sh): helpers for the
# scenarios that scripts/vm runs inside its VM (busybox sh).  A scenario
# starts with `. /etc/bcms-vm-lib.sh` and ends with `finish`.
#
# Reporting:   step TEXT; note TEXT; pass TEXT; fail TEXT; finish
# Checks:      check DESC CMD...; expect_grep PATTERN FILE [DESC];
#              expect_eq DESC EXPECTED ACTUAL; expect_same DESC REFERENCE ACTUAL
# Running:     t SECONDS CMD... (timeout); wait_grep SECONDS PATTERN FILE;
#              bg_start NAME CMD... / bg_stop NAME (background, output in
#              /tmp/NAME.log, stdin a pipe, stdout line-buffered);
#              btmon_start / btmon_stop (full HCI + mgmt trace in /tmp/btmon.log)
# btmon trace: btmon_blocks PROG; btmon_clean FILE; btmon_pkt FILE PREFIX
#              CODE REGEX; btmon_mgmt KIND CODE REGEX; btmon_field KIND CODE
#              FIELD (see there)
# Controllers: mgmt INDEX ARGS... (btmgmt --index INDEX, bounded);
#              addr_of INDEX; power_on INDEX; adv_start INDEX NAME; adv_stop INDEX;
#              find_peer SCANNER ADDR SECONDS [START_ADV_CMD...]  (see there)

BCMS_FAILURES=0

uptime_s() { cut -d' ' -f1 /proc/uptime; }
step() { echo; echo "### [$(uptime_s)s] $*"; }
note() { echo "    $*"; }
pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; BCMS_FAILURES=$((BCMS_FAILURES + 1)); }

# finish: the scenario's verdict and exit status.
finish() {
  bg_stop_all
  echo
  if [ "$BCMS_FAILURES" -eq 0 ]; then echo "SCENARIO PASSED"; exit 0; fi
  echo "SCENARIO FAILED: $BCMS_FAILURES check(s) failed"
  exit 1
}

# t SECONDS CMD...: runs CMD, killed after SECONDS (status 124 then, as
# with coreutils' timeout), so no single step can hang the VM.
t() {
  _t_secs=$1
  shift
  timeout "$_t_secs" "$@"
  _t_rc=$?
  if [ "$_t_rc" -eq 143 ] || [ "$_t_rc" -eq 124 ]; then
    echo "TIMEOUT after ${_t_secs}s: $*" >&2
    return 124
  fi
  return "$_t_rc"
}

# check DESC CMD...: pass if CMD succeeds.
check() {
  _c_desc=$1
  shift
  if "$@"; then pass "$_c_desc"; else fail "$_c_desc (status $?: $*)"; fi
}

# expect_grep PATTERN FILE [DESC]: pass if the extended regex PATTERN
# occurs in FILE; on failure FILE is shown.
expect_grep() {
  if grep -Eq -e "$1" "$2" 2>/dev/null; then
    pass "${3:-$2 has /$1/}"
  else
    fail "${3:-$2 has /$1/}: no match for /$1/ in $2"
    echo "--- $2:"
    cat "$2" 2>/dev/null
    echo "---"
  fi
}

# expect_eq DESC EXPECTED ACTUAL
expect_eq() {
  if [ "$2" = "$3" ]; then pass "$1: $3"; else fail "$1: expected '$2', got '$3'"; fi
}

# expect_same DESC REFERENCE ACTUAL: ACTUAL equals a reference tool's
# output, which must not be empty (two empty outputs prove nothing: both
# tools may have failed).
expect_same() {
  if [ -z "$2" ]; then fail "$1: the reference is empty (actual: '$3')"; else expect_eq "$1" "$2" "$3"; fi
}

# wait_grep SECONDS PATTERN FILE: waits until FILE has a line matching the
# extended regex PATTERN; status 1 when SECONDS pass first.
wait_grep() {
  _w_end=$(($(date +%s) + $1 + 1))
  while ! grep -Eq -e "$2" "$3" 2>/dev/null; do
    [ "$(date +%s)" -ge "$_w_end" ] && return 1
    sleep 0.05
  done
  return 0
}

# bg_start NAME CMD...: runs CMD in the background with its output in
# /tmp/NAME.log.  Its stdin is a pipe that stays open until bg_stop: the
# BlueZ tools print nothing when stdin is /dev/null (their shell cannot
# watch it), and an & job in sh gets /dev/null.  stdout is line-buffered
# (stdbuf -oL) so that wait_grep sees lines as they are printed.
bg_start() {
  _b_name=$1
  shift
  rm -f "/run/bg-$_b_name.fifo"
  mkfifo "/run/bg-$_b_name.fifo"
  # Empty the log HERE, not in the background job's redirection: the job
  # may not have started when the caller greps the log, and a previous
  # run's lines (e.g. "Discovery started") must not satisfy the wait.
  : > "/tmp/$_b_name.log"
  stdbuf -oL -eL "$@" < "/run/bg-$_b_name.fifo" >> "/tmp/$_b_name.log" 2>&1 &
  echo $! > "/run/bg-$_b_name.pid"
  # hold the write end open (opening it also lets the reader's open return)
  sleep 3600 > "/run/bg-$_b_name.fifo" &
  echo $! > "/run/bg-$_b_name.holder"
}

# bg_stop NAME: closes the stdin pipe, stops the program (SIGINT first,
# so that btmon & co. flush and exit cleanly) and waits for it.
bg_stop() {
  [ -e "/run/bg-$1.pid" ] || return 0
  _b_pid=$(cat "/run/bg-$1.pid")
  kill -INT "$_b_pid" 2>/dev/null
  _b_i=0
  while kill -0 "$_b_pid" 2>/dev/null && [ "$_b_i" -lt 40 ]; do sleep 0.05; _b_i=$((_b_i + 1)); done
  kill -KILL "$_b_pid" 2>/dev/null
  kill "$(cat "/run/bg-$1.holder")" 2>/dev/null
  wait "$_b_pid" 2>/dev/null
  rm -f "/run/bg-$1.pid" "/run/bg-$1.holder" "/run/bg-$1.fifo"
}
bg_stop_all() {
  for _b_f in /run/bg-*.pid; do
    [ -e "$_b_f" ] || continue
    _b_n=${_b_f#/run/bg-}
    bg_stop "${_b_n%.pid}"
  done
}

# btmon_start: every HCI packet of every controller and every mgmt
# command/event, with timestamps, in /tmp/btmon.log.
btmon_start() {
  bg_start btmon btmon -t
  wait_grep 5 'Bluetooth monitor' /tmp/btmon.log || fail "btmon did not start"
}
btmon_stop() { bg_stop btmon; }

# btmon_blocks PROG: the packets of /tmp/btmon.log that went through PROG's
# mgmt sockets.  btmon tags each mgmt packet with its socket's {0xNNNN};
# "MGMT Open: PROG" names the process (ids are reused after Close).
btmon_blocks() {
  awk -v prog="$1" '
    /^@ MGMT Open: / { for (i = 1; i <= NF; i++) if ($i ~ /^\{0x[0-9a-f]+\}$/) own[$i] = ($4 == prog) }
    /^[^ ]/ { keep = 0; for (i = 1; i <= NF; i++) if ($i ~ /^\{0x[0-9a-f]+\}$/) keep = own[$i] }
    keep' /tmp/btmon.log
}

# btmon_clean FILE: no packet in FILE that btmon could not decode.  Allowed:
# the statuses Invalid Parameters/Invalid Index (expected refusals), "RSSI:
# invalid (0x7f)" (btmon's text for 127, "no RSSI"), and settings bits
# 17-22 in the kernel's replies, which btmon 5.66 does not know.
btmon_clean() {
  grep -n -i -E 'unknown|invalid|malformed|not enough|too short|too long|\?\?\?' "$1" |
    grep -v -E 'Status: Invalid (Parameters \(0x0d\)|Index \(0x11\))|RSSI: invalid \(0x7f\)|Unknown settings \(0x00[0-7][0-9a-f]0000\)' > /tmp/btmon-bad.txt
  if [ -s /tmp/btmon-bad.txt ]; then
    fail "btmon could not decode all of $1:"
    cat /tmp/btmon-bad.txt
  else
    pass "btmon decoded all $(grep -c '^@ MGMT Command' "$1") commands in $1"
  fi
}

# btmon_pkt FILE PREFIX CODE REGEX: a packet in FILE whose header line
# starts with PREFIX and holds CODE (e.g. "@ MGMT Command: " "(0x0005)",
# or "< HCI Command: LE Set Adver" "(0x08|0x0008)") has a line matching the
# extended regex REGEX.  (PREFIX, CODE and REGEX go through the
# environment: awk -v would eat the regex's backslashes.)
btmon_pkt() {
  if KIND="$2" OP="$3" RE="$4" awk '
      /^[^ ]/ { inblk = index($0, ENVIRON["KIND"]) == 1 && index($0, ENVIRON["OP"]) > 0 }
      inblk && $0 ~ ENVIRON["RE"] { found = 1 }
      END { exit !found }' "$1"; then
    pass "btmon: $2$3 decoded with /$4/"
  else
    fail "btmon: no $2$3 with /$4/ in $1"
    grep -F -A6 "$3" "$1" | head -20
  fi
}

# btmon_mgmt KIND CODE REGEX: one of our mgmt packets (/tmp/ours.log, from
# btmon_blocks) of KIND ("Command" or "Event") with CODE (4 hex digits) has
# a line matching REGEX.
btmon_mgmt() { btmon_pkt /tmp/ours.log "@ MGMT $1: " "(0x$2)" "$3"; }

# btmon_field KIND CODE FIELD: the value of the first "FIELD: value" line
# in our mgmt packets (/tmp/ours.log) of KIND with CODE.
btmon_field() {
  KIND="@ MGMT $1: " OP="(0x$2)" F="$3" awk '
    /^[^ ]/ { inblk = index($0, ENVIRON["KIND"]) == 1 && index($0, ENVIRON["OP"]) > 0; next }
    inblk { line = $0; sub(/^ +/, "", line)
            if (index(line, ENVIRON["F"] ": ") == 1) { print substr(line, length(ENVIRON["F"]) + 3); exit } }' /tmp/ours.log
}

# mgmt INDEX ARGS...: BlueZ's btmgmt on controller INDEX, at most 10 s.
mgmt() {
  _m_i=$1
  shift
  t 10 btmgmt --index "$_m_i" "$@"
}

# addr_of INDEX: the controller's public address, e.g. 00:AA:01:00:00:00.
addr_of() {
  mgmt "$1" info | sed -n 's/^[[:space:]]*addr \([0-9A-Fa-f:]*\) .*/\1/p' | head -1
}

power_on() { mgmt "$1" power on > /dev/null; }

# adv_start INDEX NAME: advertising instance 1 on INDEX, general
# discoverable, with NAME as Complete Local Name (AD type 0x09, Core
# Supplement Part A 1.2) in the advertising data.
adv_start() {
  _a_hex=$(printf '%s' "$2" | od -An -tx1 | tr -d ' \n')
  _a_len=$(printf '%02x' $((${#2} + 1)))
  mgmt "$1" add-adv -c -g -d "${_a_len}09${_a_hex}" 1
}
adv_stop() { mgmt "$1" rm-adv 1; }

# find_peer SCANNER ADDR SECONDS [START_ADV_CMD...]
#
# LE discovery on controller SCANNER with BlueZ's `btmgmt find -l`,
# deterministic on btvirt.  Status 0 when btmgmt printed ADDR within
# SECONDS; its output stays in /tmp/find.log.
#
# Why the order matters (btmon inside the VM, kernel 6.12, BlueZ 5.66):
# 1. btvirt's emulated controllers (emulator/btdev.c) have no radio timing
#    and no advertising interval.  An LE Advertising Report is generated
#    only on two edges: cmd_set_scan_enable_complete() sends one (plus a
#    scan response for active scans) per peer that is ALREADY advertising
#    when the scanner enables scanning; le_set_adv_enable_complete() sends
#    one per peer that is ALREADY scanning when the advertiser enables
#    advertising.  Nothing repeats it, so duplicate filtering is moot and
#    each discovery gets exactly one chance per advertiser.
# 2. With the advertiser set up first, that one report arrives right after
#    the Command Complete of LE Set Scan Enable, while the kernel is still
#    finishing Start Discovery.  The kernel has already announced
#    Discovering, so it turns the report into a Device Found at once, and
#    that event races the Start Discovery reply to the socket.  btmon shows
#    "MGMT Event: Discovering -> Device Found -> Command Complete (Start
#    Discovery)" in 7 of 10 rounds, and Discovering -> Command Complete ->
#    Device Found in the other 3.
# 3. btmgmt's device_found() prints only once `discovery` is true, which
#    find_rsp() sets on the Start Discovery reply: a Device Found that
#    precedes the reply is dropped silently, and no second report comes.
#    That is the "misses the peer about half the time" (3/10 found with
#    the advertiser first; every miss was a Device Found before the reply).
# The fix is an order, not a retry: start discovery first, wait until
# btmgmt has printed "Discovery started" (it has the reply, and the
# scanner's LE scan is on), and only then enable advertising (START_ADV_CMD,
# e.g. `adv_start 0 bcms-h0`).  btdev then sends the report from
# le_set_adv_enable_complete(), after the reply, every time.  Without
# START_ADV_CMD the advertiser must not be advertising already (disable it
# first and pass the command that enables it).
find_peer() {
  _f_idx=$1 _f_addr=$2 _f_secs=$3
  shift 3
  bg_start find btmgmt --index "$_f_idx" find -l
  if ! wait_grep 10 'Discovery started|Unable to start discovery' /tmp/find.log ||
     grep -q 'Unable to start discovery' /tmp/find.log; then
    note "discovery on hci$_f_idx did not start:"
    cat /tmp/find.log
    bg_stop find
    return 1
  fi
  if [ $# -gt 0 ] && ! "$@" > /tmp/find-adv.log 2>&1; then
    fail "advertising command failed: $*"
    cat /tmp/find-adv.log
    bg_stop find
    return 1
  fi
  wait_grep "$_f_secs" "dev_found: $_f_addr" /tmp/find.log
  _f_rc=$?
  bg_stop find
  return $_f_rc
}
