#!/usr/bin/python3
"""gatttool_client.py: one client for scripts/bench-vm's peripheral
comparison -- BlueZ's `gatttool -I` on hci1 (no bluetoothd involved on
the client's part), driven over a pipe, against whichever heart-rate
server hci0 runs (bcms-example-heart-rate, or bluetoothd with
tests/bench/vm/bluez_hr_app.py).  Same client, same commands, both servers.

  gatttool_client.py ADDR [--count 100] [--secs 10]

Connects, finds the Heart Rate characteristics (characteristics), then
  COUNT x char-read-hnd of Body Sensor Location 0x2A38 (Read Request),
  COUNT x char-write-req 01 to the Heart Rate Control Point 0x2A39
          (Write Request, accepted by both servers),
  subscribes to the Heart Rate Measurement 0x2A37 (CCCD = value handle + 1)
  and counts its notifications for SECS seconds.
Each round trip is timed from writing the command line to gatttool until
its answer line arrives (gatttool's own parsing and printing included,
alike for both servers).  Prints
  PREAD n N median_us M p95_us P mean_us A
  PWRITE n N median_us M p95_us P mean_us A
  PNOTIFY n N secs S per_s R
Exit status 0 when everything completed, 1 otherwise.
"""
import argparse
import os
import re
import select
import statistics
import subprocess
import sys
import time


class Gatttool:
    def __init__(self, addr):
        self.p = subprocess.Popen(["gatttool", "-i", "hci1", "-b", addr, "-t", "public", "-I"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.buf = ""
        self.pos = 0  # searches start here

    def send(self, line):
        self.p.stdin.write((line + "\n").encode())
        self.p.stdin.flush()

    def pump(self, timeout):
        r, _, _ = select.select([self.p.stdout], [], [], timeout)
        if r:
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                raise RuntimeError("gatttool exited")
            self.buf += chunk.decode(errors="replace")

    def wait(self, pattern, timeout=20.0, error=None):
        """Waits for the regex after the last match; returns the match."""
        end = time.monotonic() + timeout
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.buf, self.pos)
            if m:
                self.pos = m.end()
                return m
            if error and re.search(error, self.buf[self.pos:]):
                raise RuntimeError(f"gatttool: {self.buf[self.pos:].strip()[-200:]}")
            left = end - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"timed out waiting for /{pattern}/: {self.buf[self.pos:][-200:]!r}")
            self.pump(left)

    def close(self):
        try:
            self.send("exit")
            self.p.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            self.p.kill()


def stats(name, samples):
    s = sorted(samples)
    p95 = s[min(len(s) - 1, int(0.95 * len(s)))]
    print(f"{name} n {len(s)} median_us {statistics.median(s):.0f} p95_us {p95:.0f} mean_us {statistics.fmean(s):.0f}",
          flush=True)


def round_trips(g, command, answer, count):
    """COUNT times: COMMAND, wait for ANSWER; the times in µs."""
    out = []
    for _ in range(count):
        t = time.perf_counter()
        g.send(command)
        g.wait(answer, error="Error")
        out.append((time.perf_counter() - t) * 1e6)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("addr")
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--secs", type=float, default=10.0)
    a = ap.parse_args()
    g = Gatttool(a.addr)
    try:
        g.send("connect")
        g.wait("Connection successful", error="Error|error")
        g.send("characteristics")
        handles = {}
        for u in ("2a37", "2a38", "2a39"):
            m = g.wait(r"char value handle: (0x[0-9a-f]{4}), uuid: 0000" + u)
            handles[u] = int(m.group(1), 16)
            g.pos = 0  # the three lines come in handle order, not ours
        g.pos = len(g.buf)
        stats("PREAD", round_trips(g, f"char-read-hnd 0x{handles['2a38']:04x}",
                                   r"Characteristic value/descriptor: 01", a.count))
        stats("PWRITE", round_trips(g, f"char-write-req 0x{handles['2a39']:04x} 01",
                                    r"Characteristic value was written successfully", a.count))
        g.send(f"char-write-req 0x{handles['2a37'] + 1:04x} 0100")
        g.wait(r"Characteristic value was written successfully", error="Error")
        note = f"Notification handle = 0x{handles['2a37']:04x}"
        g.wait(re.escape(note))  # the first one: subscribed
        start = g.pos
        t_end = time.monotonic() + a.secs
        while (left := t_end - time.monotonic()) > 0:
            g.pump(left)
        n = g.buf.count(note, start)
        print(f"PNOTIFY n {n} secs {a.secs:g} per_s {n / a.secs:.1f}", flush=True)
        g.send(f"char-write-req 0x{handles['2a37'] + 1:04x} 0000")
    except RuntimeError as e:
        print(f"PY error {e}", flush=True)
        g.close()
        return 1
    g.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
