# Scenario (scripts/vm --dual --bin bcms-mgmt, 2 dual-mode controllers):
# every bcms-mgmt command that reads or changes controller state, checked
# against BlueZ's tools, never against bcms-mgmt's own output:
#   - read-only commands (revision, commands, config, info, extinfo, phy,
#     advinfo, advsize, con): the values equal btmgmt's for the same thing;
#   - setting commands (power, le, connectable, fast-conn, discov, bondable,
#     linksec, ssp, sc, debug-keys, advertising, bredr, privacy, static-addr,
#     name, phy, send): afterwards `btmgmt info` (or `btmgmt phy`) reports
#     the change, and the settings bcms-mgmt printed equal btmgmt's;
#   - appearance, io-cap, keys: no btmgmt read-back exists, so btmon's
#     decoding of the kernel's replies is the reference (Read Extended
#     Controller Information asked by btmgmt; Unpair Device by btmgmt);
#   - monitor (text and --json): run beside, it prints the New Settings and
#     Local Name Changed events the kernel sends, equal to the final btmgmt
#     state;
#   - find -b: BR/EDR inquiry finds the other (discoverable) controller, as
#     btmgmt find -b does;
#   - btmon decodes every command bcms-mgmt sent, by name, with no
#     "Unknown"/"invalid"/"malformed" anywhere in our packets.
# Dual mode: btvirt's dual-mode controllers start with BR/EDR on and LE off.
# BlueZ 5.66's btmgmt predates the settings bits 18-22 (cis-central,
# cis-peripheral, iso-broadcaster, sync-receiver, ll-privacy), prints
# nothing for them (btmon: "Unknown settings (0x003c0000)"), so they are
# left out of the comparisons (norm below).
. /etc/bcms-vm-lib.sh

# --- helpers (btmon_*: /etc/bcms-vm-lib.sh) -------------------------------
# Words of a settings list, one space apart, without the bits btmgmt 5.66
# does not know.
norm() {
  tr ' \t' '\n\n' | grep -v -x -E 'cis-central|cis-peripheral|iso-broadcaster|sync-receiver|ll-privacy|' | tr '\n' ' ' |
    sed 's/ $//'
}
# bt_settings INDEX: btmgmt's current settings of hciINDEX (a text that
# matches no settings list when btmgmt fails: this runs in $(...), where
# fail would not count).
bt_settings() {
  _bs_out=$(mgmt "$1" info) || { echo "(btmgmt --index $1 info failed)"; return 1; }
  echo "$_bs_out" | sed -n 's/^[[:space:]]*current settings: //p' | norm
}
# setting_state INDEX WORD: "on" when btmgmt info lists WORD among
# hciINDEX's current settings, "off" when not, a failure text otherwise.
setting_state() {
  _ss=$(bt_settings "$1") || { echo "$_ss"; return 1; }
  case " $_ss " in *" $2 "*) echo on ;; *) echo off ;; esac
}
# ours FILE ARGS...: `bcms-mgmt ARGS` with stdout and stderr in FILE,
# trailing blanks removed; a failure unless it exits 0 and prints something.
# ref FILE ARGS...: the same for the reference, BlueZ's `btmgmt ARGS`.
ours() { _of=$1; shift; run_into "$_of" bcms-mgmt "$@"; }
ref() { _of=$1; shift; run_into "$_of" btmgmt "$@"; }
run_into() {
  _o_f=$1 _o_prog=$2
  shift 2
  t 10 "$_o_prog" "$@" > "$_o_f.raw" 2>&1
  _o_rc=$?
  sed 's/[[:space:]]*$//' "$_o_f.raw" > "$_o_f"
  if [ "$_o_rc" -ne 0 ]; then
    fail "$_o_prog $*: exit status $_o_rc: $(cat "$_o_f")"
  elif [ ! -s "$_o_f" ]; then
    fail "$_o_prog $*: printed nothing"
  fi
}
# set_check DESC WORD on|off ARGS...: `bcms-mgmt --index 0 ARGS` succeeds,
# then btmgmt info lists WORD (on) or not (off) among hci0's current
# settings, and those settings are the ones bcms-mgmt printed.
set_check() {
  _s_desc=$1 _s_word=$2 _s_want=$3
  shift 3
  if ! t 10 bcms-mgmt --index 0 "$@" > /tmp/set.out 2>&1; then
    fail "$_s_desc: bcms-mgmt $* failed: $(cat /tmp/set.out)"
    return
  fi
  _s_ours=$(sed -n 's/.* settings: //p' /tmp/set.out | norm)
  expect_same "$_s_desc: settings bcms-mgmt printed = btmgmt info" "$(bt_settings 0)" "$_s_ours"
  expect_eq "$_s_desc: btmgmt info lists $_s_word" "$_s_want" "$(setting_state 0 "$_s_word")"
}
# -------------------------------------------------------------------------

