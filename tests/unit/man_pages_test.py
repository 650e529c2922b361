#!/usr/bin/env python3
"""Drift check: every subcommand and option a program's --help lists is
documented in its man page (dist/man/PROG.N), and the page renders.

usage: man_pages_test.py MAN_PAGE PROGRAM
"""
import re
import subprocess
import sys


def help_items(program):
    out = subprocess.run([program, "--help"], capture_output=True, text=True, timeout=30).stdout
    cmds, opts, section = [], [], None
    for line in out.splitlines():
        if line.startswith("Subcommands:"):
            section = "sub"
            continue
        if line.startswith("Options:"):
            section = "opt"
            continue
        if not line.strip():
            section = None if section == "sub" else section
            continue
        m = re.match(r"\s+command TEXT:\{([^}]*)\}", line)
        if m:  # a positional command (bcms): its choices are the commands
            cmds.extend(m.group(1).split(","))
            continue
        if section == "sub":
            m = re.match(r"  (\S+)\s", line + " ")
            if m:
                cmds.append(m.group(1))
        elif section == "opt":
            for o in re.findall(r"(?<![\w-])(--[a-z][a-z0-9_-]*)", line.split("  ")[1] if "  " in line else line):
                if o not in ("--help", "--help-all"):
                    opts.append(o)
    return cmds, opts


def main():
    page, program = sys.argv[1], sys.argv[2]
    text = open(page, encoding="utf-8").read()
    plain = text.replace("\\-", "-")
    failures = []
    cmds, opts = help_items(program)
    if not cmds and not opts:
        failures.append(f"{program} --help listed nothing")
    for c in cmds:
        if not re.search(r"^\.B " + re.escape(c) + r"\s*$", plain, re.M):
            failures.append(f"subcommand {c} is not documented (.B {c})")
    for o in set(opts):
        if o not in plain:
            failures.append(f"option {o} is not documented")
    r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", page], capture_output=True, text=True) \
        if subprocess.run(["sh", "-c", "command -v groff"], capture_output=True).returncode == 0 else None
    if r is not None and (r.returncode != 0 or r.stderr.strip()):
        failures.append("groff: " + r.stderr.strip())
    for f in failures:
        print("FAIL:", f)
    print(f"{page}: {len(cmds)} subcommands, {len(set(opts))} options checked, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
