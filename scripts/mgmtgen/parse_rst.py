"""Front end for the reStructuredText form of the mgmt documentation
(BlueZ doc/mgmt-protocol.rst, after 5.82).

Layout of a message section (under the "Commands" / "Events" headings):

    Set Powered (since 1.x)               <- heading, "`" underline
    ```````````

    :Command Code:<TABS>0x0005            <- field list
    :Controller Index:<TABS><controller id>
    :Command Parameters:<TABS>Powered (1 Octet)
    :...:<TABS>Next (2 Octets)            <- continuation
    :Return Parameters:<TABS>...

    prose; value tables as ".. csv-table::" with rows "value, text".

Differences from the text form that this front end absorbs: headings
without " Command"/" Event" and with "(since 1.x)"; nested records are
flattened and repeated fields are written "Name[]" with a "...[]" end
marker ("Value (0-255[] Octets)" inside a record); "Name[] (variable)"
outside a record is plain variable data; a continuation line may lack its
":...:" (Set Scan Parameters).  Table headers are not trusted to say
"Bit" (Set Experimental Feature's value table says so); as in the text
form, the intro sentence decides.  The shared normalizer (ir.py)
then yields the same IR as parse_txt for the same facts.
"""
from __future__ import annotations

import re

from . import ir
from .overrides import apply_raw, SIGNED
from .parse_txt import make_table, raw_names

_FIELD_RE = re.compile(r"^:(?P<label>[^:]+):\s*(?P<rest>.*)$")
_ITEM_RE = re.compile(
    r"^(?P<name>[A-Za-z.][A-Za-z0-9_ ./-]*?)(?P<idx>\[i?\])?\s*(?P<size>\(.*\))?$")


def parse_block(items: list[str], where: str) -> ir.RawBlock:
    out: list[ir.RawField] = []
    group = None
    next_id = 0
    for it in items:
        if it == "...[]":
            group = None
            continue
        m = _ITEM_RE.match(it)
        if not m:
            raise ValueError(f"{where}: cannot parse parameter line {it!r}")
        name, idx, size_text = m.group("name").strip(), m.group("idx"), m.group("size")
        sz = ir.parse_size(size_text) if size_text else None
        if size_text and sz is None:
            raise ValueError(f"{where}: cannot parse size {size_text!r}")
        in_group = bool(idx) or (size_text is not None and "[]" in size_text)
        if in_group and group is None and sz is not None and sz["variable"]:
            in_group = False            # "Data[] (variable)": octets, not a list
        if in_group and sz is None:
            next_id += 1                # "Handle[]": element left open by the prose
            out.append(ir.RawField(name, None, group=next_id))
            continue
        if in_group and group is None:
            next_id += 1
            group = next_id
        if not in_group:
            group = None
        f = ir.RawField(name, group=group if in_group else None)
        if sz:
            f.size, f.variable, f.lo, f.hi, f.optional = sz["size"], sz["variable"], sz["lo"], sz["hi"], sz["optional"]
        out.append(f)
    return ir.RawBlock(out)


def _headings(lines: list[str], ch: str):
    return [i for i in range(1, len(lines))
            if lines[i] and set(lines[i]) == {ch} and len(lines[i]) >= 3 and lines[i - 1].strip()]


def _csv_tables(prose: list[str]):
    """(intro text, header text, [(value, text)]) for each csv-table."""
    i = 0
    while i < len(prose):
        if prose[i].strip() != ".. csv-table::":
            i += 1
            continue
        j = i - 1
        while j >= 0 and not prose[j].strip():
            j -= 1
        intro: list[str] = []
        while j >= 0 and prose[j].strip():
            intro.insert(0, prose[j].strip())
            j -= 1
        i += 1
        header = ""
        while i < len(prose) and prose[i].strip().startswith(":"):
            if prose[i].strip().startswith(":header:"):
                header = prose[i].strip()
            i += 1
        while i < len(prose) and not prose[i].strip():
            i += 1
        rows = []
        while i < len(prose) and prose[i][:1] in (" ", "\t") and prose[i].strip():
            cells = prose[i].strip().split(",", 1)
            m = re.match(r"^(0x[0-9A-Fa-f]+|\d+)\b", cells[0].strip())
            if m and len(cells) == 2:
                rows.append((int(m.group(1), 0), cells[1].strip()))
            i += 1
        yield " ".join(intro), header, rows


def _tables(prose: list[str], names: list[str]) -> list[ir.ValueTable]:
    out: list[ir.ValueTable] = []
    for intro, _header, rows in _csv_tables(prose):
        for t in make_table(intro, rows, names):
            if not any(x.param == t.param for x in out):
                out.append(t)
    return out


def parse(text: str) -> ir.Spec:
    spec = ir.Spec("mgmt-protocol.rst")
    lines = text.split("\n")
    eq = _headings(lines, "=")
    for h in eq:
        if lines[h - 1].strip() == "Error Codes":
            body = lines[h + 1:]
            for intro, header, rows in _csv_tables(body):
                spec.statuses = rows
                break
    heads = _headings(lines, "`")
    for k, h in enumerate(heads):
        end = heads[k + 1] - 1 if k + 1 < len(heads) else len(lines)
        title = re.sub(r"\s*\(since [^)]*\)\s*$", "", lines[h - 1].strip())
        body = lines[h + 1:end]
        labels: dict[str, list[str]] = {}
        cur = None
        i = 0
        while i < len(body) and not body[i].strip():
            i += 1
        while i < len(body) and (body[i].startswith(":") or (cur and body[i][:1] == "\t" and body[i].strip())):
            if body[i][:1] == "\t":        # continuation without ":...:"
                labels[cur].append(body[i].strip())
                i += 1
                continue
            m = _FIELD_RE.match(body[i])
            if not m:
                break
            label, rest = m.group("label").strip().lower(), m.group("rest").strip()
            if label == "...":
                labels[cur].append(rest)
            else:
                cur = label
                labels[cur] = [rest] if rest else []
            i += 1
        prose = body[i:]
        if "command code" in labels:
            code = int(labels["command code"][0], 16)
            index = ir.parse_index(" ".join(labels["controller index"]))
            params = parse_block(labels.get("command parameters", []), title)
            reply = parse_block(labels.get("return parameters", []), title)
            reply.present = "return parameters" in labels
            params, reply = apply_raw("command", code, params, reply)
            cmd = ir.Command(code, title, index,
                             ir.normalize(params, title, SIGNED),
                             ir.normalize(reply, title + " reply", SIGNED))
            cmd.tables = _tables(prose, raw_names(params, reply))
            spec.commands.append(cmd)
        elif "event code" in labels:
            code = int(labels["event code"][0], 16)
            index = ir.parse_index(" ".join(labels["controller index"]))
            params = parse_block(labels.get("event parameters", []), title)
            params, _ = apply_raw("event", code, params, None)
            ev = ir.Event(code, title, index, ir.normalize(params, title, SIGNED))
            ev.tables = _tables(prose, raw_names(params))
            spec.events.append(ev)
    return spec
