"""Emits gen/mgmt_table.cpp (the one command/event table with field
descriptors) and gen/mgmt_names.cpp (names, bit words and value tables):
data only, behind the hand-written protocol/mgmt_tables/table.hpp, names.hpp and
table_data.hpp; the lookups are protocol/mgmt/table_lookup.cpp."""
from __future__ import annotations

import re

from . import bitsets, ir
from .emit_cpp import banner, camel, key, messages

_KIND = {"uint": "uint", "sint": "sint", "address": "address", "address_type": "address_type",
         "bytes": "bytes", "string": "string", "data": "data", "tail": "tail", "count": "count",
         "length": "length", "list": "list"}
_INDEX = {"controller": "controller", "non_controller": "non_controller", "both": "both"}


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fields_arrays(prefix: str, fields: list[ir.Field], out: list[str]) -> str:
    """Emits constexpr FieldDesc arrays (records first); returns the span
    expression for `fields`."""
    if not fields:
        return "{}"
    rec_spans = {}
    for f in fields:
        if f.kind == "list":
            rec_spans[f.name] = _fields_arrays(prefix + "_" + camel(f.name), f.record, out)
    idx = {f.name: i for i, f in enumerate(fields)}
    rows = []
    for f in fields:
        link = idx[f.link] if f.link else -1
        rec = rec_spans.get(f.name, "{}") if f.kind == "list" else "{}"
        rows.append(f"    {{{_q(f.name)}, {_q(key(f))}, FieldKind::{_KIND[f.kind]}, {f.size}, "
                    f"{'true' if f.optional else 'false'}, {link}, {rec}}},")
    out.append(f"constexpr FieldDesc {prefix}[] = {{")
    out.extend(rows)
    out.append("};")
    return prefix


def emit_table(spec: ir.Spec, revision: str) -> dict[str, str]:
    """gen/mgmt_table.cpp: the data of protocol/mgmt_tables/table.hpp."""
    o = [banner(spec, revision, "The mgmt command/event table with field descriptors (data; lookups in\n"
                "// protocol/mgmt/table_lookup.cpp)."),
         '#include "protocol/mgmt_tables/table_data.hpp"', "",
         "namespace bcms::mgmt::data {", "", "namespace {", ""]
    msgs = {(m.kind, m.code): m for m in messages(spec)}
    cmd_rows, ev_rows = [], []
    for c in spec.commands:
        pm, rm = msgs[("command", c.code)], msgs[("reply", c.code)]
        ps = _fields_arrays(f"k{pm.cpp}", c.params.fields, o)
        rs = _fields_arrays(f"k{rm.cpp}", c.reply.fields, o)
        cmd_rows.append(
            f"    {{Opcode::{camel(c.name)}, {_q(c.name)}, IndexKind::{_INDEX[c.index]}, "
            f"{c.params.min_size()}, {'true' if c.params.variable() else 'false'}, "
            f"{c.reply.min_size()}, {'true' if c.reply.variable() else 'false'}, {ps}, {rs}}},")
    for e in spec.events:
        em = msgs[("event", e.code)]
        es = _fields_arrays(f"k{em.cpp}", e.params.fields, o)
        ev_rows.append(
            f"    {{EventCode::{camel(e.name)}, {_q(e.name)}, IndexKind::{_INDEX[e.index]}, "
            f"{e.params.min_size()}, {'true' if e.params.variable() else 'false'}, {es}, &decode_as<{em.cpp}>}},")
    o.append("")
    o.append("constexpr CommandInfo kCommands[] = {")
    o.extend(cmd_rows)
    o.append("};")
    o.append("")
    o.append("constexpr EventInfo kEvents[] = {")
    o.extend(ev_rows)
    o.append("};")
    o.append("")
    o.append("}  // namespace")
    o.append("")
    o.append("constinit const std::span<const CommandInfo> commands{kCommands};")
    o.append("constinit const std::span<const EventInfo> events{kEvents};")
    o.append("")
    o.append("}  // namespace bcms::mgmt::data")
    o.append("")
    return {"mgmt_table.cpp": "\n".join(o)}


def _named(o: list[str], arr: str, rows) -> None:
    o.append(f"constexpr NamedValue32 {arr}[] = {{")
    for v, n in rows:
        o.append(f"    {{{v}, {_q(n)}}},")
    o.append("};")


def emit_names(spec: ir.Spec, revision: str) -> dict[str, str]:
    """gen/mgmt_names.cpp: the data of protocol/mgmt_tables/names.hpp."""
    o = [banner(spec, revision, "Names: status codes, settings bits, value tables (data; lookups in\n"
                "// protocol/mgmt/table_lookup.cpp)."),
         '#include "protocol/mgmt_tables/table_data.hpp"', "",
         "namespace bcms::mgmt::data {", "", "namespace {", ""]
    _named(o, "kStatus", [(f"0x{v:02X}", n) for v, n in spec.statuses])
    _named(o, "kOpcodes", [(f"0x{c.code:04X}", c.name) for c in spec.commands])
    _named(o, "kEvents", [(f"0x{e.code:04X}", e.name) for e in spec.events])
    sets = bitsets.bit_sets(spec)
    settings = next((s.bits for s in sets if s.ns == "setting"), [])
    o.append("// Spec descriptions of the settings bits (Read Controller Information).")
    _named(o, "kSettingDesc", [(b.bit, b.desc) for b in settings])
    for s in sets:
        if s.words:
            o.append(f"// The words of {s.doc}")
            o.append("// (scripts/mgmtgen/bitsets.py, overrides.py).")
            _named(o, s.words, [(b.bit, b.word) for b in s.bits])
    tables = []
    seen: dict[tuple, str] = {}   # tables with the same entries share one array
    for kind, items in (("false", spec.commands), ("true", spec.events)):
        for m in items:
            for t in m.tables:
                arr = seen.get(tuple(t.entries))
                if arr is None:
                    arr = f"kT_{'E' if kind == 'true' else 'C'}{m.code:04X}_{re.sub(r'[^A-Za-z0-9]', '_', t.param)}"
                    seen[tuple(t.entries)] = arr
                    _named(o, arr, [(f"0x{v:X}", n) for v, n in t.entries])
                tables.append(f"    {{{kind}, 0x{m.code:04X}, {_q(t.param)}, {'true' if t.bits else 'false'}, {arr}}},")
    o.append("constexpr ValueTable kTables[] = {")
    o.extend(tables)
    o.append("};")
    o.append("")
    o.append("}  // namespace")
    o.append("")
    words = {s.ns: s.words for s in sets if s.words}
    for name, arr in (("status_names", "kStatus"), ("opcode_names", "kOpcodes"), ("event_names", "kEvents"),
                      ("setting_descriptions", "kSettingDesc"), ("setting_words", words.get("setting")),
                      ("adv_flag_words", words.get("adv_flag")), ("phy_words", words.get("phy"))):
        o.append(f"constinit const std::span<const NamedValue32> {name}{{{arr or ''}}};")
    o.append("constinit const std::span<const ValueTable> value_tables{kTables};")
    o.append("")
    o.append("}  // namespace bcms::mgmt::data")
    o.append("")
    return {"mgmt_names.cpp": "\n".join(o)}


def emit(spec: ir.Spec, revision: str) -> dict[str, str]:
    out = emit_table(spec, revision)
    out.update(emit_names(spec, revision))
    return out
