# Scenario (scripts/vm, 2 LE controllers, no bluetoothd): L2CAP LE
# credit-based channels (Core v5.4 Vol 3 Part A 10.1) of our l2cap::Channel
# (cli/bcms-l2cap) against BlueZ 5.66's l2test, and between two of ours.
#
# l2test 5.66 has no "-X le_flowctl" (its -X list: basic, ertm, streaming,
# ext-flowctl); with -V le_public and a PSM the kernel makes the socket
# le_flowctl at bind/connect (l2cap_sock_bind/connect: "Use
# L2CAP_MODE_LE_FLOWCTL (CoC) in case of LE address").  Its frames: le32
# sequence number, le16 frame length, 0x7f filler; `l2test -r` checks all
# three and logs "seq/size/data missmatch" (sic) for a bad frame, and
# "N bytes in T sec, R kB/s" per -b octets.
#
#  1. l2test -r listens on hci1, we connect from hci0 and send 1 MiB of
#     l2test frames: l2test receives all of it, no mismatch.
#  2. we listen on hci0, l2test -s connects from hci1 and sends 1024 frames
#     of 1024 octets: we receive all, every frame checks out.
#  3. two of our channels over ONE LE link (hci1 -> hci0), 1 MiB each,
#     distinct data: the CRC-32 of each received stream equals one sent.
#  4. a 1 MiB random file, ours -> ours: md5sum of what arrived = source.
#  5. throughput figures: l2test -> l2test, ours -> ours (step 4), ours ->
#     l2test (step 1), l2test -> ours (step 2), in MB/s (10^6 octets/s),
#     one "THROUGHPUT" line each.
. /etc/bcms-vm-lib.sh

MTU=1024
SIZE=1048576
FRAMES=$((SIZE / MTU))

step "power on hci0 and hci1"
check "hci0 powered" power_on 0
check "hci1 powered" power_on 1
A0=$(addr_of 0)
A1=$(addr_of 1)
note "hci0 $A0, hci1 $A1"

# l2test_rate LOG: l2test's kB/s (1024 octets/s) as MB/s (10^6 octets/s).
l2test_rate() { sed -n 's/.* bytes in [0-9.]* sec, \([0-9.]*\) kB\/s.*/\1/p' "$1" | tail -1 | awk '{ if ($1 != "") printf "%.3f", $1 * 1024 / 1e6 }'; }
our_rate() { sed -n "s/.*$2 .* rate \([0-9.]*\) MB\/s.*/\1/p" "$1" | head -1; }

# ------------------------------------------------------------------ 1
step "1. l2test -r listens on hci1 (psm 129); we connect from hci0 and send $SIZE octets of l2test frames"
bg_start l2r l2test -r -i hci1 -V le_public -P 129 -I "$MTU" -b "$SIZE"
sleep 0.5
adv_start 1 l2t > /dev/null
t 120 bcms-l2cap connect "$A1" --type le_public --psm 129 --local "$A0" --mtu "$MTU" --bytes "$SIZE" --l2test --linger 3 > /tmp/c1.log 2>&1
rc=$?
cat /tmp/c1.log
expect_eq "bcms-l2cap connect exit status" 0 "$rc"
expect_grep "^connected $A1 psm 129 send_mtu $MTU receive_mtu $MTU mode le_flowctl" /tmp/c1.log "connected in LE credit-based mode, MTUs $MTU/$MTU"
expect_grep "channel 0: sent $SIZE bytes in $FRAMES SDUs" /tmp/c1.log "we sent $FRAMES SDUs"
wait_grep 20 "$SIZE bytes in" /tmp/l2r.log
cat /tmp/l2r.log
expect_grep "$SIZE bytes in [0-9.]+ sec" /tmp/l2r.log "l2test received all $SIZE octets"
if grep -q missmatch /tmp/l2r.log; then fail "l2test reports bad frames"; else pass "l2test: no seq/size/data mismatch"; fi
R_OURS_L2T=$(l2test_rate /tmp/l2r.log)
R_OURS_SEND=$(our_rate /tmp/c1.log sent)
bg_stop l2r
adv_stop 1 > /dev/null 2>&1

# ------------------------------------------------------------------ 2
step "2. we listen on hci0 (psm 130); l2test -s connects from hci1 and sends $FRAMES frames of $MTU octets"
bg_start s2 bcms-l2cap listen --psm 130 --mtu "$MTU" --l2test --count "$SIZE"
wait_grep 5 'listening psm 130' /tmp/s2.log || fail "bcms-l2cap listen did not start"
adv_start 0 ours > /dev/null
# -g 3000: l2test closes right after its last send(), and closing drops
# the K-frames the kernel still holds for want of credits (without it we
# received 1014 of 1024 frames, all intact); our sender waits for the
# peer's close instead (bcms-l2cap --linger).
t 120 l2test -s -i hci1 -V le_public -P 130 -b "$MTU" -N "$FRAMES" -g 3000 "$A0" > /tmp/l2s.log 2>&1
note "l2test -s exit status $?"
cat /tmp/l2s.log
wait_grep 30 'channel 0: ended' /tmp/s2.log
cat /tmp/s2.log
expect_grep "^accepted $A1 psm 130 send_mtu [0-9]+ receive_mtu $MTU mode le_flowctl" /tmp/s2.log "accepted an LE credit-based channel from l2test"
expect_grep "channel 0: received $SIZE bytes in $FRAMES SDUs .* truncated 0 " /tmp/s2.log "received $SIZE octets in $FRAMES SDUs"
expect_grep "channel 0: l2test frames $FRAMES ok 0 bad" /tmp/s2.log "every l2test frame checks out (sequence, length, filler)"
R_L2T_OURS=$(our_rate /tmp/s2.log received)
bg_stop s2
adv_stop 0 > /dev/null 2>&1

