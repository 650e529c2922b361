#!/usr/bin/env python3
"""Kernel cross-check of the GENERATED mgmt table.

Compares every MGMT_OP_* / MGMT_EV_* code in the kernel's
include/net/bluetooth/mgmt.h (Linux 6.12 headers, Debian's
linux-headers-*-common) with the code and name in the generated C++ table
(dumped by the mgmt_table_dump executable), every fixed *_SIZE define with
the generated (fixed or minimum) parameter length, and the MGMT_STATUS_*
codes with the generated status table.  Kernel names are abbreviations of
the spec names ("GET_CONN_INFO" ~ "Get Connection Information"); a kernel
token matches a spec token it prefixes or that ABBREV spells out.  What
cannot match that way is listed in KNOWN with its reason.

Usage: mgmt_kernel_check.py <mgmt_table_dump executable>
Exit 77 (meson: skipped) when the kernel header is not installed.
"""
import glob
import re
import subprocess
import sys

HEADER_GLOB = "/usr/src/linux-headers-6.12*-common/include/net/bluetooth/mgmt.h"

ABBREV = {
    "SSP": ["SECURE", "SIMPLE", "PAIRING"], "HS": ["HIGH", "SPEED"], "LE": ["LOW", "ENERGY"],
    "OOB": ["OUT", "OF", "BAND"], "BREDR": ["BR", "EDR"], "IRKS": ["IDENTITY", "RESOLVING", "KEYS"],
    "IRK": ["IDENTITY", "RESOLVING", "KEY"], "CSRK": ["SIGNATURE", "RESOLVING", "KEY"],
    "PARAMS": ["PARAMETERS"], "CMD": ["COMMAND"], "CMPLT": ["COMPLETE"],
}

# (kind, code) -> (kernel name, reason).  Names that are not abbreviations.
KNOWN = {
    ("C", 0x0046): ("SET_BLOCKED_KEYS", "the kernel calls Load Blocked Keys SET_BLOCKED_KEYS"),
    ("C", 0x0058): ("MESH_READ_FEATURES", "kernel mesh ops put MESH first (Read Mesh Features)"),
    ("C", 0x0059): ("MESH_SEND", "kernel name of Transmit Mesh Packet"),
    ("C", 0x005A): ("MESH_SEND_CANCEL", "kernel name of Cancel Transmit Mesh Packet"),
}
# Spec entries the 6.12 kernel does not define, with the reason.
NOT_IN_KERNEL = {
    ("C", 0x005B): "Send HCI command and wait for event (MGMT_OP_HCI_CMD_SYNC) is newer than Linux 6.12",
    ("E", 0x0028): "Default System Configuration Changed is documented but the kernel defines no MGMT_EV_ for it",
    ("E", 0x0029): "Default Runtime Configuration Changed is documented but the kernel defines no MGMT_EV_ for it",
}
# *_SIZE defines that are not the plain parameter size of one op.
SIZE_SPECIAL = {
    "ADDR_INFO": "address + type pair, checked against Disconnect's parameters",
    "SETTING": "struct mgmt_mode (the 1-octet parameter of the Set <mode> commands), checked against Set Powered",
    "ADD_REMOTE_OOB_EXT_DATA": "Add Remote OOB Data with the optional P-256 values: minimum + 32",
    "SET_EXP_FEATURE": "the kernel checks 16 (UUID) here and the 1-octet Action in each feature's handler",
}


def tokens(name):
    return [t for t in re.split(r"[^A-Z0-9]+", name.upper()) if t]


