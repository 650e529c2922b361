#!/usr/bin/env python3
"""txt vs rst: the two forms of the mgmt documentation must give the same
IR for everything they share: codes, names, controller-index kinds and
every parameter / return-parameter layout; value tables attached to the
same parameter agree on every value both list, except KNOWN_DOC_EDITS
(entries the rst revision changed).  The rst (newer) adds one command
(0x005C Load Connection Subrate) and one event (0x0033 Connection
Subrate), which must be the only extras.  Skips (exit 77) without the
reference folder.

Usage: mgmtgen_txt_rst_test.py <source_root>
"""
import os
import sys

KNOWN_DOC_EDITS = {
    # (kind, code, param, value): the rst revised the text of this entry
    ("C", 0x0031, "Address_Type", 0),   # BR/EDR -> Reserved (not in use)
    ("C", 0x0035, "Address_Type", 0),   # Reserved (not in use) -> BR/EDR
    ("E", 0x002F, "Address_Type", 0),   # Reserved (not in use) -> BR/EDR
    # the rst misspells bit 6 of the PHYs bitmask "ERDR 3M 1-Slot"
    ("C", 0x0044, "Supported_PHYs", 6),
    ("C", 0x0044, "Configurable_PHYs", 6),
    ("C", 0x0044, "Selected_PHYs", 6),
}


def main():
    root = os.path.abspath(sys.argv[1])
    spec = os.path.join(root, "..", "shared", "spec")
    txt, rst = os.path.join(spec, "mgmt-api.txt"), os.path.join(spec, "mgmt-protocol.rst")
    if not (os.path.isfile(txt) and os.path.isfile(rst)):
        print(f"SKIP: {spec}/mgmt-api.txt or mgmt-protocol.rst not found")
        return 77
    sys.path.insert(0, os.path.join(root, "scripts"))
    from mgmtgen import parse_rst, parse_txt
    t = parse_txt.parse(open(txt, encoding="utf-8").read())
    r = parse_rst.parse(open(rst, encoding="utf-8").read())
    errors = []
    if (len(t.commands), len(t.events)) != (91, 50):
        errors.append(f"txt: {len(t.commands)} commands, {len(t.events)} events (want 91, 50)")
    if (len(r.commands), len(r.events)) != (92, 51):
        errors.append(f"rst: {len(r.commands)} commands, {len(r.events)} events (want 92, 51)")
    if t.statuses != r.statuses:
        errors.append("status tables differ")
    shared = 0
    values = 0
    for kind, tl, rl, attrs in (("C", t.commands, r.commands, ("name", "index", "params", "reply")),
                                ("E", t.events, r.events, ("name", "index", "params"))):
        rmap = {m.code: m for m in rl}
        extra = sorted(set(rmap) - {m.code for m in tl})
        want_extra = [0x005C] if kind == "C" else [0x0033]
        if extra != want_extra:
            errors.append(f"{kind}: rst-only codes {[hex(x) for x in extra]}, want {[hex(x) for x in want_extra]}")
        for m in tl:
            o = rmap.get(m.code)
            if o is None:
                errors.append(f"{kind} 0x{m.code:04x} {m.name}: missing from the rst")
                continue
            shared += 1
            for a in attrs:
                if getattr(m, a) != getattr(o, a):
                    errors.append(f"{kind} 0x{m.code:04x} {m.name}: {a} differs:\n  txt {getattr(m, a)}\n  rst {getattr(o, a)}")
            rt = {x.param: x for x in o.tables}
            for tab in m.tables:
                other = rt.get(tab.param)
                if other is None:
                    continue
                if tab.bits != other.bits:
                    errors.append(f"{kind} 0x{m.code:04x} {tab.param}: bits/values differ")
                od = dict(other.entries)
                for v, text in tab.entries:
                    if v in od and od[v] != text and (kind, m.code, tab.param, v) not in KNOWN_DOC_EDITS:
                        errors.append(f"{kind} 0x{m.code:04x} {tab.param}={v}: {text!r} vs {od[v]!r}")
                    values += 1
    print(f"txt/rst: {shared} shared messages, {values} table values compared")
    for e in errors:
        print("FAIL:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
