"""Emits gen/mgmt_table.hpp/.cpp (the one command/event table with field
descriptors) and gen/mgmt_names.hpp/.cpp (names and value tables)."""
from __future__ import annotations

import re

from . import ir
from .emit_cpp import banner, camel, key, messages
from .overrides import SETTINGS_SHORT_NAMES

_KIND = {"uint": "uint", "sint": "sint", "address": "address", "address_type": "address_type",
         "bytes": "bytes", "string": "string", "data": "data", "tail": "tail", "count": "count",
         "length": "length", "list": "list"}
_INDEX = {"controller": "controller", "non_controller": "non_controller", "both": "both"}


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


TABLE_HPP = """#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "gen/mgmt_types.hpp"
#include "protocol/bytes.hpp"
#include "protocol/expected.hpp"

namespace bcms::mgmt {

/// Which Controller Index values a message uses (mgmt-api.txt
/// "Controller Index": <controller id>, <non-controller> or either).
enum class IndexKind : std::uint8_t { controller, non_controller, both };

/// Wire kinds of a field (see scripts/mgmtgen/ir.py):
///   uint/sint      little-endian integer of `size` octets
///   address        BD_ADDR (6 octets, wire order); address_type: 1 octet
///   bytes          fixed octet array; string: NUL-padded, `size` octets
///   data           variable octets, length in the field at `link`
///   tail           octets up to the end of the block (at least `size`)
///   count/length   integer of `size` octets holding the entry count of the
///                  list / the octet length of the data at `link`
///   list           records (`record`), count in the field at `link`, or up
///                  to the end of the block when link < 0
enum class FieldKind : std::uint8_t { uint, sint, address, address_type, bytes, string, data, tail, count, length, list };

struct FieldDesc {
  std::string_view name;   // as in the spec, e.g. "Address_Type"
  std::string_view key;    // generic key, e.g. "address_type" ("keys" for a list)
  FieldKind kind;
  std::uint16_t size;      // octets (fixed kinds, count/length width); tail: minimum
  bool optional;           // trailing optional group (present or absent together)
  std::int8_t link;        // index in the same descriptor list, or -1
  std::span<const FieldDesc> record;  // list element fields
};

using EventDecoder = expected<Event> (*)(byte_span params);

struct CommandInfo {
  Opcode opcode;
  std::string_view name;           // spec heading without " Command"
  IndexKind index;
  std::uint16_t param_size;        // fixed size, or minimum when param_variable
  bool param_variable;
  std::uint16_t reply_size;        // Return Parameters: fixed size or minimum
  bool reply_variable;
  std::span<const FieldDesc> params;
  std::span<const FieldDesc> reply;
};

struct EventInfo {
  EventCode code;
  std::string_view name;           // spec heading without " Event"
  IndexKind index;
  std::uint16_t size;              // fixed size, or minimum when variable
  bool variable;
  std::span<const FieldDesc> params;
  EventDecoder decode;             // typed decode into the Event variant
};

/// All commands / events of the spec, ordered by code.
std::span<const CommandInfo> commands() noexcept;
std::span<const EventInfo> events() noexcept;
/// nullptr when unknown.  Names match the spec name ("Set Powered"), its
/// snake/kebab forms ("set_powered", "set-powered"), case-insensitively.
const CommandInfo* find_command(std::uint16_t opcode) noexcept;
const CommandInfo* find_command(std::string_view name) noexcept;
const EventInfo* find_event(std::uint16_t code) noexcept;
const EventInfo* find_event(std::string_view name) noexcept;

}  // namespace bcms::mgmt
"""