btmon_start
bg_start mon bcms-mgmt --index 0 monitor
wait_grep 5 'Monitoring mgmt events' /tmp/mon.log || fail "bcms-mgmt monitor did not start"
# the same events as JSON lines (stderr apart, so that stdout is only JSON)
bg_start jmon sh -c 'bcms-mgmt --json --index 0 monitor 2> /tmp/jmon.err'

step "read-only commands: bcms-mgmt's values = btmgmt's"
ours /tmp/o.txt revision
ref /tmp/b.txt --index 0 revision
expect_same "revision" "$(grep -m1 '^MGMT Version' /tmp/b.txt)" "$(cat /tmp/o.txt)"
ours /tmp/o.txt version
expect_same "version (the same command)" "$(grep -m1 '^MGMT Version' /tmp/b.txt)" "$(cat /tmp/o.txt)"

# info of every controller: the same lines, trailing blanks aside
ours /tmp/o.txt info
ref /tmp/b.txt info
# (btmgmt leaves out settings bits it does not know; so must the comparison)
sed -E 's/ (cis-central|cis-peripheral|iso-broadcaster|sync-receiver|ll-privacy)//g' /tmp/o.txt > /tmp/o2.txt
if diff /tmp/b.txt /tmp/o2.txt; then pass "info: identical to btmgmt info (all controllers)"; else fail "info differs from btmgmt info"; fi

# extinfo: address, version, manufacturer and settings lines as btmgmt's
ours /tmp/o.txt --index 0 extinfo
ref /tmp/b.txt --index 0 extinfo
for what in addr 'supported settings' 'current settings'; do
  expect_same "extinfo: $what" "$(grep -m1 "^.$what" /tmp/b.txt | norm)" "$(grep -m1 "^.$what" /tmp/o.txt | norm)"
done

# commands: the same opcodes and event codes, in the kernel's order
ours /tmp/o.txt commands
ref /tmp/b.txt --index 0 commands
codes() { sed -n 's/.*(\(0x[0-9a-f]*\))$/\1/p' "$1" | tr '\n' ' '; }
expect_same "commands: header lines" "$(grep -E '^[0-9]+ (commands|events)' /tmp/b.txt | tr '\n' ' ')" \
  "$(grep -E '^[0-9]+ (commands|events)' /tmp/o.txt | tr '\n' ' ')"
expect_same "commands: opcode and event lists" "$(codes /tmp/b.txt)" "$(codes /tmp/o.txt)"

# config: manufacturer and options (btmgmt 5.66 prints a garbage index in
# its header line, so only the tab-indented lines are compared)
ours /tmp/o.txt --index 0 config
ref /tmp/b.txt --index 0 config
expect_same "config" "$(grep -E 'manufacturer|options' /tmp/b.txt | sed 's/^.*\t//; s/[[:space:]]*$//')" \
  "$(grep -E 'manufacturer|options' /tmp/o.txt | sed 's/^.*\t//; s/[[:space:]]*$//')"

