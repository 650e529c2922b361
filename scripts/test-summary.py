#!/usr/bin/env python3
"""Summarise the test tiers for scripts/test.

Reads meson's testlog.json files (one JSON object per test) and the fuzz
result files written by scripts/test ("PASS name" / "FAIL name" lines).
A doctest executable counts its test cases (from doctest's own summary
line); every other test counts as one.  Every --tier-failure (a tier that
could not be configured or built), every unreadable, empty or malformed
result file counts as one failure, and so does a run that counted nothing at all.
Prints per-tier counts, then the closing line, always the last line and
exactly "N passed, N failed", and exits non-zero on any failure.
Tested by tests/unit/test_summary_test.py.
"""
import argparse
import json
import re
import sys

DOCTEST = re.compile(r"\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tier-failure", action="append", default=[], metavar="WHAT",
                    help="a tier that could not be configured or built (one failure each)")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    passed = failed = skipped = 0
    per_suite: dict[str, list[int]] = {}
    failures = []
    skips = []

    def add(suite, p, f, name):
        nonlocal passed, failed
        s = per_suite.setdefault(suite, [0, 0])
        s[0] += p
        s[1] += f
        passed += p
        failed += f
        if f:
            failures.append(f"{suite}/{name}")

    for path in a.files:
        try:
            text = open(path, encoding="utf-8", errors="replace").read()
        except OSError:
            add("missing", 0, 1, path)
            continue
        if path.endswith(".json"):
            if not text.strip():
                add("empty", 0, 1, f"{path}: no test ran")
            for line in text.splitlines():
                if not line.strip():
                    continue
                try:
                    t = json.loads(line)
                except json.JSONDecodeError:
                    add("malformed", 0, 1, path)
                    continue
                # meson 1.0's testlog has no suite field: scripts/test runs
                # one suite at a time into testlog-<suite>.json.
                m_suite = re.search(r"testlog-([A-Za-z0-9_]+)\.json$", path)
                suite = m_suite.group(1) if m_suite else "tests"
                ok = t.get("result") in ("OK", "EXPECTEDFAIL")
                is_skip = t.get("result") == "SKIP"
                m = DOCTEST.search(t.get("stdout") or "")
                if is_skip:
                    skipped += 1
                    skips.append(f"{suite}/{t.get('name')}")
                elif m:
                    p, f = int(m.group(2)), int(m.group(3))
                    if not ok and f == 0:
                        f = 1  # crashed or sanitizer report after the summary
                    add(suite, p, f, t.get("name"))
                else:
                    add(suite, 1 if ok else 0, 0 if ok else 1, t.get("name"))
        else:
            counted = 0
            for line in text.splitlines():
                parts = line.split()
                if len(parts) >= 2 and parts[0] in ("PASS", "FAIL"):
                    add("fuzz", int(parts[0] == "PASS"), int(parts[0] == "FAIL"), parts[1])
                    counted += 1
            if not counted:
                add("fuzz", 0, 1, f"{path}: no PASS/FAIL line")
    for what in a.tier_failure:
        add("build", 0, 1, what)
    if passed + failed == 0:
        add("runner", 0, 1, "no test was counted")
    for suite, (p, f) in sorted(per_suite.items()):
        print(f"  {suite:<20} {p} passed, {f} failed")
    for name in skips:
        print(f"  skipped: {name}")
    for name in failures:
        print(f"  FAILED: {name}")
    if skipped:
        print(f"  {skipped} skipped")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
