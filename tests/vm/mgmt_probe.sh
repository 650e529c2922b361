# Scenario (scripts/vm --bin bcms-mgmt-probe, 2 LE controllers): the
# project's bcms-mgmt-probe talks to the real kernel's mgmt socket, and
# what it reads must agree with BlueZ's btmgmt on the same VM:
#   Read Management Version Information (0x0001) = `btmgmt revision` (BlueZ
#     5.66's `btmgmt version` is its shell's own version, "Version 5.66")
#   Read Controller Index List (0x0003)          = `btmgmt info` (no index:
#     btmgmt sends the same command and lists hciN in the reply's order)
. /etc/bcms-vm-lib.sh

step "bcms-mgmt-probe"
t 10 bcms-mgmt-probe > /tmp/probe.out 2>&1
rc=$?
cat /tmp/probe.out
expect_eq "bcms-mgmt-probe exit status" 0 "$rc"
probe_version=$(sed -n 's/^version \([0-9]*\.[0-9]*\)$/\1/p' /tmp/probe.out)
probe_indices=$(sed -n 's/^index list:[ ]*//p' /tmp/probe.out)

step "btmgmt revision"
t 10 btmgmt revision > /tmp/version.out 2>&1
cat /tmp/version.out
btmgmt_version=$(sed -n 's/^MGMT Version \([0-9]*\), revision \([0-9]*\).*/\1.\2/p' /tmp/version.out)
[ -n "$btmgmt_version" ] || fail "btmgmt revision printed no mgmt version"

step "btmgmt info"
t 10 btmgmt info > /tmp/info.out 2>&1
cat /tmp/info.out
btmgmt_indices=$(sed -n 's/^hci\([0-9]*\):.*/\1/p' /tmp/info.out | tr '\n' ' ' | sed 's/ $//')
btmgmt_count=$(sed -n 's/^Index list with \([0-9]*\) item.*/\1/p' /tmp/info.out)

step "compare"
expect_eq "mgmt version (probe vs btmgmt)" "$btmgmt_version" "$probe_version"
expect_eq "index list (probe vs btmgmt, in the kernel's order)" "$btmgmt_indices" "$probe_indices"
expect_eq "controller count (btmgmt vs btvirt -l)" "${BCMS_VM_CONTROLLERS:-2}" "$btmgmt_count"
probe_count=$(echo "$probe_indices" | wc -w)
expect_eq "controller count (probe vs btvirt -l)" "${BCMS_VM_CONTROLLERS:-2}" "$probe_count"
finish
