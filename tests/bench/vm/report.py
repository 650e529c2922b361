#!/usr/bin/env python3
"""report.py --out DIR [--command TEXT] SERIAL_LOG...: scripts/bench-vm's report.

Reads the SAMPLE/MISS lines that tests/bench/vm/side_by_side.sh printed on
the VM's console (one log per boot) and writes to DIR:
  results.md        the table: per metric, each side's median, spread
                    (min-max) and number of runs, and the ratio bcms/other
  samples.tsv       every sample (metric, side, value)
  central_*.dat     sorted samples per side, for the plots
  plots.gp          gnuplot script; scripts/bench-vm runs it to make
                    central_*.png (distribution of each central latency)
Nothing is computed in the VM beyond the raw samples.
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import defaultdict

# label, (metric, side) of bcms, (metric, side) of the other stack; None:
# that side has no such figure.
B, Z, F = "bcms", "bleak", "floor"
ROWS = [
    ("Central: spawn → connected, ms (bleak's connect() returns once services are resolved)",
     ("central_connected", B), ("central_connected", Z)),
    ("Central: spawn → services resolved, ms", ("central_resolved", B), ("central_resolved", Z)),
    ("Central: spawn → first decoded Heart Rate notification, ms",
     ("central_first_value", B), ("central_first_value", Z)),
    ("Central: first notification, bleak counted from the peer found by its scan "
     "(bcms still from spawn), ms", ("central_first_value", B), ("central_found_to_first_value", Z)),
    ("Central, the daemon's collector: peer first seen → first heart-rate reading, ms (bcms: bcms-daemon in "
     "mode any, from its device_new event to its reading event; bleak: peer found by its scan → first "
     "notification, same boot)", ("collector_found_to_first_value", B), ("collector_found_to_first_value", Z)),
    ("bleak: interpreter start before the script's first line, ms", None, ("bleak_interpreter_start", Z)),
    ("bleak: Python imports, ms", None, ("bleak_imports", Z)),
    ("bleak: script start → peer found by BleakScanner, ms", None, ("bleak_scan_found", Z)),
    ("Central: Battery Level read round trip on an open link, median of each run of 100, µs",
     ("read_median_us", B), ("read_median_us", Z)),
    ("Central: Battery Level read round trip, p95 of each run, µs", ("read_p95_us", B), ("read_p95_us", Z)),
    ("Peripheral: read round trip seen by gatttool -I, median of each run, µs",
     ("periph_read_median_us", B), ("periph_read_median_us", "bluez")),
    ("Peripheral: write round trip seen by gatttool -I, median of each run, µs",
     ("periph_write_median_us", B), ("periph_write_median_us", "bluez")),
    ("Peripheral: notifications per second reaching gatttool (server updates every 10 ms; higher is better)",
     ("periph_notifications_per_s", B), ("periph_notifications_per_s", "bluez")),
    ("Peripheral footprint while notifying: RSS, kB (bcms: example; BlueZ: bluetoothd + dbus-daemon + python3)",
     ("foot_periph_notifying_rss_kb", B), ("foot_periph_notifying_rss_kb", "bluez")),
    ("Peripheral footprint while notifying: CPU per window, ms",
     ("foot_periph_notifying_cpu_ms", B), ("foot_periph_notifying_cpu_ms", "bluez")),
    ("Central footprint holding a link: RSS, kB (bcms: bcms-gatt; BlueZ: bluetoothd + dbus-daemon + python3 bleak)",
     ("foot_connected_rss_kb", B), ("foot_connected_rss_kb", Z)),
    ("Central footprint holding a link: CPU per window, ms", ("foot_connected_cpu_ms", B), ("foot_connected_cpu_ms", Z)),
    ("Central footprint receiving 20 ms notifications: RSS, kB",
     ("foot_notifying_rss_kb", B), ("foot_notifying_rss_kb", Z)),
    ("Central footprint receiving 20 ms notifications: CPU per window, ms",
     ("foot_notifying_cpu_ms", B), ("foot_notifying_cpu_ms", Z)),
    ("Central: notifications per second reaching the application (example sends every 20 ms; higher is better)",
     ("foot_notifications_per_s", B), ("foot_notifications_per_s", Z)),
    ("Scanning: advertisements reaching the application per second", ("scan_received_per_s", B),
     ("scan_received_per_s", Z)),
    ("Scanning: advertisements generated per second (advertising-enable edges, all advertisers)",
     ("scan_generated_per_s", B), ("scan_generated_per_s", Z)),
    ("Scanning: LE Advertising Reports hci1 gave the host while the scanner ran (btmon)",
     ("scan_reported", B), ("scan_reported", Z)),
    ("Scanning: advertisements that reached the application in that time", ("scan_received", B),
     ("scan_received", Z)),
    ("Scanning: share of those reports that reached the application (higher is better)",
     ("scan_received_share", B), ("scan_received_share", Z)),
    ("Scanning footprint: RSS, kB (bcms: bcms-mgmt find; BlueZ: bluetoothd + dbus-daemon + python3 BleakScanner)",
     ("foot_scanning_rss_kb", B), ("foot_scanning_rss_kb", Z)),
    ("Scanning footprint: CPU per window, ms", ("foot_scanning_cpu_ms", B), ("foot_scanning_cpu_ms", Z)),
    ("CLI info (all controllers), whole process, ms", ("cli_info", "bcms-mgmt"), ("cli_info", "btmgmt")),
    ("CLI power on (hci1), whole process, ms", ("cli_power_on", "bcms-mgmt"), ("cli_power_on", "btmgmt")),
    ("CLI power off (hci1), whole process, ms", ("cli_power_off", "bcms-mgmt"), ("cli_power_off", "btmgmt")),
    ("Gateway idle (scan cycles, nothing advertising): RSS, kB (bcms: bcms-daemon with a backend configured; "
     "BlueZ: bluetoothd + dbus-daemon + python3 BleakScanner)", ("gw_idle_rss_kb", B), ("gw_idle_rss_kb", Z)),
    ("Gateway idle: of that RSS, private anonymous memory (RssAnon: heap, stacks), kB",
     ("gw_idle_anon_kb", B), ("gw_idle_anon_kb", Z)),
    ("Gateway idle: of that RSS, the pages only these processes map (USS: Private_Clean + Private_Dirty), kB",
     ("gw_idle_uss_kb", B), ("gw_idle_uss_kb", Z)),
    ("Gateway idle: proportional set size (PSS: shared pages divided among their users), kB",
     ("gw_idle_pss_kb", B), ("gw_idle_pss_kb", Z)),
    ("Gateway idle: CPU per 30 s window, ms", ("gw_idle_cpu_ms", B), ("gw_idle_cpu_ms", Z)),
    ("Gateway idle: wake-ups per 30 s window (context switches of every thread of every process)",
     ("gw_idle_wakeups", B), ("gw_idle_wakeups", Z)),
    ("Gateway idle without a backend (no --api-url: libcurl and the 27 libraries only it needs not loaded): RSS, kB",
     ("gw_idle_nobackend_rss_kb", B), None),
    ("Gateway idle without a backend: RssAnon, kB", ("gw_idle_nobackend_anon_kb", B), None),
    ("Gateway idle without a backend: CPU per 30 s window, ms", ("gw_idle_nobackend_cpu_ms", B), None),
    ("Gateway idle without a backend: wake-ups per 30 s window", ("gw_idle_nobackend_wakeups", B), None),
    ("Gateway idle without a backend: RSS, kB, against its floor (other column: bcms-bench-floor, a process "
     "that only loads the daemon's shared libraries, same boot)", ("gw_idle_nobackend_rss_kb", B),
     ("gw_idle_nobackend_rss_kb", F)),
    ("Gateway idle without a backend: USS, kB, against its floor", ("gw_idle_nobackend_uss_kb", B),
     ("gw_idle_nobackend_uss_kb", F)),
    ("Gateway idle, backend configured: RSS, kB, against its floor (bcms-bench-floor --curl: the same libraries, "
     "plus libcurl loaded and curl_global_init()ed)", ("gw_idle_rss_kb", B), ("gw_idle_rss_kb", F)),
    ("Gateway idle, backend configured: USS, kB, against its floor", ("gw_idle_uss_kb", B), ("gw_idle_uss_kb", F)),
    ("Gateway scanning (3 advertisers, a new random address per advertisement): RSS, kB",
     ("gw_scanning_rss_kb", B), ("gw_scanning_rss_kb", Z)),
    ("Gateway scanning: CPU per 8 s window, ms", ("gw_scanning_cpu_ms", B), ("gw_scanning_cpu_ms", Z)),
    ("Gateway after the advertisements that made bcms-daemon track 1,000 devices: RSS, kB",
     ("gw_devices_rss_kb", B), ("gw_devices_rss_kb", Z)),
    ("Gateway after those advertisements: RssAnon, kB", ("gw_devices_anon_kb", B), ("gw_devices_anon_kb", Z)),
    ("Gateway after those advertisements: USS, kB", ("gw_devices_uss_kb", B), ("gw_devices_uss_kb", Z)),
    ("Gateway after those advertisements: PSS, kB", ("gw_devices_pss_kb", B), ("gw_devices_pss_kb", Z)),
    ("Gateway holding those devices, nothing advertising: CPU per 30 s window, ms",
     ("gw_devices_cpu_ms", B), ("gw_devices_cpu_ms", Z)),
    ("Gateway: devices tracked by bcms-daemon (`bcms status`) at that point", ("gw_devices_tracked", B), None),
    ("Gateway: advertisements generated until then", ("gw_devices_generated", B), ("gw_devices_generated", Z)),
]
CLI_BASELINE = "cli_baseline"
CENTRAL = ["central_connected", "central_resolved", "central_first_value"]


def parse(path):
    samples = defaultdict(list)
    misses = defaultdict(list)
    console = []
    with open(path, errors="replace") as f:
        for raw in f:
            line = raw.replace("\r", "").rstrip("\n")
            console.append(line)
            w = line.split()
            if len(w) >= 4 and w[0] == "SAMPLE":
                try:
                    samples[(w[1], w[2])].append(float(w[3]))
                except ValueError:
                    pass
            elif len(w) >= 3 and w[0] == "MISS":
                misses[(w[1], w[2])].append(" ".join(w[3:]))
    return samples, misses, console


def fmt(v):
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}"


def cell(vals):
    if not vals:
        return "–"
    return f"{fmt(statistics.median(vals))} [{fmt(min(vals))}–{fmt(max(vals))}] (n={len(vals)})"


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{platform.node()}: {cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("logs", nargs="+")
    ap.add_argument("--out", required=True)
    ap.add_argument("--command", default="scripts/bench-vm")
    a = ap.parse_args()
    samples, misses, console = defaultdict(list), defaultdict(list), []
    for log in a.logs:
        s1, m1, c1 = parse(log)
        for k, v in s1.items():
            samples[k] += v
        for k, v in m1.items():
            misses[k] += v
        console += c1
    os.makedirs(a.out, exist_ok=True)

    base = samples.get((CLI_BASELINE, "true"), [])
    base_ms = statistics.median(base) if base else 0.0
    for (m, s), vals in list(samples.items()):
        if m.startswith("cli_") and m != CLI_BASELINE:
            samples[(m, s)] = [v - base_ms for v in vals]

    with open(os.path.join(a.out, "samples.tsv"), "w") as f:
        f.write("metric\tside\tvalue\n")
        for (m, s), vals in sorted(samples.items()):
            for v in vals:
                f.write(f"{m}\t{s}\t{v}\n")

    kernel = next((ln.split("kernel ", 1)[1] for ln in console if ln.startswith("BCMS-VM: kernel ")), "?")
    lines = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(os.path.getmtime(a.logs[0])))} "
        f"on {machine()}; guest: kernel {kernel}, qemu TCG, 1 CPU, btvirt controllers; BlueZ 5.66 (Debian 12).",
        f"Command: `{a.command}`.",
        "Each figure: median [min–max] (n = runs) over alternating blocks of runs; ratio = bcms / other "
        "(below 1: bcms takes less; for rates, above 1: bcms delivers more).",
        "",
        "| Measure | bcms | BlueZ (bluetoothd + D-Bus + bleak or python3-dbus; btmgmt) | ratio |",
        "|---|---|---|---|",
    ]
    for label, ours, other in ROWS:
        o = samples.get(ours, []) if ours else []
        t = samples.get(other, []) if other else []
        if not o and not t:
            continue
        ratio = "–"
        if o and t and statistics.median(t) != 0:
            ratio = f"{statistics.median(o) / statistics.median(t):.2f}"
        lines.append(f"| {label} | {cell(o) if ours else 'n/a'} | {cell(t) if other else 'n/a'} | {ratio} |")
    own = []
    for m, what in (("gw_idle_nobackend_rss_kb", "idle without a backend"), ("gw_idle_rss_kb", "idle, backend configured")):
        o, f = samples.get((m, B), []), samples.get((m, F), [])
        if o and f:
            own.append(f"{what} {fmt(statistics.median(o) - statistics.median(f))} kB")
    if own:
        lines.append("")
        lines.append("The daemon's RSS above its floor (medians; what bcms itself adds to the libraries it loads): "
                     + "; ".join(own) + ".")
    if base:
        lines.append("")
        lines.append(f"CLI times: the median of a /bin/true run timed the same way ({fmt(base_ms)} ms: timer, "
                     "fork, exec) is subtracted.")
    lines.append("")
    lines.append("Reliability (runs that failed, by phase and side; a bleak run that resolved the services "
                 "incompletely counts as failed; eatt: bleak with BlueZ's default GATT Channels = 3, EATT on, "
                 "everything else with Channels = 1):")
    lines.append("")
    for ph, sides in (("central", ("bcms", "bleak")), ("eatt", ("bleak",)), ("reads", ("bcms", "bleak")),
                      ("peripheral", ("bcms", "bluez")), ("footprint", ("bcms", "bleak")),
                      ("scan", ("bcms", "bleak")), ("daemon", ("bcms", "bleak", "floor")),
                      ("collector", ("bcms", "bleak"))):
        parts = []
        for s in sides:
            ok = {"central": len(samples.get(("central_first_value", s), [])),
                  "eatt": len(samples.get(("eatt_ok", s), []))}.get(ph)
            n_miss = len(misses.get((ph, s), []))
            parts.append(f"{s}: {n_miss} failed" + (f" of {ok + n_miss}" if ok is not None else ""))
        lines.append(f"- {ph}: " + ", ".join(parts))
        for s in sides:
            reasons = defaultdict(int)
            for r in misses.get((ph, s), []):
                reasons[r] += 1
            for r, n in sorted(reasons.items(), key=lambda x: -x[1]):
                lines.append(f"  - {s} ×{n}: {r}")
    for (m, s), rs in sorted(misses.items()):
        if m.startswith("cli_"):
            lines.append(f"- {m} {s}: {len(rs)} failed")
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")

    gp = ["set terminal pngcairo size 800,480 noenhanced" if have_cairo() else "set terminal png size 800,480",
          "set key bottom right", "set grid", "set logscale x", "set ylabel 'fraction of runs'", "set yrange [0:1]"]
    for m in CENTRAL:
        plots = []
        for s in ("bcms", "bleak"):
            vals = sorted(samples.get((m, s), []))
            if not vals:
                continue
            dat = os.path.join(a.out, f"{m}_{s}.dat")
            with open(dat, "w") as f:
                for i, v in enumerate(vals):
                    f.write(f"{v} {(i + 1) / len(vals)}\n")
            plots.append(f"'{dat}' using 1:2 with steps lw 2 title '{s} (n={len(vals)})'")
        if plots:
            gp += [f"set output '{os.path.join(a.out, m + '.png')}'",
                   f"set title '{m.replace('_', ' ')}: ms from spawn, log scale (cumulative distribution)'",
                   "set xlabel 'ms'", "plot " + ", ".join(plots)]
    with open(os.path.join(a.out, "plots.gp"), "w") as f:
        f.write("\n".join(gp) + "\n")
    print("\n".join(lines))
    return 0


def have_cairo():
    try:
        out = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True, timeout=10)
        return "pngcairo" in (out.stdout + out.stderr)
    except (OSError, subprocess.SubprocessError):
        return False


if __name__ == "__main__":
    sys.exit(main())