step "settings: each change shows in btmgmt info"
set_check "power on" powered on power on
set_check "le on" le on le on
set_check "connectable on" connectable on connectable on
set_check "fast-conn on" fast-connectable on fast-conn on
set_check "discov on" discoverable on discov on
set_check "discov limited 30" discoverable on discov limited 30
set_check "discov off" discoverable off discov off
set_check "fast-conn off" fast-connectable off fast-conn off
set_check "bondable on" bondable on bondable on
set_check "bondable off" bondable off bondable off
set_check "bondable on (again)" bondable on bondable on
set_check "linksec on" link-security on linksec on
set_check "linksec off" link-security off linksec off
set_check "ssp on" ssp on ssp on
set_check "sc on" secure-conn on sc on
set_check "sc only" secure-conn on sc only
set_check "debug-keys on" debug-keys on debug-keys on
set_check "debug-keys off" debug-keys off debug-keys off
set_check "advertising on" advertising on advertising on
set_check "advertising connectable" advertising on advertising connectable
set_check "advertising off" advertising off advertising off
set_check "power off" powered off power off
# privacy and the static address can only change while powered off
set_check "privacy on" privacy on privacy on
set_check "privacy off" privacy off privacy off
set_check "privacy limited" privacy on privacy limited
set_check "privacy off (again)" privacy off privacy off
set_check "bredr off" br/edr off bredr off
# with BR/EDR off a set static address is the identity address: the kernel
# then reports the static-addr setting (mgmt-api.txt Read Controller Info)
set_check "static-addr C0:11:22:33:44:55" static-addr on static-addr C0:11:22:33:44:55
set_check "static-addr cleared" static-addr off static-addr 00:00:00:00:00:00
set_check "bredr on" br/edr on bredr on
set_check "power on (again)" powered on power on

# con on an idle (powered) controller: no connections either way
# (btmgmt con prints nothing for no connections, so only its status counts)
ours /tmp/o.txt --index 0 con
check "btmgmt con succeeds" mgmt 0 con
mgmt 0 con > /tmp/b.txt 2>&1
expect_eq "con: connection list (none)" "$(grep -c 'type' /tmp/b.txt)" "$(grep -c 'type' /tmp/o.txt)"
expect_grep '^No connections$' /tmp/o.txt "con says 'No connections'"

step "name, appearance, io-cap"
ours /tmp/o.txt --index 0 name "bcms settings" bcms-s
expect_grep '^hci0 Name changed to bcms settings$' /tmp/o.txt "name: bcms-mgmt reports the new name"
ref /tmp/b.txt --index 0 info
expect_grep '^[[:space:]]name bcms settings$' /tmp/b.txt "name: btmgmt info shows the name"
expect_grep '^[[:space:]]short name bcms-s$' /tmp/b.txt "name: btmgmt info shows the short name"

ours /tmp/o.txt --index 0 appearance 0x0341
expect_grep '^hci0 Appearance set to 0x0341$' /tmp/o.txt "appearance: bcms-mgmt reports 0x0341"
# btmgmt has no appearance read-back of its own; btmon decodes the kernel's
# answer to btmgmt's Read Extended Controller Information (checked below).
ref /tmp/b.txt --index 0 extinfo
ours /tmp/o.txt --index 0 extinfo
expect_grep 'Appearance: 0x0341' /tmp/o.txt "extinfo: bcms-mgmt decodes the appearance from the EIR"
expect_grep 'Name \(complete\): bcms settings' /tmp/o.txt "extinfo: bcms-mgmt decodes the name from the EIR"

check "io-cap KeyboardDisplay" t 10 bcms-mgmt --index 0 io-cap KeyboardDisplay
check "io-cap 3 (NoInputNoOutput)" t 10 bcms-mgmt --index 0 io-cap 3

step "phy: the same lists as btmgmt phy, before and after a change"
ours /tmp/o.txt --index 0 phy
ref /tmp/b.txt --index 0 phy
if diff /tmp/b.txt /tmp/o.txt; then pass "phy: identical to btmgmt phy"; else fail "phy differs from btmgmt phy"; fi
ours /tmp/o.txt --index 0 phy BR1M1SLOT BR1M3SLOT LE1MTX LE1MRX LE2MTX LE2MRX
ref /tmp/b.txt --index 0 phy
if diff /tmp/b.txt /tmp/o.txt; then pass "phy set: btmgmt phy shows what bcms-mgmt printed"; else fail "phy set: differs from btmgmt phy"; fi
expect_eq "phy set: selected phys" "Selected phys: BR1M1SLOT BR1M3SLOT LE1MTX LE1MRX LE2MTX LE2MRX" \
  "$(grep '^Selected phys' /tmp/b.txt)"

