"""Front end for the text form of the mgmt documentation (BlueZ
doc/mgmt-api.txt, up to BlueZ 5.82).

Layout of a message section:

    Set Powered Command                   <- heading, "=" underline
    ===================

    <TAB>Command Code:<TABS>0x0005        <- header labels (one tab)
    <TAB>Controller Index:<TABS><controller id>
    <TAB>Command Parameters:<TABS>Powered (1 Octet)
    <TAB><TAB><TAB><TAB>...               <- continuation lines (2+ tabs)
    <TAB>Return Parameters:<TABS>...

    <TAB>prose, value tables "<TAB><TAB>0x00<TAB>Text", "Possible errors:"

Irregularities tolerated (see the spec README): "Event code:", the
"<controller_id>" spelling, hex case, size units "(1 Octets)", "(1 octet)",
"(0-255 Octets)", "(1-variable Octets)", "(16 Octets, Optional)",
"(variable)"; arrays as "Name[i]", "Name1 (..) Name2 (..) ..." and
"Key1 { ... } Key2 { } ..."; non-repeated "Key { ... }" groups (flattened);
names with spaces; blank lines inside a header block; blocks without a
"Return Parameters:" line.
"""
from __future__ import annotations

import re

from . import ir
from .overrides import apply_raw, SIGNED

_LABEL_RE = re.compile(
    r"^\t(?P<label>Command Code|Event Code|Controller Index|Command Parameters|"
    r"Return Parameters|Event Parameters):\s*(?P<rest>.*)$", re.IGNORECASE)
_ITEM_RE = re.compile(
    r"^(?P<name>[A-Za-z][A-Za-z0-9_ ./-]*?)(?P<idx>\[i\]|\[\])?\s*(?P<size>\(.*\))?$")
_ROW_RE = re.compile(r"^\t\t\t?(0x[0-9A-Fa-f]+|\d+)\t+(\S.*)$")
_CONT_RE = re.compile(r"^\t\t\t+(?!0x[0-9A-Fa-f]|\d)(\S.*)$")
_STATUS_RE = re.compile(r"^(0x[0-9A-Fa-f]{2})\t+(\S.*)$")


class _Groups:
    def __init__(self) -> None:
        self.next_id = 0

    def new(self) -> int:
        self.next_id += 1
        return self.next_id


def parse_block(items: list[str], where: str) -> ir.RawBlock:
    """Parameter lines (stripped) -> RawBlock."""
    groups = _Groups()
    out: list[ir.RawField] = []
    rep_group = None        # open "Key1 {" block
    num_group = None        # open "Name1 (..) Name2 (..) ..." run: (stem, id)
    idx_group = None        # open run of "Name[i]" fields
    depth = 0               # nesting of "{" blocks
    for it in items:
        if it == "...":
            num_group = None
            continue
        if it == "}":
            depth -= 1
            rep_group = None
            continue
        m = re.match(r"^(?P<name>.+?)\s*\{\s*(?P<close>\})?$", it)
        if m:
            name = m.group("name")
            d = re.match(r"^(.*?)(\d+)$", name)
            if m.group("close"):
                if d and int(d.group(2)) >= 2:
                    continue            # "Key2 { }": the repetition marker
                # "AD Types { }": a list whose element the prose leaves open
                out.append(ir.RawField(name, None, group=groups.new()))
                continue
            depth += 1
            rep_group = groups.new() if d else None   # "Key {" is flattened
            continue
        m = _ITEM_RE.match(it)
        if not m:
            raise ValueError(f"{where}: cannot parse parameter line {it!r}")
        name, idx, size_text = m.group("name").strip(), m.group("idx"), m.group("size")
        sz = ir.parse_size(size_text) if size_text else None
        if size_text and sz is None:
            raise ValueError(f"{where}: cannot parse size {size_text!r}")
        group = rep_group
        if idx:
            if idx_group is None:
                idx_group = groups.new()
            group = idx_group
        else:
            idx_group = None
            d = re.match(r"^(.*?)(\d+)$", name)
            if d and depth == 0 and not name[-2:-1].isdigit() and d.group(1).endswith(tuple("abcdefghijklmnopqrstuvwxyz")):
                stem, n = d.group(1), int(d.group(2))
                if n == 1:
                    num_group = (stem, groups.new())
                    name, group = stem, num_group[1]
                elif num_group and num_group[0] == stem:
                    continue
        f = ir.RawField(name, group=group)
        if sz:
            f.size, f.variable, f.lo, f.hi, f.optional = sz["size"], sz["variable"], sz["lo"], sz["hi"], sz["optional"]
        out.append(f)
    return ir.RawBlock(out)


def _sections(lines: list[str]):
    """(title, body_lines) for every "====" underlined heading."""
    heads = [i for i in range(1, len(lines))
             if re.match(r"^=+$", lines[i]) and lines[i - 1].strip() and len(lines[i]) >= 3]
    for k, h in enumerate(heads):
        end = heads[k + 1] - 1 if k + 1 < len(heads) else len(lines)
        yield lines[h - 1].strip(), lines[h + 1:end]


