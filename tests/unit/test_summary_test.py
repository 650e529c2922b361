#!/usr/bin/env python3
"""scripts/test-summary.py, the verdict of scripts/test, on made-up result
files: the last line is exactly "N passed, N failed", a tier that could not
be configured or built counts as a failure (never a silent skip), and so do
an empty suite log, a fuzz file without results, a malformed log line and a
run that counted nothing.

Usage: test_summary_test.py SOURCE_ROOT
"""
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
SUMMARY = os.path.join(ROOT, "scripts", "test-summary.py")
LAST = re.compile(r"^\d+ passed, \d+ failed$")
failures = 0


def run(*args):
    p = subprocess.run([sys.executable, SUMMARY, *args], capture_output=True, text=True)
    lines = p.stdout.splitlines()
    return p.returncode, lines[-1] if lines else "", p.stdout


def expect(desc, args, last, rc):
    global failures
    got_rc, got_last, out = run(*args)
    ok = got_last == last and got_rc == rc and LAST.match(got_last)
    print(("ok" if ok else "FAIL") + f": {desc}: '{got_last}' (exit {got_rc})")
    if not ok:
        failures += 1
        print(f"  expected '{last}' (exit {rc}); output:\n{out}")


with tempfile.TemporaryDirectory() as d:
    def write(name, text):
        path = os.path.join(d, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    doctest_out = "[doctest] test cases:  12 |  12 passed |  0 failed |  0 skipped\n"
    unit = write("testlog-unit.json", "\n".join(json.dumps(t) for t in [
        {"name": "unit_ad", "result": "OK", "stdout": doctest_out},   # 12 cases
        {"name": "mgmt_kernel_check", "result": "OK", "stdout": ""},  # 1
        {"name": "vm_only", "result": "SKIP", "stdout": ""},          # not counted
    ]) + "\n")
    crashed = write("testlog-engine.json", json.dumps(
        {"name": "engine_x", "result": "FAIL", "stdout": doctest_out + "ERROR: AddressSanitizer"}) + "\n")
    fuzz = write("fuzz-results.txt", "PASS fuzz_ad 1000 runs\nFAIL fuzz_att_pdu (not built: x)\n")
    empty_fuzz = write("fuzz-empty.txt", "")
    empty_log = write("testlog-vm.json", "")
    bad_log = write("testlog-bad.json", "{not json\n")

    expect("all green, skips listed above the last line", [unit], "13 passed, 0 failed", 0)
    expect("a tier that failed to configure counts as one failure",
           ["--tier-failure", "unit engine: meson setup/configure of build/asan failed", unit],
           "13 passed, 1 failed", 1)
    expect("two failed tiers and nothing else ran: 0 passed, 2 failed",
           ["--tier-failure", "vm: build failed", "--tier-failure", "fuzz: build failed"],
           "0 passed, 2 failed", 1)
    expect("nothing counted at all is a failure", [], "0 passed, 1 failed", 1)
    expect("a doctest executable that crashed after its summary", [crashed], "12 passed, 1 failed", 1)
    expect("fuzz PASS/FAIL lines", [fuzz], "1 passed, 1 failed", 1)
    expect("a fuzz result file without results", [empty_fuzz], "0 passed, 1 failed", 1)
    expect("an empty suite log (no test ran) is a failure", [unit, empty_log], "13 passed, 1 failed", 1)
    expect("a malformed log line", [bad_log], "0 passed, 1 failed", 1)
    expect("a missing result file", [os.path.join(d, "nope.json")], "0 passed, 1 failed", 1)

sys.exit(1 if failures else 0)