step "advinfo / advsize: the same numbers as btmgmt"
ours /tmp/o.txt --index 0 advinfo
ref /tmp/b.txt --index 0 advinfo
for what in 'Max advertising data len' 'Max scan response data len' 'Max instances' 'Instances list'; do
  expect_same "advinfo: $what" "$(grep -m1 "^$what" /tmp/b.txt)" "$(grep -m1 "^$what" /tmp/o.txt)"
done
expect_grep '^Supported flags: [a-z]' /tmp/b.txt "advinfo: btmgmt names the supported flags"
ours_flags=" $(sed -n 's/^Supported flags: //p' /tmp/o.txt) "
missing=""
for f in $(sed -n 's/^Supported flags: //p' /tmp/b.txt); do
  case "$ours_flags" in *" $f "*) ;; *) missing="$missing $f" ;; esac
done
expect_eq "advinfo: every flag btmgmt names is named by bcms-mgmt" "" "$missing"
ours /tmp/o.txt --index 0 advsize -c -g -n 1
ref /tmp/b.txt --index 0 advsize -c -g -n 1
for what in 'Instance' 'Max advertising data len' 'Max scan response data len'; do
  expect_same "advsize -c -g -n: $what" "$(grep -m1 "^$what" /tmp/b.txt)" "$(grep -m1 "^$what" /tmp/o.txt)"
done
expect_same "advsize -c -g -n: flags" "$(sed -n 's/^Flags: //p' /tmp/b.txt | norm)" \
  "$(sed -n 's/^Flags: //p' /tmp/o.txt | sed 's/ (0x[0-9a-f]*)$//' | norm)"

step "keys: BR/EDR link keys from a key file (btmgmt unpair is the read-back)"
# A New Link Key line as `bcms-mgmt --json agent` prints it (address and key
# made up; key type 0x04 = Unauthenticated Combination P-192).
printf '%s\n' '{"event":"New Link Key","index":0,"store_hint":1,"address":"00:11:22:33:44:55","address_type":"bredr","key_type":4,"value":"00112233445566778899aabbccddeeff","pin_length":0}' > /tmp/linkkeys.json
check "keys --file (1 key)" t 10 bcms-mgmt --index 0 keys --file /tmp/linkkeys.json
mgmt 0 unpair -t 0 00:11:22:33:44:55 > /tmp/b.txt 2>&1
expect_grep 'unpaired' /tmp/b.txt "keys: btmgmt unpair finds the loaded link key"
check "keys --file (again)" t 10 bcms-mgmt --index 0 keys --file /tmp/linkkeys.json
check "keys (none: clears)" t 10 bcms-mgmt --index 0 keys
mgmt 0 unpair -t 0 00:11:22:33:44:55 > /tmp/b.txt 2>&1
expect_grep 'Not Paired' /tmp/b.txt "keys: after an empty keys, btmgmt unpair finds no key"

step "send: generic commands change what btmgmt reports"
check "send set-powered powered=0" t 10 bcms-mgmt --index 0 send set-powered powered=0
expect_eq "send: btmgmt info after powered=0" off "$(setting_state 0 powered)"
check "send 0x0005 powered=1" t 10 bcms-mgmt --index 0 send 0x0005 powered=1
expect_eq "send: btmgmt info after powered=1" on "$(setting_state 0 powered)"
check "send \"Set Local Name\"" t 10 bcms-mgmt --index 0 send "Set Local Name" name=via-send short_name=vs
ref /tmp/b.txt --index 0 info
expect_grep '^[[:space:]]name via-send$' /tmp/b.txt "send: btmgmt info shows the name"

step "find -b: BR/EDR inquiry on hci0 finds the discoverable hci1"
A1=$(addr_of 1)
for c in "power on" "connectable on" "discov on"; do check "hci1 $c" t 10 bcms-mgmt --index 1 $c; done
bg_start bfind bcms-mgmt --index 0 find -b
wait_grep 10 "dev_found: $A1 type BR/EDR" /tmp/bfind.log || fail "find -b did not report hci1 ($A1)"
check "stop-find -b" t 10 bcms-mgmt --index 0 stop-find -b
wait_grep 5 '^Discovery stopped' /tmp/bfind.log || fail "find -b did not end"
bg_stop bfind
cat /tmp/bfind.log
expect_grep '^Discovery started \(BR/EDR\)$' /tmp/bfind.log "find -b: BR/EDR discovery"
# (the inquiry response carries no name; the reference is btmgmt's own find)
find_b_ref() {
  bg_start btfind btmgmt --index 0 find -b
  wait_grep 10 "dev_found: $A1" /tmp/btfind.log
  _rc=$?
  bg_stop btfind
  mgmt 0 stop-find -b > /dev/null 2>&1
  return $_rc
}
check "btmgmt find -b also reports hci1" find_b_ref