TABLE_FIND = """
namespace {

bool same_name(std::string_view a, std::string_view b) noexcept {
  // case-insensitive; ' ', '_' and '-' are equal
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto norm = [](char c) {
      if (c == '_' || c == '-') return ' ';
      return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    };
    if (norm(a[i]) != norm(b[i])) return false;
  }
  return true;
}

}  // namespace

std::span<const CommandInfo> commands() noexcept { return kCommands; }
std::span<const EventInfo> events() noexcept { return kEvents; }

const CommandInfo* find_command(std::uint16_t opcode) noexcept {
  // Codes are dense from 0x0001; fall back to a scan if they ever are not.
  if (opcode >= 1 && opcode <= std::size(kCommands) && static_cast<std::uint16_t>(kCommands[opcode - 1].opcode) == opcode)
    return &kCommands[opcode - 1];
  for (const auto& c : kCommands)
    if (static_cast<std::uint16_t>(c.opcode) == opcode) return &c;
  return nullptr;
}

const EventInfo* find_event(std::uint16_t code) noexcept {
  if (code >= 1 && code <= std::size(kEvents) && static_cast<std::uint16_t>(kEvents[code - 1].code) == code)
    return &kEvents[code - 1];
  for (const auto& e : kEvents)
    if (static_cast<std::uint16_t>(e.code) == code) return &e;
  return nullptr;
}

const CommandInfo* find_command(std::string_view name) noexcept {
  for (const auto& c : kCommands)
    if (same_name(c.name, name)) return &c;
  return nullptr;
}

const EventInfo* find_event(std::string_view name) noexcept {
  for (const auto& e : kEvents)
    if (same_name(e.name, name)) return &e;
  return nullptr;
}
"""


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
    hpp = banner(spec, revision, "The mgmt command/event table with field descriptors.") + TABLE_HPP
    o = [banner(spec, revision, "The mgmt command/event table with field descriptors."),
         '#include "gen/mgmt_table.hpp"', "",
         "#include <iterator>", "#include <utility>", "",
         "namespace bcms::mgmt {", "", "namespace {", ""]
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
        o.append(f"expected<Event> decode_{em.cpp}(byte_span b) {{")
        o.append(f"  auto r = {em.cpp}::decode(b);")
        o.append("  if (!r) return unexpected(r.error());")
        o.append(f"  return Event{{std::in_place_type<{em.cpp}>, std::move(*r)}};")
        o.append("}")
        ev_rows.append(
            f"    {{EventCode::{camel(e.name)}, {_q(e.name)}, IndexKind::{_INDEX[e.index]}, "
            f"{e.params.min_size()}, {'true' if e.params.variable() else 'false'}, {es}, &decode_{em.cpp}}},")
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
    o.append(TABLE_FIND)
    o.append("}  // namespace bcms::mgmt")
    o.append("")
    return {"mgmt_table.hpp": hpp, "mgmt_table.cpp": "\n".join(o)}


NAMES_HPP = """#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "gen/mgmt_codes.hpp"

namespace bcms::mgmt {

/// A bit number (bit lists) or a value (value tables) with its name.
struct NamedValue32 {
  std::uint32_t value;
  std::string_view name;
};

/// "Busy" for Status::Busy (mgmt-api.txt "Error Codes"); {} when unknown.
std::string_view status_name(Status s) noexcept;
/// Spec names of commands and events ("Set Powered"); {} when unknown.
std::string_view opcode_name(std::uint16_t opcode) noexcept;
std::string_view event_name(std::uint16_t code) noexcept;

/// Settings bits (Current_Settings / Supported_Settings of Read Controller
/// Information): the short words btmgmt prints ("powered", "le", ...),
/// index = bit number, and the spec's descriptions.
std::span<const std::string_view> setting_names() noexcept;
std::span<const NamedValue32> setting_descriptions() noexcept;
/// "powered connectable le" (unknown bits as "bit23"); "" for 0.
std::string settings_string(std::uint32_t settings);

/// A "Possible values" table or bit list from the prose of one command or
/// event, attached to the parameter it describes.
struct ValueTable {
  bool event;                 // false: command (params or reply)
  std::uint16_t code;         // opcode or event code
  std::string_view param;     // parameter name as in the spec
  bool bits;                  // entries are bit numbers (else values)
  std::span<const NamedValue32> entries;
};
std::span<const ValueTable> value_tables() noexcept;
const ValueTable* find_value_table(bool event, std::uint16_t code, std::string_view param) noexcept;
/// The name of a value (or of a bit number), {} when the table lacks it.
std::string_view value_name(const ValueTable& t, std::uint32_t value) noexcept;

}  // namespace bcms::mgmt
"""


