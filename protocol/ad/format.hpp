// Human-readable and JSON renderings of parsed advertising data.
//
// Text: one line per AD structure, in the style of btmgmt/bluetoothctl:
//   Flags: 0x06 LE General Discoverable, BR/EDR Not Supported
//   16-bit Service UUIDs (complete): 0x180d (Heart Rate)
//   Name (complete): foo
//   Manufacturer 0x004c (Apple): 0215...
//   Service Data 0x180f: 64
// plus a final "Malformed ..." line when the parser recorded an issue.
// Names are rendered with printable() so invalid octets stay visible.
//
// JSON (for --json): {"structures":[{...}, ...], "error":null|{...}}; each
// structure object has "type" (the AD type number), "kind" (a stable key
// such as "flags", "name", "manufacturer", "raw") and kind-specific
// members; byte strings are lower-case hex.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/ad/ad.hpp"

namespace bcms::ad {

/// "0000180d-0000-1000-8000-00805f9b34fb" (RFC 4122 text form) from a
/// UUID in wire (little-endian) order.
std::string format_uuid128(const Uuid128& u);

/// The text of a URI structure with its scheme code point expanded
/// (Assigned Numbers 2.7), e.g. "\x17//example.com" -> "https://example.com".
/// An unknown scheme is written as "[scheme 0xNN]"; invalid octets as \xNN.
std::string format_uri(const Uri& uri);

/// One line for one structure (without a trailing newline).
std::string format_structure(const Structure& s);

/// All lines for a parse result, including the issue line if any.
std::vector<std::string> format_ad(const AdData& ad);

using json = nlohmann::ordered_json;

/// The JSON document for a parse result.
json to_json_value(const AdData& ad);
/// The same, serialised on one line (no trailing newline); octets that are
/// not UTF-8 appear as U+FFFD (the exact octets are in "*_hex" members).
std::string to_json(const AdData& ad);

}  // namespace bcms::ad