step "monitor: the events it printed match btmgmt's final state"
# the Local Name Changed of the last step is the last event: once printed,
# everything before it was too
wait_grep 5 '^[[:space:]]name via-send$' /tmp/mon.log || fail "monitor did not print the last Local Name Changed"
bg_stop mon
final=$(bt_settings 0)
last=$(sed -n 's/^[[:space:]]*settings: //p' /tmp/mon.log | tail -n 1 | norm)
expect_same "monitor: last New Settings = btmgmt info" "$final" "$last"
n=$(grep -c 'New Settings (0x0006)' /tmp/mon.log)
[ "$n" -ge 20 ] && pass "monitor: $n New Settings events" || fail "monitor: only $n New Settings events"
expect_grep 'Local Name Changed \(0x0008\)' /tmp/mon.log "monitor: Local Name Changed printed"
expect_grep '^[[:space:]]name via-send$' /tmp/mon.log "monitor: the event's name decoded"
wait_grep 5 '"name":"via-send"' /tmp/jmon.log || fail "json monitor did not print the last Local Name Changed"
bg_stop jmon
expect_eq "json monitor: as many New Settings as the text monitor" "$n" "$(grep -c '"event":"New Settings"' /tmp/jmon.log)"
expect_eq "json monitor: every stdout line is a JSON object" 0 "$(grep -c -v '^{.*}$' /tmp/jmon.log)"
# `ltks --file` parses every line with nlohmann::json's strict parser and
# refuses the file ("not JSON", exit 2) if one does not parse; there are no
# New Long Term Key lines, so hci0 just gets an empty LTK list.
check "json monitor: every line parses as JSON" t 10 bcms-mgmt --index 0 ltks --file /tmp/jmon.log

step "btmon: every command bcms-mgmt sent is decoded by name with its parameters"
btmon_stop
btmon_blocks bcms-mgmt > /tmp/ours.log
btmon_blocks btmgmt > /tmp/theirs.log
btmon_clean /tmp/ours.log
btmon_mgmt Command 0005 'Powered: Enabled \(0x01\)'
btmon_mgmt Command 0006 'Discoverable: Limited \(0x02\)'
btmon_mgmt Command 0006 'Timeout: 30'
btmon_mgmt Command 0008 'Fast Connectable: Enabled \(0x01\)'
btmon_mgmt Command 000a 'Link Security: Enabled \(0x01\)'
btmon_mgmt Command 000d 'Low Energy: Enabled \(0x01\)'
btmon_mgmt Command 000f 'Name: bcms settings'
btmon_mgmt Command 000f 'Short name: bcms-s'
btmon_mgmt Command 0012 '[Kk]ey: 00112233445566778899aabbccddeeff'
btmon_mgmt Command 0018 'Capability: KeyboardDisplay \(0x04\)'
btmon_mgmt Command 0029 'Advertising: Connectable \(0x02\)'
btmon_mgmt Command 002a 'BR/EDR: Disabled \(0x00\)'
btmon_mgmt Command 002b 'Address: C0:11:22:33:44:55 \(Static\)'
btmon_mgmt Command 002d 'Secure Connections: Only \(0x02\)'
btmon_mgmt Command 002f 'Privacy: Limited \(0x02\)'
btmon_mgmt Command 0043 'Appearance: Heart Rate Belt \(0x0341\)'
btmon_mgmt Command 0045 'Selected PHYs: 0x'
if grep -q 'Appearance: Heart Rate Belt (0x0341)' /tmp/theirs.log; then
  pass "btmon: the kernel told btmgmt (extinfo) appearance 0x0341"
else
  fail "btmon: no appearance 0x0341 in the kernel's answer to btmgmt extinfo"
fi
finish
