// Generic (descriptor-driven) encode and decode of mgmt parameters, for
// the CLI's `send COMMAND key=value...` and for `monitor`/JSON output.
//
// The field descriptors come from the generated table (protocol/mgmt_tables/table.hpp, data in gen/mgmt_table.cpp):
// find_command("Set Powered")->params, ->reply, find_event(code)->params.
//
// Text forms (keys are the descriptor keys, snake_case of the spec name,
// case-insensitive; the spec name itself is accepted too):
//   integers     decimal or 0x-hex ("7", "0x07"); signed fields accept "-60"
//   address      "00:11:22:33:44:55" (written order)
//   address type "bredr" | "le_public" | "le_random" | 0..2; the key `type`
//                is accepted for the address type that follows an address
//   bytes/data   hex string by parse_hex's rules (protocol/hex.hpp): optional
//                "0x", one ':', ' ' or '-' between octets ("0201060aff")
//   string       the text (NUL-padded to the field size)
//   lists        scalar lists "commands=0x0001,0x0005"; record lists with an
//                index: "keys[0].address=..", "keys[0].value=.." ...
//   count and length fields are computed; when given they must match.
// Missing fixed fields are zero; missing optional fields are omitted.
//
// decode_fields() yields the same forms (lists as "keys[0].address"), so
// decode -> encode reproduces the bytes.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/bytes.hpp"
#include "protocol/expected.hpp"
#include "protocol/mgmt_tables/table.hpp"

namespace bcms::mgmt {

struct NamedValue {
  std::string name;   // descriptor key, e.g. "address_type", "keys[1].value"
  std::string value;  // text as accepted by encode_fields
  friend bool operator==(const NamedValue&, const NamedValue&) = default;
};

/// Builds the parameter octets from "key=value" arguments.
/// Errors: codec_errc::invalid_value (unknown key, bad text, mismatching
/// count/length), codec_errc::invalid_length (hex with an odd number of
/// digits), codec_errc::too_long (value larger than its field).
expected<bytes> encode_fields(std::span<const FieldDesc> fields, std::span<const std::string> args);

/// Walks the parameters with the descriptors; same errors as the typed
/// decoders (truncated, trailing_bytes, invalid_length).
expected<std::vector<NamedValue>> decode_fields(std::span<const FieldDesc> fields, byte_span params);

}  // namespace bcms::mgmt
