# Scenario (scripts/vm --bin bcms-mgmt, 2 LE controllers): bcms-mgmt's error
# paths on a real kernel.
#   - The kernel refuses a command: bcms-mgmt prints "<Command> failed:
#     <Status> (0xNN)" and exits 1; btmon's decoding of the kernel's reply
#     to our socket must carry that same status (Busy, Rejected, Not
#     Supported, Invalid Parameters, Not Powered, Invalid Index, Not
#     Connected, Disconnected, Not Paired).  fast-conn and bredr on an LE-only controller
#     are among them (refused by name: Not Supported).
#   - --json: the refusal is also a JSON object on stdout.
#   - Bad arguments (malformed address, unknown command, value out of
#     range, bad hex, data too long, ...): a clear message and exit 2.
#   - No management socket: exit 3.  Bluetooth sockets exist only in the
#     initial network namespace (net/bluetooth/af_bluetooth.c
#     bt_sock_create: EAFNOSUPPORT elsewhere), so `unshare -n` gives the
#     same failure as a kernel without Bluetooth (the host-side twin is
#     tests/unit/mgmt_no_socket_test.py).
#   - Not root: the kernel still opens the socket, untrusted
#     (hci_sock_bind without CAP_NET_ADMIN): reads work, and every change
#     is refused with Permission Denied (0x14), exit 1, not 3.
#   - Exit 4: --timeout passes while Pair Device waits for an absent
#     device; and the controllers go away (btvirt killed) while pair (and find)
#     waits: it ends at once with 4, not 1, although the kernel answers the
#     pending Pair Device with Invalid Index (mgmt_index_removed) before
#     Index Removed.  find sees Discovering 0 first (the kernel stops the
#     discovery as it unregisters the controller), then Index Removed:
#     exit 4 as well, not a normal end.
. /etc/bcms-vm-lib.sh

# --- helpers (btmon_*: /etc/bcms-vm-lib.sh) -------------------------------
# refused DESC "Name" "Status (0xNN)" ARGS...: bcms-mgmt ARGS exits 1 with
# "Name failed: Status (0xNN)"; the pair is kept for the btmon check.
refused() {
  _r_desc=$1 _r_name=$2 _r_status=$3
  shift 3
  t 10 bcms-mgmt "$@" > /tmp/r.out 2> /tmp/r.err
  _r_rc=$?
  expect_eq "$_r_desc: exit status" 1 "$_r_rc"
  if grep -q -x -F "$_r_name failed: $_r_status" /tmp/r.err; then
    pass "$_r_desc: \"$_r_name failed: $_r_status\""
  else
    fail "$_r_desc: expected \"$_r_name failed: $_r_status\" on stderr, got: $(cat /tmp/r.err /tmp/r.out)"
  fi
  echo "$_r_name|$_r_status" >> /tmp/refusals.txt
}
# usage DESC REGEX ARGS...: bcms-mgmt ARGS exits 2 with a message matching
# REGEX on stderr, and nothing on stdout.
usage() {
  _u_desc=$1 _u_re=$2
  shift 2
  t 10 bcms-mgmt "$@" > /tmp/u.out 2> /tmp/u.err
  _u_rc=$?
  expect_eq "$_u_desc: exit status" 2 "$_u_rc"
  if grep -q -E -e "$_u_re" /tmp/u.err; then pass "$_u_desc: message /$_u_re/"; else fail "$_u_desc: no /$_u_re/ in: $(cat /tmp/u.err)"; fi
  [ -s /tmp/u.out ] && fail "$_u_desc: unexpected stdout: $(cat /tmp/u.out)"
}
# -------------------------------------------------------------------------

: > /tmp/refusals.txt
btmon_start

step "refusals on powered-off controllers"
refused "find on powered-off hci1" "Start Discovery" "Not Powered (0x0f)" --index 1 find -l
t 10 bcms-mgmt --json --index 1 find -l > /tmp/j.out 2> /tmp/j.err
rc=$?
expect_eq "--json refusal: exit status" 1 "$rc"
cat /tmp/j.out
expect_grep '^\{"error":\{"command":"Start Discovery","category":"[^"]+","code":15,"message":"Not Powered \(0x0f\)"\}\}$' /tmp/j.out \
  "--json refusal: a JSON error object on stdout"
echo "Start Discovery|Not Powered (0x0f)" >> /tmp/refusals.txt
refused "info of a missing controller" "Read Controller Information" "Invalid Index (0x11)" --index 7 info

