#!/usr/bin/env python3
"""The bcms CLI without a daemon: usage errors refused before anything is
sent (exit 2, no connection made), a daemon that is not running (exit 3,
a clear message), a daemon that does not answer or hangs up (exit 4).
The answers of a real daemon are checked by tests/engine/rpc_server_test.

Usage: bcms_cli_test.py PATH/TO/bcms
"""
import os
import select
import socket
import subprocess
import sys
import tempfile
import threading

BCMS = sys.argv[1]
failures = 0


def check(ok, what, p):
    global failures
    print(("ok" if ok else "FAIL") + f": {what}: exit {p.returncode}, stdout {p.stdout.strip()!r}, "
          f"stderr {p.stderr.strip()!r}")
    failures += not ok


def run(*args, timeout=30):
    return subprocess.run([BCMS, *args], capture_output=True, text=True, timeout=timeout)


def listener(family=socket.AF_INET, path=None):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.bind(path if path else ("127.0.0.1", 0))
    s.listen(8)
    return s


def connections(s, wait=0.3):
    """How many connections are waiting on listening socket s."""
    n = 0
    while select.select([s], [], [], wait)[0]:
        c, _ = s.accept()
        c.close()
        n += 1
    return n


with tempfile.TemporaryDirectory() as tmp:
    tcp = listener()
    port = tcp.getsockname()[1]
    unix_path = os.path.join(tmp, "bcms.sock")
    unix = listener(socket.AF_UNIX, unix_path)
    for connect, lst in ((f"127.0.0.1:{port}", tcp), (f"unix:{unix_path}", unix)):
        # malformed addresses: refused before anything is sent
        for verb in ("approve", "remove", "pair", "unpair", "is_paired", "readings"):
            for bad in ("00:11:22:33:44", "00-11-22-33-44-55", "00:11:22:33:44:5G", "hello"):
                p = run(verb, "--address", bad, "--connect", connect)
                n = connections(lst, 0.05)
                check(p.returncode == 2 and n == 0 and f"malformed address '{bad}'" in p.stderr and p.stdout == "",
                      f"{verb} --address {bad} via {connect} ({n} connections)", p)
        # the same through the positional form
        p = run("readings", "00:11:22:33:44", "--connect", connect)
        check(p.returncode == 2 and connections(lst, 0.05) == 0, "readings 00:11:22:33:44 (positional)", p)
        # a verb that needs an address, without one
        p = run("pair", "--connect", connect)
        check(p.returncode == 2 and connections(lst, 0.05) == 0 and "needs a device address" in p.stderr,
              "pair without --address", p)
        # set_mode without a valid mode
        for args in (["set_mode"], ["set_mode", "--mode", "sometimes"]):
            p = run(*args, "--connect", connect)
            check(p.returncode == 2 and connections(lst, 0.05) == 0 and "--mode any or --mode approved" in p.stderr,
                  " ".join(args), p)
    tcp.close()
    unix.close()

    # unknown verb, malformed --connect
    p = run("frobnicate")
    check(p.returncode != 0 and p.returncode != 3, "unknown verb", p)
    p = run("list", "--connect", "localhost")
    check(p.returncode == 2 and "HOST:PORT or unix:PATH" in p.stderr, "list --connect localhost", p)

    # no daemon: a port nobody listens on, a socket path that does not exist
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    free_port = free.getsockname()[1]
    free.close()
    for connect in (f"127.0.0.1:{free_port}", f"unix:{tmp}/nobody.sock"):
        p = run("list", "--connect", connect)
        check(p.returncode == 3 and p.stdout == "" and "the bcms daemon is not running" in p.stderr
              and connect in p.stderr, f"list, no daemon at {connect}", p)

    # a "daemon" that accepts and never answers: exit 4 after --timeout
    silent = listener()
    p = run("list", "--timeout", "0.5", "--connect", f"127.0.0.1:{silent.getsockname()[1]}")
    check(p.returncode == 4 and "no answer" in p.stderr, "list, daemon silent", p)
    silent.close()

    # a "daemon" that hangs up at once: exit 4
    rude = listener()
    def hang_up():
        c, _ = rude.accept()
        c.close()
    t = threading.Thread(target=hang_up)
    t.start()
    p = run("list", "--timeout", "5", "--connect", f"127.0.0.1:{rude.getsockname()[1]}")
    t.join()
    check(p.returncode == 4 and "lost" in p.stderr, "list, daemon hangs up", p)
    rude.close()

sys.exit(1 if failures else 0)
