#!/usr/bin/env python3
"""Summarise the test tiers for scripts/test.

Reads meson's testlog.json files (one JSON object per test) and the fuzz
result files written by scripts/test ("PASS name" / "FAIL name" lines).
A doctest executable counts its test cases (from doctest's own summary
line); every other test counts as one.  Prints per-tier counts, then the
closing line "N passed, N failed" and exits non-zero on any failure.
"""
import argparse
import json
import re
import sys

DOCTEST = re.compile(r"\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-failures", type=int, default=0)
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
            for line in text.splitlines():
                if not line.strip():
                    continue
                t = json.loads(line)
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
            for line in text.splitlines():
                parts = line.split()
                if len(parts) >= 2 and parts[0] in ("PASS", "FAIL"):
                    add("fuzz", parts[0] == "PASS", parts[0] == "FAIL", parts[1])
    if a.build_failures:
        add("build", 0, a.build_failures, "build")
    for suite, (p, f) in sorted(per_suite.items()):
        print(f"  {suite:<20} {p} passed, {f} failed")
    for name in skips:
        print(f"  skipped: {name}")
    for name in failures:
        print(f"  FAILED: {name}")
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
