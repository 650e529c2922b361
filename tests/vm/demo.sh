# Scenario (scripts/vm --bin bcms-mgmt-probe, 2 LE controllers), for
# scripts/demo: shows both virtual controllers as BlueZ's btmgmt sees them
# and what the project's bcms-mgmt-probe reads over the raw mgmt socket.
. /etc/bcms-vm-lib.sh

step "kernel $(uname -r), virtual controllers: $(ls /sys/class/bluetooth | tr '\n' ' ')"

i=0
while [ "$i" -lt "${BCMS_VM_CONTROLLERS:-2}" ]; do
  step "btmgmt --index $i info"
  check "btmgmt info of hci$i" mgmt "$i" info
  i=$((i + 1))
done

step "bcms-mgmt-probe (project binary: Read Management Version, Read Controller Index List)"
if command -v bcms-mgmt-probe > /dev/null; then
  check "bcms-mgmt-probe" t 10 bcms-mgmt-probe
else
  fail "bcms-mgmt-probe is not in the VM (pass it with --bin)"
fi
finish