def _header(body: list[str], where: str):
    labels: dict[str, list[str]] = {}
    cur = None
    i = 0
    while i < len(body):
        ln = body[i]
        m = _LABEL_RE.match(ln)
        if m:
            cur = m.group("label").lower()
            labels[cur] = [m.group("rest").strip()] if m.group("rest").strip() else []
        elif ln.startswith("\t\t") and cur:
            labels[cur].append(ln.strip())
        elif ln.strip() == "":
            pass
        elif labels:
            break
        i += 1
    return labels, body[i:]


def _tables(prose: list[str], names: list[str]) -> list[ir.ValueTable]:
    out: list[ir.ValueTable] = []
    i = 0
    while i < len(prose):
        if not _ROW_RE.match(prose[i]):
            i += 1
            continue
        # intro paragraph: the non-empty prose lines just before the table
        j = i - 1
        while j >= 0 and prose[j].strip() == "":
            j -= 1
        intro: list[str] = []
        while j >= 0 and prose[j].strip() and not _ROW_RE.match(prose[j]):
            intro.insert(0, prose[j].strip())
            j -= 1
        entries: list[tuple[int, str]] = []
        while i < len(prose):
            r = _ROW_RE.match(prose[i])
            c = _CONT_RE.match(prose[i])
            if r:
                entries.append((int(r.group(1), 0), r.group(2).strip()))
            elif c and entries:
                v, t = entries[-1]
                entries[-1] = (v, t + " " + c.group(1).strip())
            else:
                break
            i += 1
        for t in make_table(" ".join(intro), entries, names):
            if not any(x.param == t.param for x in out):
                out.append(t)
    return out


def make_table(intro: str, entries, names: list[str]) -> list[ir.ValueTable]:
    """Attach a prose table to the parameter its intro sentence names: the
    earliest (then longest) parameter name in the intro.  When the intro
    names none, it may name a family by the last word the parameter names
    share ("The PHYs parameters are a bitmask ..." for Supported_PHYs,
    Configurable_PHYs and Selected_PHYs): the table then describes every
    parameter of the family."""
    if not entries:
        return []
    bits = bool(re.search(r"\bbit|\bflags\b", intro, re.IGNORECASE))

    def named(n: str):
        return re.search(r"(?<![A-Za-z0-9_])" + re.escape(n) + r"(?![A-Za-z0-9_])", intro)

    best = None
    for n in set(names):
        m = named(n)
        if m and (best is None or m.start() < best[0] or (m.start() == best[0] and len(n) > len(best[1]))):
            best = (m.start(), n)
    if best is not None:
        return [ir.ValueTable(best[1], bits, list(entries))]
    family: dict[str, list[str]] = {}
    for n in names:
        if "_" in n and n not in family.setdefault(n.rsplit("_", 1)[1], []):
            family[n.rsplit("_", 1)[1]].append(n)
    for last, members in sorted(family.items()):
        if len(members) >= 2 and named(last + " parameters"):
            return [ir.ValueTable(n, bits, list(entries)) for n in members]
    return []


def raw_names(*blocks: ir.RawBlock) -> list[str]:
    return [f.name for b in blocks for f in b.fields]


def parse(text: str) -> ir.Spec:
    spec = ir.Spec("mgmt-api.txt")
    lines = text.split("\n")
    for title, body in _sections(lines):
        if title == "Error Codes":
            for ln in body:
                m = _STATUS_RE.match(ln)
                if m:
                    spec.statuses.append((int(m.group(1), 16), m.group(2).strip()))
            continue
        kind = "command" if title.endswith(" Command") else "event" if title.endswith(" Event") else None
        if kind is None:
            continue
        name = title.rsplit(" ", 1)[0]
        labels, prose = _header(body, title)
        code_key = "command code" if kind == "command" else "event code"
        if code_key not in labels:
            continue
        code = int(labels[code_key][0], 16)
        index = ir.parse_index(" ".join(labels["controller index"]))
        if kind == "command":
            params = parse_block(labels.get("command parameters", []), title)
            reply = parse_block(labels.get("return parameters", []), title)
            reply.present = "return parameters" in labels
            params, reply = apply_raw("command", code, params, reply)
            cmd = ir.Command(code, name, index,
                             ir.normalize(params, title, SIGNED),
                             ir.normalize(reply, title + " reply", SIGNED))
            cmd.tables = _tables(prose, raw_names(params, reply))
            spec.commands.append(cmd)
        else:
            params = parse_block(labels.get("event parameters", []), title)
            params, _ = apply_raw("event", code, params, None)
            ev = ir.Event(code, name, index, ir.normalize(params, title, SIGNED))
            ev.tables = _tables(prose, raw_names(params))
            spec.events.append(ev)
    return spec
