#!/usr/bin/env python3
"""Regeneration drift check: regenerates gen/ from
<source_root>/../shared/spec/mgmt-api.txt into a temporary directory and
diffs it with the committed gen/.  Skips (exit 77) when the reference
folder is absent.

Usage: mgmtgen_drift_test.py <source_root>
"""
import difflib
import os
import subprocess
import sys
import tempfile


def main():
    root = os.path.abspath(sys.argv[1])
    spec = os.path.join(root, "..", "shared", "spec", "mgmt-api.txt")
    if not os.path.isfile(spec):
        print(f"SKIP: {spec} not found (the reference folder is not next to the repository)")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PYTHONPATH=os.path.join(root, "scripts"))
        subprocess.run([sys.executable, "-m", "mgmtgen", "--txt", spec, "--out", tmp,
                        "--revision", "BlueZ 5.82, commit cf8b2f308e31"], check=True, env=env)
        gen = os.path.join(root, "gen")
        new = sorted(f for f in os.listdir(tmp))
        old = sorted(f for f in os.listdir(gen) if f != "meson.build")
        bad = False
        if new != old:
            print(f"FAIL: file sets differ: generated {new}, committed {old}")
            bad = True
        for f in new:
            a = open(os.path.join(gen, f), encoding="utf-8").read().splitlines() if f in old else []
            b = open(os.path.join(tmp, f), encoding="utf-8").read().splitlines()
            if a != b:
                bad = True
                print(f"FAIL: gen/{f} differs from a fresh regeneration (run scripts/regenerate):")
                for ln in list(difflib.unified_diff(a, b, "gen/" + f, "regenerated", lineterm=""))[:40]:
                    print(ln)
        if not bad:
            print(f"gen/ matches a regeneration from {spec} ({len(new)} files)")
        return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
