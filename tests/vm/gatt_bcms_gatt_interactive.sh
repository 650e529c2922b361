# Scenario (scripts/vm, 2 LE controllers, no bluetoothd): `bcms-gatt -I`
# on hci1 against our bcms-example-heart-rate on hci0, fed the same command
# lines as BlueZ's `gatttool -I` on the same link, outputs compared line
# for line (prompts, colours and readline's echo of the input ignored):
# connect (the -b default, and ADDRESS TYPE), primary (all, by UUID),
# included, characteristics (all, by UUID), char-desc (all, a range),
# char-read-hnd, char-read-uuid, char-write-req (accepted, refused),
# char-write-cmd, mtu (and a second mtu), sec-level, help, errors
# (unknown command, missing argument, disconnected), notifications
# after a CCCD write (counted, decoded), EOF ends both.
. /etc/bcms-vm-lib.sh
. /etc/bcms-btgatt-lib.sh

# feed LINE...: the command lines on stdout, paced: gatttool -I runs each
# command asynchronously and quits at EOF at once, so every answer must be
# in before the next line (bcms-gatt -I needs no pacing: it runs one
# command at a time; it gets the same input for the comparison).
feed() {
  for c in "$@"; do
    echo "$c"
    case $c in connect*) sleep 4 ;; *) sleep 1.5 ;; esac
  done
  sleep "${FEED_TAIL:-1}"
}

# norm FILE CMDFILE: without colour sequences, readline's markers and
# prompt, lines that only echo a command (CMDFILE), empty lines, and our
# indented decoded-reading lines.
norm() {
  sed -e 's/\x1b\[[0-9;]*[A-Za-z]//g' -e 's/[\x01\x02\r]//g' -e 's/\[[0-9A-Fa-f: ]\{17\}\]\[LE\]> //g' "$1" |
    grep -vxF -f "$2" | grep -v '^ *$' | grep -v '^  '
}

# same LABEL FILE_GATTTOOL FILE_OURS: identical after norm, and not empty.
same() {
  norm "$2" /tmp/i-cmds.txt > "$2.norm"
  norm "$3" /tmp/i-cmds.txt > "$3.norm"
  if [ ! -s "$2.norm" ]; then fail "$1: gatttool printed nothing"; cat -A "$2" | head -20; return; fi
  if cmp -s "$2.norm" "$3.norm"; then pass "$1: same output as gatttool -I ($(wc -l < "$2.norm") lines)"; else
    fail "$1: output differs from gatttool -I's"; diff "$2.norm" "$3.norm" | head -40
    echo "--- gatttool raw:"; cat -A "$2" | head -40; fi
}

step "power on hci1 (the central); start bcms-example-heart-rate on hci0"
check "hci1 powered" power_on 1
hr_start hr --db /tmp/bcms-hr/bonds.db
A0=$(addr_of 0)
note "hci0 (peripheral) $A0"

step "handles (gatttool, non-interactive)"
t 20 gatttool -i hci1 -b "$A0" -t public --characteristics > /tmp/g-chars.log 2>&1
t 20 gatttool -i hci1 -b "$A0" -t public --char-desc > /tmp/g-desc.log 2>&1
vh() { sed -n "s/.*char value handle = \(0x[0-9a-f]*\), uuid = 0000$1-.*/\1/p" /tmp/g-chars.log | head -1; }
H_NAME=$(vh 2a00) H_HRM=$(vh 2a37) H_CP=$(vh 2a39)
H_CCCD=""
for h in $(sed -n 's/^handle = \(0x[0-9a-f]*\), uuid = 00002902-.*/\1/p' /tmp/g-desc.log); do
  if [ $((h)) -gt $((H_HRM)) ]; then H_CCCD=$h; break; fi
done
note "value handles: name $H_NAME, measurement $H_HRM (CCCD $H_CCCD), control point $H_CP"
if [ -z "$H_NAME" ] || [ -z "$H_CCCD" ] || [ -z "$H_CP" ]; then fail "handles not found"; cat /tmp/g-chars.log; finish; fi

step "one session of commands, fed to gatttool -I and to bcms-gatt -I"
set -- "connect" "primary" "primary 180d" "included" "characteristics" \
  "characteristics 0x0001 0xffff 2a37" "char-desc" "char-desc 0x0001 0x0005" \
  "char-read-hnd $H_NAME" "char-read-uuid 2a38" "char-write-req $H_CP 01" \
  "char-write-req $H_CP 02" "char-write-cmd $H_CP 01" "mtu 64" "mtu 100" "sec-level" \
  "char-read-hnd" "frobnicate" "help" "disconnect" "primary"
printf '%s\n' "$@" > /tmp/i-cmds.txt
feed "$@" | t 90 gatttool -I -i hci1 -b "$A0" -t public > /tmp/g-session.log 2>&1
feed "$@" | t 90 bcms-gatt -I -i 1 -b "$A0" -t public > /tmp/o-session.log 2>&1; rc=$?
expect_eq "bcms-gatt -I exit status at EOF" 0 "$rc"
same "interactive session" /tmp/g-session.log /tmp/o-session.log
expect_grep '^Connection successful$' /tmp/o-session.log "connected"
expect_grep '^MTU was exchanged successfully: 64$' /tmp/o-session.log "mtu 64"
expect_grep '^Command Failed: MTU exchange can only occur once per connection\.$' /tmp/o-session.log "a second mtu refused"
expect_grep '^Command Failed: Disconnected$' /tmp/o-session.log "primary after disconnect"

step "notifications: connect ADDRESS TYPE, CCCD write, values printed as they arrive"
set -- "connect $A0 public" "characteristics" "char-write-req $H_CCCD 0100"
printf '%s\n' "$@" > /tmp/i-cmds.txt
FEED_TAIL=4 feed "$@" | t 60 gatttool -I -i hci1 > /tmp/g-ntf.log 2>&1
FEED_TAIL=4 feed "$@" | t 60 bcms-gatt -I -i 1 > /tmp/o-ntf.log 2>&1
NG=$(grep -c "Notification handle = $H_HRM value: " /tmp/g-ntf.log)
NO=$(grep -c "Notification handle = $H_HRM value: " /tmp/o-ntf.log)
if [ "$NO" -ge 5 ]; then pass "bcms-gatt -I: $NO notifications in ~5 s (gatttool -I: $NG)"; else
  fail "bcms-gatt -I: only $NO notifications (gatttool -I: $NG)"; head -20 /tmp/o-ntf.log; fi
expect_grep '^  heart_rate rate=[0-9]+ bpm' /tmp/o-ntf.log "notifications decoded as Heart Rate Measurement"
# Everything but the notification lines (their values change) is the same.
grep -v '^Notification handle' /tmp/g-ntf.log > /tmp/g-ntf-rest.log
grep -v '^Notification handle' /tmp/o-ntf.log > /tmp/o-ntf-rest.log
same "connect ADDRESS TYPE, characteristics, CCCD write" /tmp/g-ntf-rest.log /tmp/o-ntf-rest.log
# The notification line format itself: gatttool's, byte for byte, on the first one.
G1=$(grep -m1 "Notification handle = $H_HRM value: " /tmp/g-ntf.log | sed 's/value: .*/value: /')
O1=$(grep -m1 "Notification handle = $H_HRM value: " /tmp/o-ntf.log | sed -e 's/\x1b\[[0-9;]*[A-Za-z]//g' | sed 's/value: .*/value: /')
expect_eq "notification line format" "$G1" "$O1"

finish
