# Scenario (scripts/vm --bin bcms-collect, 2 LE controllers): passive
# collection.  hci1 advertises with BlueZ's `btmgmt add-adv` (connectable,
# so it keeps its public address: non-connectable advertising would use a
# fresh non-resolvable private address, and BTHome's nonce and bind keys
# are per device address), bcms-collect scans on hci0 and must decode:
#   1. BTHome v2 plain service data (0xFCD2): packet id, temperature,
#      humidity, battery;
#   2. the original BCMS's service data: 0x2A6E temperature and 0x180F
#      battery (unscaled little-endian integers, as the original took them);
#   3. Eddystone-TLM (0xFEAA);
#   4. BTHome v2 encrypted with a known bind key (payloads built here with
#      bcms-collect's hidden --encrypt-bthome): ignored without the key
#      (counted), decoded with --bind-key, and a replayed packet (an older
#      counter sent again) rejected, counted and logged.
#
# Deterministic on btvirt: an advertising report is generated only when
# the advertiser enables advertising while the scanner scans (see
# find_peer in /etc/bcms-vm-lib.sh), so every step waits for "Discovery
# started" first and each `add-adv` yields one report.  Steps that carry
# the same data type wait the collector's 2 s sampling period out.
. /etc/bcms-vm-lib.sh

KEY=231d39c1d7cc1ab1aee224cd096db932