step "refusals on a powered LE-only controller"
check "hci0 power on" t 10 bcms-mgmt --index 0 power on
check "hci1 power on" t 10 bcms-mgmt --index 1 power on
refused "fast-conn on LE-only" "Set Fast Connectable" "Not Supported (0x0c)" --index 0 fast-conn on
refused "bredr on LE-only" "Set BR/EDR" "Not Supported (0x0c)" --index 0 bredr on
refused "find -b on LE-only" "Start Discovery" "Not Supported (0x0c)" --index 0 find -b
refused "keys on LE-only" "Load Link Keys" "Not Supported (0x0c)" --index 0 keys
refused "discov on while not connectable" "Set Discoverable" "Rejected (0x0b)" --index 0 discov on
refused "privacy while powered" "Set Privacy" "Rejected (0x0b)" --index 0 privacy on
refused "static-addr while powered" "Set Static Address" "Rejected (0x0b)" --index 0 static-addr C0:11:22:33:44:55
refused "stop-find with no discovery" "Stop Discovery" "Rejected (0x0b)" --index 1 stop-find -l
refused "cancelpair with no pairing" "Cancel Pair Device" "Invalid Parameters (0x0d)" --index 1 cancelpair 00:11:22:33:44:55
refused "rm-adv of a missing instance" "Remove Advertising" "Invalid Parameters (0x0d)" --index 0 rm-adv 7
# Flags AD structure cut short: length 2, type 0x01, no value (Core
# Supplement Part A 1.3); the kernel checks the AD structure lengths
refused "add-adv with a truncated AD structure" "Add Advertising" "Invalid Parameters (0x0d)" --index 0 add-adv -d 0201 1
# (6.12 looks the connection up only in its command queue and maps the
# resulting -ENOTCONN to Disconnected, not Not Connected)
refused "disconnect of an unknown device" "Disconnect" "Disconnected (0x0e)" --index 1 disconnect 00:11:22:33:44:55
refused "conn-info of an unknown device" "Get Connection Information" "Not Connected (0x02)" --index 1 conn-info 00:11:22:33:44:55
refused "unpair of an unknown device" "Unpair Device" "Not Paired (0x06)" --index 1 unpair 00:11:22:33:44:55

step "Busy: a second discovery while one runs"
bg_start find bcms-mgmt --index 1 find -l
wait_grep 10 '^Discovery started' /tmp/find.log || fail "the first discovery did not start: $(cat /tmp/find.log)"
refused "second find" "Start Discovery" "Busy (0x0a)" --index 1 find -l
check "stop-find" t 10 bcms-mgmt --index 1 stop-find -l
wait_grep 5 '^Discovery stopped' /tmp/find.log || fail "the first discovery did not end"
bg_stop find

step "bad arguments: a clear message and exit status 2"
usage "malformed address" "'00:11:22:33:44' is not a Bluetooth address" --index 1 disconnect 00:11:22:33:44
usage "unknown command" "unknown command 'bogus'" bogus
usage "no command" "no command given"
usage "appearance out of range" "70000 not in range 0 to 65535" --index 0 appearance 70000
usage "index out of range" "70000 not in range" --index 70000 info
usage "bad on/off" "invalid mode 'maybe' \\(expected on\\|off\\)" --index 0 power maybe
usage "missing argument" "power: mode is required" --index 0 power
usage "extra argument" "not expected: extra" --index 0 power on extra
usage "unknown option" "not expected: --bogus" --index 0 find --bogus
usage "bad hex" "-d: advertising data must be hex octets" --index 0 add-adv -d 0x 1
usage "advertising data too long" "advertising data is 32 octets; the controller has room for 31" \
  --index 0 add-adv -d "1fff$(printf '%060d' 0)" 1
usage "instance out of range" "instance: Value 0 not in range 1 to 255" --index 0 add-adv 0
usage "name too long" "name is longer than 248 octets" --index 0 name "$(printf '%0249d' 0)"
usage "not a static address" "static random address has its two most significant bits set" --index 0 static-addr 00:11:22:33:44:55
usage "bad IO capability" "invalid IO capability 'Telepathy'" --index 0 io-cap Telepathy
usage "bad pair capability" "invalid IO capability 'Telepathy'" --index 1 pair -c Telepathy 00:AA:01:00:00:00
usage "bad address type" "invalid address type 'moon'" --index 1 pair -t moon 00:AA:01:00:00:00
usage "bad UUID" "invalid UUID 'xyz'" --index 1 find-service -u xyz
usage "missing key file" "cannot read key file '/nonexistent'" --index 1 ltks --file /nonexistent
printf 'not json\n' > /tmp/bad.json
usage "key file not JSON" "/tmp/bad.json:1: not JSON" --index 1 ltks --file /tmp/bad.json
printf '{"event":"New Long Term Key","address":"00:11:22:33:44:55","key_type":"x","value":"00112233445566778899aabbccddeeff"}\n' > /tmp/bad.json
usage "key file field of the wrong type" "/tmp/bad.json:1: 'key_type' must be a number" --index 1 ltks --file /tmp/bad.json
usage "send: unknown command" "unknown command 'no-such-command'" --index 0 send no-such-command
usage "send: bad field" "cannot encode Set Powered parameters.*fields: powered" --index 0 send set-powered bogus=1

