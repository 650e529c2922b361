// The mgmt command/event table: one entry per command and event of
// mgmt-api.txt with its field descriptors (data generated into
// gen/mgmt_table.cpp by scripts/mgmtgen; lookups in table_lookup.cpp).
#pragma once

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