def abbreviates(kernel, spec):
    """Every kernel token matches, in order, spec token(s) it prefixes or
    that ABBREV spells out; spec tokens may be skipped."""
    st = tokens(spec)
    i = 0
    for k in tokens(kernel):
        want = ABBREV.get(k)
        while i < len(st):
            if want and st[i:i + len(want)] == want:
                i += len(want)
                break
            if st[i].startswith(k):
                i += 1
                break
            i += 1
        else:
            return False
    return True


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    headers = sorted(glob.glob(HEADER_GLOB))
    if not headers:
        print(f"SKIP: kernel header not found ({HEADER_GLOB}); install linux-headers-*-common")
        return 77
    text = open(headers[-1], encoding="utf-8").read()
    dump = subprocess.run([sys.argv[1]], check=True, capture_output=True, text=True).stdout
    gen = {}
    statuses = {}
    for ln in dump.splitlines():
        p = ln.split(" ")
        if p[0] == "C":
            gen[("C", int(p[1], 16))] = {"size": int(p[2]), "var": p[3] == "1", "name": " ".join(p[7:])}
        elif p[0] == "E":
            gen[("E", int(p[1], 16))] = {"size": int(p[2]), "var": p[3] == "1", "name": " ".join(p[5:])}
        elif p[0] == "S":
            statuses[int(p[1], 16)] = " ".join(p[2:])
    errors = []
    checked = 0
    kernel = {}
    for kind, prefix in (("C", "MGMT_OP_"), ("E", "MGMT_EV_")):
        for name, val in re.findall(r"#define\s+" + prefix + r"(\w+)\s+(0x[0-9a-fA-F]+)", text):
            kernel[(kind, int(val, 16))] = name
            k = (kind, int(val, 16))
            checked += 1
            if k not in gen:
                errors.append(f"{prefix}{name} 0x{k[1]:04x}: not in the generated table")
                continue
            if k in KNOWN:
                if KNOWN[k][0] != name:
                    errors.append(f"{prefix}{name}: KNOWN expects {KNOWN[k][0]}")
                continue
            if not abbreviates(name, gen[k]["name"]):
                errors.append(f"{prefix}{name} 0x{k[1]:04x}: name differs from generated {gen[k]['name']!r}")
    for k, g in gen.items():
        if k not in kernel and k not in NOT_IN_KERNEL:
            errors.append(f"generated {k[0]} 0x{k[1]:04x} {g['name']!r} is not in the kernel header")
        if k in kernel and k in NOT_IN_KERNEL:
            errors.append(f"{g['name']!r} is in the kernel now: drop it from NOT_IN_KERNEL")
    # sizes
    # MGMT_CAP_*_SIZE are capability type codes (Read Controller
    # Capabilities TLV types), not parameter sizes.
    defines = {k: v for k, v in re.findall(r"#define\s+MGMT_(\w+)_SIZE\s+([^\n]+)", text)
               if not k.startswith("CAP_")}
    ops = {v: c for (kind, c), v in kernel.items() if kind == "C"}

    def value(expr):
        expr = re.sub(r"MGMT_(\w+)_SIZE", lambda m: f"({defines[m.group(1)]})", expr.strip())
        if not re.fullmatch(r"[0-9+\-*() ]+", expr):
            raise ValueError(expr)
        return eval(expr)  # digits and + - * ( ) only

    sizes = 0
    for name, expr in sorted(defines.items()):
        n = value(expr)
        op = name[3:] if name.startswith("OP_") else name
        is_min = op.endswith("_MIN")
        op = op[:-4] if is_min else op
        if name in SIZE_SPECIAL:
            if name == "ADDR_INFO":
                got = gen[("C", 0x0014)]["size"]
            elif name == "SETTING":
                got = gen[("C", 0x0005)]["size"]
            elif name == "ADD_REMOTE_OOB_EXT_DATA":
                got = gen[("C", 0x0021)]["size"] + 32
            else:  # SET_EXP_FEATURE
                got = gen[("C", 0x004A)]["size"] - 1
            if got != n:
                errors.append(f"MGMT_{name}_SIZE = {n}, generated gives {got}")
            sizes += 1
            continue
        if op not in ops:
            errors.append(f"MGMT_{name}_SIZE: no MGMT_OP_{op}")
            continue
        g = gen[("C", ops[op])]
        if g["size"] != n:
            errors.append(f"MGMT_{name}_SIZE = {n}, generated {'minimum' if g['var'] else 'fixed'} length {g['size']}")
        sizes += 1
    kst = {int(v, 16): n for n, v in re.findall(r"#define\s+MGMT_STATUS_(\w+)\s+(0x[0-9a-fA-F]+)", text)}
    if sorted(kst) != sorted(statuses):
        errors.append(f"status codes differ: kernel {sorted(kst)} generated {sorted(statuses)}")
    for code, kname in kst.items():
        if code in statuses and not abbreviates(kname.replace("PARAMS", "PARAMETERS"), statuses[code]):
            errors.append(f"MGMT_STATUS_{kname}: generated name {statuses[code]!r}")
    for k, why in sorted(NOT_IN_KERNEL.items()):
        print(f"note: {k[0]} 0x{k[1]:04x} not in {headers[-1]}: {why}")
    for k, (n, why) in sorted(KNOWN.items()):
        print(f"note: {k[0]} 0x{k[1]:04x} kernel name {n}: {why}")
    print(f"{headers[-1]}: {checked} codes, {sizes} size defines, {len(kst)} status codes compared")
    for e in errors:
        print("FAIL:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