def _short(desc: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", desc.lower()).strip("-")


def emit_names(spec: ir.Spec, revision: str) -> dict[str, str]:
    hpp = banner(spec, revision, "Names: status codes, settings bits, value tables.") + NAMES_HPP
    o = [banner(spec, revision, "Names: status codes, settings bits, value tables."),
         '#include "gen/mgmt_names.hpp"', "", "#include <iterator>", "",
         "namespace bcms::mgmt {", "", "namespace {", ""]
    o.append("constexpr NamedValue32 kStatus[] = {")
    for v, n in spec.statuses:
        o.append(f"    {{0x{v:02X}, {_q(n)}}},")
    o.append("};")
    o.append("constexpr NamedValue32 kOpcodes[] = {")
    for c in spec.commands:
        o.append(f"    {{0x{c.code:04X}, {_q(c.name)}}},")
    o.append("};")
    o.append("constexpr NamedValue32 kEvents[] = {")
    for e in spec.events:
        o.append(f"    {{0x{e.code:04X}, {_q(e.name)}}},")
    o.append("};")
    info = next(c for c in spec.commands if c.code == 0x0004)
    settings = next(t for t in info.tables if t.param == "Current_Settings")
    o.append("// Spec descriptions of the settings bits (Read Controller Information).")
    o.append("constexpr NamedValue32 kSettingDesc[] = {")
    for v, n in settings.entries:
        o.append(f"    {{{v}, {_q(n)}}},")
    o.append("};")
    o.append("// btmgmt's words (scripts/mgmtgen/overrides.py SETTINGS_SHORT_NAMES);")
    o.append("// bits the override list lacks use the description, lower-case.")
    o.append("constexpr std::string_view kSettingNames[] = {")
    nbits = max(v for v, _ in settings.entries) + 1
    descs = dict(settings.entries)
    for b in range(nbits):
        n = SETTINGS_SHORT_NAMES[b] if b < len(SETTINGS_SHORT_NAMES) else _short(descs.get(b, f"bit{b}"))
        o.append(f"    {_q(n)},")
    o.append("};")
    tables = []
    for kind, items in (("false", spec.commands), ("true", spec.events)):
        for m in items:
            for t in m.tables:
                arr = f"kT_{'E' if kind == 'true' else 'C'}{m.code:04X}_{re.sub(r'[^A-Za-z0-9]', '_', t.param)}"
                o.append(f"constexpr NamedValue32 {arr}[] = {{")
                for v, n in t.entries:
                    o.append(f"    {{0x{v:X}, {_q(n)}}},")
                o.append("};")
                tables.append(f"    {{{kind}, 0x{m.code:04X}, {_q(t.param)}, {'true' if t.bits else 'false'}, {arr}}},")
    o.append("constexpr ValueTable kTables[] = {")
    o.extend(tables)
    o.append("};")
    o.append("")
    o.append("std::string_view lookup(std::span<const NamedValue32> t, std::uint32_t v) noexcept {")
    o.append("  for (const auto& e : t)")
    o.append("    if (e.value == v) return e.name;")
    o.append("  return {};")
    o.append("}")
    o.append("")
    o.append("}  // namespace")
    o.append("""
std::string_view status_name(Status s) noexcept { return lookup(kStatus, static_cast<std::uint32_t>(s)); }
std::string_view opcode_name(std::uint16_t opcode) noexcept { return lookup(kOpcodes, opcode); }
std::string_view event_name(std::uint16_t code) noexcept { return lookup(kEvents, code); }
std::span<const std::string_view> setting_names() noexcept { return kSettingNames; }
std::span<const NamedValue32> setting_descriptions() noexcept { return kSettingDesc; }

std::string settings_string(std::uint32_t settings) {
  std::string out;
  for (std::uint32_t b = 0; b < 32; ++b) {
    if (!(settings & (1u << b))) continue;
    if (!out.empty()) out += ' ';
    if (b < std::size(kSettingNames)) {
      out += kSettingNames[b];
    } else {
      out += "bit";
      out += std::to_string(b);
    }
  }
  return out;
}

std::span<const ValueTable> value_tables() noexcept { return kTables; }

const ValueTable* find_value_table(bool event, std::uint16_t code, std::string_view param) noexcept {
  for (const auto& t : kTables)
    if (t.event == event && t.code == code && t.param == param) return &t;
  return nullptr;
}

std::string_view value_name(const ValueTable& t, std::uint32_t value) noexcept { return lookup(t.entries, value); }
""")
    o.append("}  // namespace bcms::mgmt")
    o.append("")
    return {"mgmt_names.hpp": hpp, "mgmt_names.cpp": "\n".join(o)}


def emit(spec: ir.Spec, revision: str) -> dict[str, str]:
    out = emit_table(spec, revision)
    out.update(emit_names(spec, revision))
    return out
