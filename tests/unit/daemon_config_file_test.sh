#!/bin/sh
# The shipped example configuration (dist/bcms.toml) is valid, and the
# daemon names what is wrong in a broken one.
# usage: daemon_config_file_test.sh BCMS_DAEMON EXAMPLE
daemon=$1 example=$2
fail=0
out=$("$daemon" --check-config --config "$example" 2>&1); rc=$?
echo "$out"
[ "$rc" -eq 0 ] && echo "$out" | grep -q '^configuration OK' || { echo "FAIL: the example is not valid"; fail=1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed 's/^scan_period = 5 /scan_period = "five" /' "$example" > "$tmp/bad.toml"
out=$("$daemon" --check-config --config "$tmp/bad.toml" 2>&1); rc=$?
echo "$out"
[ "$rc" -eq 2 ] && echo "$out" | grep -q 'scan_period' || { echo "FAIL: a wrong type is not named (status $rc)"; fail=1; }
printf '[daemon]\nsleep = 3\n' > "$tmp/unknown.toml"
out=$("$daemon" --check-config --config "$tmp/unknown.toml" 2>&1); rc=$?
echo "$out"
[ "$rc" -eq 2 ] && echo "$out" | grep -q "unknown key 'daemon.sleep'" || { echo "FAIL: an unknown key is not named (status $rc)"; fail=1; }
exit $fail
