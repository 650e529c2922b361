#!/usr/bin/python3
"""bleak_central.py: the bleak side of scripts/bench-vm's central comparison
(tests/bench/vm/side_by_side.sh), run in the VM against bluetoothd.

  bleak_central.py steps ADDR [--adapter hci1] [--uuid 2a37]
      What a bleak user writes: BleakScanner.find_device_by_address, then
      BleakClient.connect (which returns once bluetoothd has resolved the
      services), client.services, start_notify; waits for the first value
      and decodes it (Heart Rate Measurement, HRS 3.1: flags bit 0 selects a
      uint8 or uint16 rate).  Prints marker lines as bcms-bench-central's
      `steps` does (CONNECTED, RESOLVED, VALUE, ms since this script's first
      line), so `bcms-bench-central time -- python3 bleak_central.py ...`
      stamps them from the spawn, and "PY ..." lines: import time, the scan,
      the number of services resolved.
  bleak_central.py reads ADDR --uuid 2a19 [--count 100]
      Connects, then COUNT read_gatt_char of the characteristic; prints
      "READ n N bytes B median_us M p95_us P mean_us A" like
      bcms-bench-central rtt.

  bleak_central.py hold ADDR [--notify] [--uuid 2a37]
      Connects (and with --notify subscribes, one "NOTIFY" line per value),
      prints HOLDING, and keeps the link until interrupted (the footprint
      comparison measures the processes meanwhile).

  bleak_central.py scan [--secs 8]
      BleakScanner with a detection callback for SECS seconds; prints
      "SCANNING" when started, then "SCAN all N" (detection callbacks) and
      "SCAN fff1 N" (those carrying manufacturer 0xfff1 data, the
      benchmark's advertisers).

Exit status 0 when every step completed, 1 otherwise.
"""
import time

T0 = time.monotonic()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402

from bleak import BleakClient, BleakScanner  # noqa: E402

T_IMPORTED = time.monotonic()


def ms(t=None):
    return ((t if t is not None else time.monotonic()) - T0) * 1000.0


def out(line):
    print(line, flush=True)


def full_uuid(u):
    return f"0000{u}-0000-1000-8000-00805f9b34fb" if len(u) == 4 else u


async def find(addr, adapter):
    dev = await BleakScanner.find_device_by_address(addr, timeout=20.0, adapter=adapter)
    if dev is None:
        raise RuntimeError(f"{addr} not found by scanning")
    out(f"PY found_ms {ms():.2f}")
    return dev, ms()


async def steps(a):
    dev, found = await find(a.addr, a.adapter)
    first = asyncio.get_running_loop().create_future()

    def on_value(_sender, data):
        if not first.done():
            first.set_result((time.monotonic(), bytes(data)))

    client = BleakClient(dev, adapter=a.adapter, timeout=20.0)
    await client.connect()
    t_connected = ms()
    out(f"CONNECTED {t_connected:.2f}")
    services = list(client.services)
    chars = sum(len(s.characteristics) for s in services)
    out(f"RESOLVED {ms():.2f}")
    out(f"PY services {len(services)} characteristics {chars} uuids {','.join(sorted(s.uuid[:8] for s in services))}")
    try:
        await client.start_notify(full_uuid(a.uuid), on_value)
        t, data = await asyncio.wait_for(first, 20.0)
        out(f"VALUE {ms(t):.2f}")
        out(f"PY internal_ms {found:.2f} {t_connected:.2f} {ms(t):.2f}")
        if a.uuid == "2a37" and data:
            bpm = int.from_bytes(data[1:3], "little") if data[0] & 1 else data[1]
            out(f"PY heart_rate_bpm {bpm}")
        else:
            out(f"PY value {data.hex()}")
    finally:
        await client.disconnect()


async def reads(a):
    dev, _ = await find(a.addr, a.adapter)
    async with BleakClient(dev, adapter=a.adapter, timeout=20.0) as client:
        uuid = full_uuid(a.uuid)
        samples = []
        size = 0
        for _ in range(a.count):
            t = time.perf_counter()
            v = await client.read_gatt_char(uuid)
            samples.append((time.perf_counter() - t) * 1e6)
            size = len(v)
    s = sorted(samples)
    p95 = s[min(len(s) - 1, int(0.95 * len(s)))]
    out(f"READ n {len(s)} bytes {size} median_us {statistics.median(s):.0f} p95_us {p95:.0f} "
        f"mean_us {statistics.fmean(s):.0f}")


async def hold(a):
    dev, _ = await find(a.addr, a.adapter)
    async with BleakClient(dev, adapter=a.adapter, timeout=20.0) as client:
        if a.notify:
            await client.start_notify(full_uuid(a.uuid), lambda _s, d: out(f"NOTIFY {bytes(d).hex()}"))
        out(f"HOLDING {ms():.2f}")
        while True:
            await asyncio.sleep(3600)


async def scan(a):
    seen = {"all": 0, "fff1": 0}

    def on_adv(_dev, adv):
        seen["all"] += 1
        if 0xFFF1 in adv.manufacturer_data:
            seen["fff1"] += 1

    async with BleakScanner(detection_callback=on_adv, adapter=a.adapter):
        out(f"SCANNING {ms():.2f}")
        await asyncio.sleep(a.secs)
    for what, n in seen.items():
        out(f"SCAN {what} {n}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    sc = sub.add_parser("scan")
    sc.add_argument("--adapter", default="hci1")
    sc.add_argument("--secs", type=float, default=8.0)
    for name in ("steps", "reads", "hold"):
        s = sub.add_parser(name)
        s.add_argument("addr")
        s.add_argument("--adapter", default="hci1")
        s.add_argument("--uuid", default="2a19" if name == "reads" else "2a37")
        s.add_argument("--count", type=int, default=100)
        s.add_argument("--notify", action="store_true")
    a = p.parse_args()
    out(f"PY imports_ms {ms(T_IMPORTED):.2f}")
    try:
        asyncio.run({"steps": steps, "reads": reads, "hold": hold, "scan": scan}[a.cmd](a))
    except KeyboardInterrupt:
        return 0
    except Exception as e:  # every failure is counted by the caller
        traceback.print_exc()
        out(f"PY error {type(e).__name__}: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