# sd UUID16LE HEX: one Service Data - 16-bit UUID structure (AD type 0x16).
sd() { printf '%02x16%s%s' $((${#2} / 2 + 3)) "$1" "$2"; }
adv() { mgmt 1 add-adv -c -d "$1" 1 > /tmp/adv.log 2>&1 || { fail "btmgmt add-adv -d $1"; cat /tmp/adv.log; }; }
adv_off() { mgmt 1 rm-adv 1 > /dev/null 2>&1; }

step "power on hci0 and hci1"
check "hci0 powered on" power_on 0
check "hci1 powered on" power_on 1
A1=$(addr_of 1)
note "hci1 (the advertiser) is $A1"

step "encrypted BTHome payloads for $A1 with the bind key $KEY"
# objects: 0x02 temperature sint16 x0.01 degC: 0x0866 = 21.50, 0x0898 = 22.00
E5=$(bcms-collect --encrypt-bthome --key "$KEY" --mac "$A1" --counter 5 --objects 026608)
E6=$(bcms-collect --encrypt-bthome --key "$KEY" --mac "$A1" --counter 6 --objects 029808)
note "counter 5: $E5"
note "counter 6: $E6"
expect_eq "device info octet: BTHome v2, encrypted" 41 "$(echo "$E5" | cut -c1-2)"
# info (1 octet), ciphertext (3: the objects), counter (4), MIC (4)
expect_eq "counter 5 on air (little-endian) before the MIC" 05000000 "$(echo "$E5" | cut -c9-16)"
expect_eq "16 octets" 24 "${#E5}"

step "bcms-collect on hci0 without a bind key"
bg_start plain bcms-collect --index 0
wait_grep 10 '^Discovery started on hci0' /tmp/plain.log || fail "bcms-collect did not start: $(cat /tmp/plain.log)"

# 1. BTHome v2 plain: info 0x40, 0x00 packet id 1, 0x02 temperature 0x09CA
#    (25.06 degC), 0x03 humidity 0x13BF (50.55 %), 0x01 battery 0x5D (93 %).
adv "$(sd d2fc 40000102ca0903bf13015d)"
wait_grep 5 "^$A1 \(le_public\) bthome: battery_level level=93 %" /tmp/plain.log || fail "no BTHome reading"
adv_off
expect_grep "^$A1 \(le_public\) bthome: temperature level=25.06 °C$" /tmp/plain.log "BTHome plain: temperature 25.06 °C"
expect_grep "^$A1 \(le_public\) bthome: humidity level=50.55 %$" /tmp/plain.log "BTHome plain: humidity 50.55 %"
expect_grep "^$A1 \(le_public\) bthome: battery_level level=93 %$" /tmp/plain.log "BTHome plain: battery 93 %"
sleep 2.1  # the sampling period: temperature and battery again next

# 2. The original's mapping: 0x2A6E temperature 9A 09 (2458), 0x180F battery 0x55 (85).
adv "$(sd 6e2a 9a09)$(sd 0f18 55)"
wait_grep 5 "^$A1 \(le_public\) service_data: battery_level level=85$" /tmp/plain.log || fail "no service data reading"
adv_off
expect_grep "^$A1 \(le_public\) service_data: temperature level=2458$" /tmp/plain.log "service data 0x2A6E: temperature 2458"
expect_grep "^$A1 \(le_public\) service_data: battery_level level=85$" /tmp/plain.log "service data 0x180F: battery 85"
sleep 2.1

# 3. Eddystone-TLM: VBATT 3000 mV, TEMP 25.5 degC (8.8), ADV_CNT 4, SEC_CNT 600 (60 s).
adv "$(sd aafe 20000bb819800000000400000258)"
wait_grep 5 "^$A1 \(le_public\) eddystone: uptime level=60 s$" /tmp/plain.log || fail "no Eddystone-TLM reading"
adv_off
expect_grep "^$A1 \(le_public\) eddystone: battery_voltage level=3 V$" /tmp/plain.log "Eddystone-TLM: 3 V"
expect_grep "^$A1 \(le_public\) eddystone: temperature level=25.5 °C$" /tmp/plain.log "Eddystone-TLM: 25.5 °C"

# 4a. Encrypted, and no bind key: no reading, counted.
n=$(grep -c 'temperature' /tmp/plain.log)
adv "$(sd d2fc "$E5")"
sleep 1  # the report is in (bthome_no_key below counts it)
bg_stop plain
adv_off
cat /tmp/plain.log
expect_grep '^stats: .* bthome_no_key=[1-9]' /tmp/plain.log "encrypted BTHome without a key: counted, not decoded"
expect_eq "no reading from the encrypted packet" "$n" "$(grep -c 'temperature' /tmp/plain.log)"

step "bcms-collect --json on hci0 with --bind-key $A1=$KEY"
bg_start enc sh -c "bcms-collect --index 0 --json --bind-key $A1=$KEY 2> /tmp/enc.err"
wait_grep 10 '^Discovery started on hci0' /tmp/enc.err || fail "bcms-collect did not start: $(cat /tmp/enc.log /tmp/enc.err)"
J="\"address\":\"$A1\",\"address_type\":\"le_public\",\"source\":\"bthome\",\"type\":\"temperature\",\"field\":\"level\""
adv "$(sd d2fc "$E5")"
wait_grep 5 "$J,\"value\":21.5,\"unit\":\"°C\"" /tmp/enc.log && pass "encrypted BTHome, counter 5: 21.5 °C" ||
  fail "encrypted BTHome counter 5 not decoded"
adv_off
sleep 2.1
adv "$(sd d2fc "$E6")"
wait_grep 5 "$J,\"value\":22.0,\"unit\":\"°C\"" /tmp/enc.log && pass "encrypted BTHome, counter 6: 22.0 °C" ||
  fail "encrypted BTHome counter 6 not decoded"
adv_off
sleep 2.1
# 4b. The counter-5 packet replayed after counter 6.
adv "$(sd d2fc "$E5")"
wait_grep 5 "BTHome packet rejected: replayed counter \(last accepted 6\)" /tmp/enc.err &&
  pass "the replayed packet (counter 5 after 6) is rejected and logged" || fail "the replay was not rejected"
adv_off
bg_stop enc
cat /tmp/enc.log /tmp/enc.err
expect_eq "two temperature readings (the replay gave none)" 2 "$(grep -c '"type":"temperature"' /tmp/enc.log)"
expect_grep '^stats: .* bthome_packets=2 .* bthome_replays=[1-9]' /tmp/enc.err "stats: 2 packets accepted, the replay counted"
expect_eq "json: every stdout line is a JSON object" 0 "$(grep -c -v '^{.*}$' /tmp/enc.log)"
expect_grep '"time":[0-9]+' /tmp/enc.log "json: readings are timestamped"
finish
