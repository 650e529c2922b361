"""Emits gen/mgmt_codes.hpp (the code enums) and gen/mgmt_types.hpp (one
struct per message)."""
from __future__ import annotations

from . import bitsets, ir
from .emit_cpp import Msg, banner, camel, cpp_scalar, member, messages, record_type


def _size_comment(b: ir.Block) -> str:
    n = b.min_size()
    return f"{n} octets" if not b.variable() else f"at least {n} octets, variable"


def _field_comment(f: ir.Field) -> str:
    if f.kind == "list":
        cnt = f"count in {f.link}" if f.link else "entries up to the end"
        return f"{f.name} ({cnt})"
    if f.kind in ("data",):
        return f"{f.name} (octets, length in {f.link}; borrowed)"
    if f.kind == "tail":
        return f"{f.name} (octets up to the end, at least {f.size}; borrowed)"
    opt = ", optional" if f.optional else ""
    return f"{f.name} ({f.size} octet{'s' if f.size != 1 else ''}{opt})"


def _members(fields: list[ir.Field], ind: str) -> list[str]:
    out = []
    for f in fields:
        if f.kind in ("count", "length"):
            continue
        if f.kind == "list":
            out.append(f"{ind}std::vector<{record_type(f)}> {member(f)};  // {_field_comment(f)}")
            continue
        t = cpp_scalar(f)
        if f.optional:
            t = f"std::optional<{t}>"
        init = "{}"
        out.append(f"{ind}{t} {member(f)}{init};  // {_field_comment(f)}")
    return out


def _struct(m: Msg, reply_of: str | None) -> list[str]:
    o = []
    what = {"command": "Command Parameters", "reply": "Return Parameters", "event": "Event Parameters"}[m.kind]
    o.append(f"/// {m.spec_name}: {what}, {_size_comment(m.block)}")
    o.append(f"/// (mgmt-api.txt \"{m.section}\", code 0x{m.code:04X}).")
    o.append(f"struct {m.cpp} {{")
    if m.kind == "command":
        o.append(f"  static constexpr Opcode opcode = Opcode::{camel(m.spec_name)};")
        o.append(f"  using Reply = {reply_of};")
    elif m.kind == "event":
        o.append(f"  static constexpr EventCode code = EventCode::{camel(m.spec_name)};")
    for f in m.block.fields:
        if f.kind == "list" and record_type(f) == camel(f.name):
            o.append(f"  struct {camel(f.name)} {{")
            o.extend(_members(f.record, "    "))
            o.append(f"    friend bool operator==(const {camel(f.name)}&, const {camel(f.name)}&) = default;")
            o.append("  };")
    o.extend(_members(m.block.fields, "  "))
    o.append("")
    o.append(f"  /// Bounds-checked; variable parts borrow `in`.")
    o.append(f"  static expected<{m.cpp}> decode(byte_span in);")
    o.append(f"  friend bool operator==(const {m.cpp}&, const {m.cpp}&) = default;")
    o.append("};")
    o.append(f"/// Appends the parameters (no header).  codec_errc::too_long when a list")
    o.append(f"/// or data field exceeds its count/length field (nothing appended).")
    o.append(f"[[nodiscard]] std::error_code encode(const {m.cpp}& v, bytes& out);")
    o.append("")
    return o


def _emit_codes(spec: ir.Spec, revision: str) -> str:
    o = [banner(spec, revision, "mgmt codes: opcodes, event codes, status codes, bit masks (no message types;\n"
                "// engines include this, gen/mgmt_types.hpp only where typed messages are used).")]
    o.append("""#pragma once

#include <cstddef>
#include <cstdint>

namespace bcms::mgmt {
""")
    o.append(f"inline constexpr std::size_t kCommandCount = {len(spec.commands)};")
    o.append(f"inline constexpr std::size_t kEventCount = {len(spec.events)};")
    o.append("")
    o.append("/// Command codes (mgmt-api.txt, \"Command Code\" of each command).")
    o.append("enum class Opcode : std::uint16_t {")
    for c in spec.commands:
        o.append(f"  {camel(c.name)} = 0x{c.code:04X},")
    o.append("};")
    o.append("")
    o.append("/// Event codes (mgmt-api.txt, \"Event Code\" of each event).")
    o.append("enum class EventCode : std::uint16_t {")
    for e in spec.events:
        o.append(f"  {camel(e.name)} = 0x{e.code:04X},")
    o.append("};")
    o.append("")
    o.append("/// Status codes of Command Complete / Command Status (mgmt-api.txt")
    o.append("/// \"Error Codes\").  An error_code enum: see protocol/mgmt/status.hpp.")
    o.append("enum class Status : std::uint8_t {")
    for v, n in spec.statuses:
        o.append(f"  {camel(n)} = 0x{v:02X},")
    o.append("};")
    o.append("")
    o.extend(bitsets.emit_masks(bitsets.bit_sets(spec)))
    o.append("}  // namespace bcms::mgmt")
    o.append("")
    return "\n".join(o)


def emit(spec: ir.Spec, revision: str) -> dict[str, str]:
    o = [banner(spec, revision, "Typed mgmt messages: one struct per command, reply and event.")]
    o.append("""#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

#include "gen/mgmt_codes.hpp"
#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/data_view.hpp"
#include "protocol/expected.hpp"

namespace bcms::mgmt {
""")
    msgs = messages(spec)
    for m in msgs:
        reply_of = m.cpp + "Reply" if m.kind == "command" else None
        o.extend(_struct(m, reply_of))
    o.append("/// Every event, typed (see protocol/mgmt/dispatch.hpp decode_event()).")
    o.append("using Event = std::variant<")
    evs = [m for m in msgs if m.kind == "event"]
    for i, m in enumerate(evs):
        o.append(f"    {m.cpp}{',' if i + 1 < len(evs) else '>;'}")
    o.append("")
    for kind, alias, what in (("command", "CommandTypes", "command"), ("reply", "ReplyTypes", "reply")):
        ms = [m for m in msgs if m.kind == kind]
        o.append(f"/// Every {what} struct, in code order (for table-driven code and tests).")
        o.append(f"using {alias} = std::tuple<")
        for i, m in enumerate(ms):
            o.append(f"    {m.cpp}{',' if i + 1 < len(ms) else '>;'}")
        o.append("")
    o.append("/// The code of the alternative an Event holds.")
    o.append("inline EventCode code_of(const Event& e) noexcept {")
    o.append("  return std::visit([](const auto& x) { return std::decay_t<decltype(x)>::code; }, e);")
    o.append("}")
    o.append("")
    o.append("}  // namespace bcms::mgmt")
    o.append("")
    return {"mgmt_codes.hpp": _emit_codes(spec, revision), "mgmt_types.hpp": "\n".join(o)}
