#!/bin/sh
# The shipped unit's hardening: `systemd-analyze security` (offline, on the
# file) must rate its exposure at or under 3.0, and keep the settings the
# daemon's design depends on.  Skipped (77) without systemd-analyze.
# usage: systemd_unit_test.sh UNIT_FILE
unit=$1
command -v systemd-analyze > /dev/null 2>&1 || { echo "no systemd-analyze: skipped"; exit 77; }
fail=0
out=$(systemd-analyze security --offline=true --root=/ --threshold=30 "$unit" 2>&1); rc=$?
echo "$out" | tail -1
[ "$rc" -eq 0 ] || { echo "FAIL: exposure above 3.0 (status $rc)"; fail=1; }
for want in 'Type=notify' 'CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW' 'ProtectSystem=strict' \
            'StateDirectory=bcms' 'PrivateTmp=yes' 'NoNewPrivileges=yes' 'Conflicts=bluetooth.service'; do
  grep -qx "$want" "$unit" || { echo "FAIL: $want missing"; fail=1; }
done
exit $fail