# ------------------------------------------------------------------ 3
step "3. two of our channels over one LE link (hci1 -> hci0, psm 131), $SIZE octets each"
bg_start s3 bcms-l2cap listen --psm 131 --mtu "$MTU" --channels 2 --count "$SIZE"
wait_grep 5 'listening psm 131' /tmp/s3.log || fail "bcms-l2cap listen did not start"
adv_start 0 ours > /dev/null
bg_start c3 bcms-l2cap connect "$A0" --type le_public --psm 131 --local "$A1" --mtu "$MTU" --channels 2 --bytes "$SIZE"
i=0
while [ "$(grep -c '^connected ' /tmp/c3.log)" -lt 2 ] && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
t 5 hcitool -i hci1 con > /tmp/con3.log 2>&1
cat /tmp/con3.log
expect_eq "LE links from hci1 while both channels are open" 1 "$(grep -c 'LE ' /tmp/con3.log)"
wait_grep 120 'channel 1: ended' /tmp/s3.log
wait_grep 20 'channel 1: ended' /tmp/c3.log
wait_grep 5 'channel 0: ended' /tmp/c3.log
cat /tmp/c3.log /tmp/s3.log
expect_eq "channels connected" 2 "$(grep -c "^connected $A0 psm 131 send_mtu $MTU receive_mtu $MTU mode le_flowctl" /tmp/c3.log)"
expect_eq "channels accepted" 2 "$(grep -c "^accepted $A1 psm 131 " /tmp/s3.log)"
crcs() { sed -n "s/^channel [0-9]: $2 $SIZE bytes in [0-9]* SDUs crc32 \(0x[0-9a-f]*\) .*/\1/p" "$1" | sort | tr '\n' ' '; }
SENT=$(crcs /tmp/c3.log sent)
RECEIVED=$(crcs /tmp/s3.log received)
expect_eq "two distinct streams sent" 2 "$(echo "$SENT" | wc -w)"
expect_same "CRC-32 of the two received streams = of the two sent" "$SENT" "$RECEIVED"
if [ "$(echo "$SENT" | tr ' ' '\n' | sort -u | grep -c .)" = 2 ]; then pass "the two streams differ (crossing would show)"; else fail "the streams are identical"; fi
bg_stop c3
bg_stop s3
adv_stop 0 > /dev/null 2>&1

# ------------------------------------------------------------------ 4
step "4. a $SIZE-octet random file, ours (hci1) -> ours (hci0, psm 132)"
dd if=/dev/urandom of=/tmp/src.bin bs=1024 count=$((SIZE / 1024)) 2> /dev/null
bg_start s4 bcms-l2cap listen --psm 132 --mtu "$MTU" --receive /tmp/dst.bin
wait_grep 5 'listening psm 132' /tmp/s4.log || fail "bcms-l2cap listen did not start"
adv_start 0 ours > /dev/null
t 120 bcms-l2cap connect "$A0" --type le_public --psm 132 --local "$A1" --mtu "$MTU" --send /tmp/src.bin --linger 3 > /tmp/c4.log 2>&1
note "bcms-l2cap connect exit status $?"
wait_grep 10 'channel 0: ended' /tmp/s4.log
cat /tmp/c4.log /tmp/s4.log
expect_eq "md5sum of the received file" "$(md5sum < /tmp/src.bin)" "$(md5sum < /tmp/dst.bin)"
R_OURS_OURS=$(our_rate /tmp/s4.log received)
bg_stop s4
adv_stop 0 > /dev/null 2>&1

# ------------------------------------------------------------------ 5
step "5. reference: l2test -> l2test ($FRAMES frames of $MTU octets, hci0 -> hci1, psm 133)"
bg_start l2r5 l2test -r -i hci1 -V le_public -P 133 -I "$MTU" -b "$SIZE"
sleep 0.5
adv_start 1 l2t > /dev/null
t 120 l2test -s -i hci0 -V le_public -P 133 -b "$MTU" -N "$FRAMES" -g 3000 "$A1" > /tmp/l2s5.log 2>&1
wait_grep 20 "$SIZE bytes in" /tmp/l2r5.log
cat /tmp/l2r5.log
expect_grep "$SIZE bytes in [0-9.]+ sec" /tmp/l2r5.log "l2test -> l2test: all $SIZE octets"
R_L2T_L2T=$(l2test_rate /tmp/l2r5.log)
bg_stop l2r5

step "throughput (MB/s = 10^6 octets/s; $SIZE octets, SDU $MTU; TCG VM, btvirt)"
echo "THROUGHPUT l2test->l2test ${R_L2T_L2T:-?} MB/s (l2test -r)"
echo "THROUGHPUT ours->ours ${R_OURS_OURS:-?} MB/s (our receiver)"
echo "THROUGHPUT ours->l2test ${R_OURS_L2T:-?} MB/s (l2test -r); our sender: ${R_OURS_SEND:-?} MB/s"
echo "THROUGHPUT l2test->ours ${R_L2T_OURS:-?} MB/s (our receiver)"
finish
