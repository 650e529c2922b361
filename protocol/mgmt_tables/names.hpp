// mgmt names: status codes, opcodes, event codes, settings / advertising
// flags / PHY bits and the prose value tables of mgmt-api.txt (data
// generated into gen/mgmt_names.cpp by scripts/mgmtgen; lookups in
// table_lookup.cpp).
#pragma once

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
/// Information, masks in namespace setting): the short words btmgmt prints
/// ("powered", "le", ...) and the spec's descriptions, by bit number.
std::span<const NamedValue32> setting_names() noexcept;
std::span<const NamedValue32> setting_descriptions() noexcept;
/// "powered connectable le" (unknown bits as "bit23"); "" for 0.
std::string settings_string(std::uint32_t settings);
/// Advertising flags bits (namespace adv_flag): "connectable",
/// "general-discoverable", ... by bit number.
std::span<const NamedValue32> adv_flag_names() noexcept;
/// PHY bits of Get/Set PHY Configuration (namespace phy): btmgmt's words
/// "BR1M1SLOT", ..., "LECODEDRX" by bit number.
std::span<const NamedValue32> phy_names() noexcept;
/// The words of the bits set in `bits` (by bit number in `names`), each
/// followed by a blank; bits `names` lacks are left out.
std::string bit_words(std::span<const NamedValue32> names, std::uint32_t bits);

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