step "exit 3: no management socket (a network namespace without Bluetooth)"
t 10 unshare -n bcms-mgmt info > /tmp/x.out 2> /tmp/x.err
expect_eq "unshare -n bcms-mgmt info: exit status" 3 "$?"
expect_grep '^bcms-mgmt: cannot open the management socket: Address family not supported by protocol' /tmp/x.err \
  "exit 3: the reason on stderr"
expect_eq "exit 3: nothing on stdout" "" "$(cat /tmp/x.out)"
t 10 unshare -n bcms-mgmt --index 0 power on > /tmp/x.out 2> /tmp/x.err
expect_eq "unshare -n bcms-mgmt power on: exit status" 3 "$?"

step "not root: reads work, changes are refused by the kernel (exit 1, not 3)"
grep -q '^nobody:' /etc/passwd 2>/dev/null || echo 'nobody:x:65534:65534:nobody:/tmp:/bin/sh' >> /etc/passwd
as_nobody() { t 10 su -p -s /bin/sh nobody -c "$*"; }
check "as nobody: the shell really is not root" as_nobody '[ "$(id -u)" = 65534 ]'
as_nobody bcms-mgmt --index 0 info > /tmp/n.out 2>&1
expect_eq "as nobody: bcms-mgmt info exit status" 0 "$?"
expect_grep '^hci0:' /tmp/n.out "as nobody: bcms-mgmt info reads hci0"
as_nobody bcms-mgmt --index 0 power off > /tmp/n.out 2>&1
expect_eq "as nobody: bcms-mgmt power off exit status" 1 "$?"
expect_grep '^Set Powered failed: Permission Denied \(0x14\)$' /tmp/n.out "as nobody: the kernel's Permission Denied by name"

step "exit 4: --timeout passes while Pair Device waits for an absent device"
t 10 bcms-mgmt --index 1 --timeout 1 pair 00:11:22:33:44:66 > /tmp/x.out 2> /tmp/x.err
expect_eq "pair --timeout 1: exit status" 4 "$?"
expect_grep '^Pair Device failed: Connection timed out$' /tmp/x.err "pair --timeout 1: timed out"
check "the kernel's pending pairing cancelled" mgmt 1 cancelpair -t 1 00:11:22:33:44:66

step "exit 4: the controllers go away (btvirt killed) while pair waits and find scans"
bg_start rfind sh -c 'bcms-mgmt --index 0 --timeout 60 find -l; echo "exit $?"'
wait_grep 10 '^Discovery started' /tmp/rfind.log || fail "find on hci0 did not start"
bg_start rpair sh -c 'bcms-mgmt --index 1 pair 00:11:22:33:44:77; echo "exit $?"'
# the kernel has the Pair Device once it puts the address on the accept list
wait_grep 10 '^ +Address: 00:11:22:33:44:77' /tmp/btmon.log || fail "the kernel did not start connecting to 00:11:22:33:44:77"
kill "$(pidof btvirt)"
T0=$(uptime_s)
wait_grep 10 '^exit ' /tmp/rpair.log || fail "pair did not end when its controller went away"
note "pair ended $(awk -v a="$T0" -v b="$(uptime_s)" 'BEGIN { printf "%.2f", b - a }') s after the kill"
cat /tmp/rpair.log
expect_grep '^Pair Device failed: Invalid Index \(0x11\) \(the controller was removed\)$' /tmp/rpair.log "pair: the controller's removal by name"
expect_grep '^exit 4$' /tmp/rpair.log "pair: exit status 4"
bg_stop rpair
wait_grep 10 '^exit ' /tmp/rfind.log || fail "find did not end when its controller went away"
cat /tmp/rfind.log
expect_grep '^Discovery ended: the controller was removed' /tmp/rfind.log "find: the controller's removal said"
expect_grep '^exit 4$' /tmp/rfind.log "find: exit status 4 (not a normal end)"
bg_stop rfind

step "btmon: the kernel gave bcms-mgmt exactly the statuses it printed"
btmon_stop
btmon_blocks bcms-mgmt > /tmp/ours.log
btmon_clean /tmp/ours.log
# "Name|Status" of every reply btmon decoded for our sockets
awk '
  /^[^ ]/ { inrep = index($0, "@ MGMT Event: Command Comp") == 1 || index($0, "@ MGMT Event: Command Stat") == 1; name = ""; next }
  inrep && name == "" { line = $0; sub(/^ +/, "", line); sub(/ \(0x[0-9a-f]+\).*/, "", line); name = line; next }
  inrep && /^ +Status: / { line = $0; sub(/^ +Status: /, "", line); print name "|" line; inrep = 0 }' /tmp/ours.log > /tmp/replies.txt
while IFS= read -r r; do
  if grep -q -x -F "$r" /tmp/replies.txt; then pass "btmon: reply $r"; else fail "btmon: no reply $r to our socket"; fi
done < /tmp/refusals.txt
finish
