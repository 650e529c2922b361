#!/usr/bin/env python3
"""bcms-mgmt's exit status 3 ("no management socket") on a host whose
kernel (or network namespace) has no AF_BLUETOOTH: the reference is the
same socket(2) call made here.  Where the host has Bluetooth this test is
skipped (exit 77); the VM tier checks the same thing with `unshare -n`
(tests/vm/mgmt_errors.sh).

Usage: mgmt_no_socket_test.py PATH/TO/bcms-mgmt
"""
import errno
import socket
import subprocess
import sys

AF_BLUETOOTH, BTPROTO_HCI = 31, 1  # include/net/bluetooth/bluetooth.h, hci.h

try:
    socket.socket(AF_BLUETOOTH, socket.SOCK_RAW, BTPROTO_HCI).close()
    print("this host has AF_BLUETOOTH: skipped (tests/vm/mgmt_errors.sh covers exit 3)")
    sys.exit(77)
except OSError as e:
    if e.errno != errno.EAFNOSUPPORT:
        print(f"socket(AF_BLUETOOTH) failed with {e}, not EAFNOSUPPORT: skipped")
        sys.exit(77)

failures = 0
for args in (["info"], ["--index", "0", "power", "on"], ["--json", "--index", "0", "find", "-l"]):
    p = subprocess.run([sys.argv[1], *args], capture_output=True, text=True, timeout=30)
    ok = (p.returncode == 3 and p.stdout == ""
          and "cannot open the management socket: Address family not supported by protocol "
              "(this kernel has no Bluetooth support)" in p.stderr)
    print(("ok" if ok else "FAIL") + f": bcms-mgmt {' '.join(args)}: exit {p.returncode}, stderr {p.stderr.strip()!r}")
    failures += not ok
sys.exit(1 if failures else 0)
