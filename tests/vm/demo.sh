# Scenario for scripts/demo (scripts/vm --bin bcms-mgmt --bin bcms-mgmt-probe,
# two LE controllers hci0 + hci1 on one virtual radio): what bcms does on a
# machine with no Bluetooth daemon, step by step, with BlueZ's btmgmt as the
# independent witness where it matters.
. /etc/bcms-vm-lib.sh

step "kernel $(uname -r), virtual controllers: $(ls /sys/class/bluetooth | tr '\n' ' ')"

step "bcms-mgmt-probe: mgmt version and controller index list over the raw socket"
check "bcms-mgmt-probe" t 10 bcms-mgmt-probe

step "bcms-mgmt info (both controllers), then btmgmt info for comparison"
check "bcms-mgmt info" t 10 bcms-mgmt info
check "btmgmt info hci0" mgmt 0 info
check "btmgmt info hci1" mgmt 1 info

step "power on both, name hci0, make it bondable and connectable"
check "power hci0" t 10 bcms-mgmt --index 0 power on
check "power hci1" t 10 bcms-mgmt --index 1 power on
check "name hci0" t 10 bcms-mgmt --index 0 name "bcms demo peripheral" bcms-demo
check "bondable hci0" t 10 bcms-mgmt --index 0 bondable on
check "bondable hci1" t 10 bcms-mgmt --index 1 bondable on

step "hci0 advertises: name, Heart Rate + Battery service UUIDs, manufacturer and service data"
check "add-adv" t 10 bcms-mgmt --index 0 add-adv -c -g --name "bcms demo" -u 0x180d -u 0x180f \
  --manufacturer 0x05f1:0102 --service-data 0x180f:64 1
check "advinfo" t 10 bcms-mgmt --index 0 advinfo

step "hci1 discovers (LE) for 3 s and decodes what it hears"
A0=$(addr_of 0)
t 15 bcms-mgmt --index 1 --timeout 3 find -l > /tmp/demo-find.log 2>&1
cat /tmp/demo-find.log
expect_grep "dev_found: $A0" /tmp/demo-find.log "hci1 found hci0 ($A0)"

step "hci1 pairs with hci0 (Just Works); bcms-mgmt agent answers on hci0"
bg_start agent bcms-mgmt --index 0 agent
wait_grep 5 'Agent running' /tmp/agent.log || note "agent did not start"
t 40 bcms-mgmt --index 1 pair -t public "$A0" > /tmp/demo-pair.log 2>&1
cat /tmp/demo-pair.log
expect_grep 'Paired with' /tmp/demo-pair.log "pairing succeeded"
expect_grep 'New Long Term Key' /tmp/demo-pair.log "hci1 received a Long Term Key"
bg_stop agent
cat /tmp/agent.log
finish
