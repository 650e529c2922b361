// The one hex codec of bcms (codec base): octets to text, integers to
// "0x..." text, text to octets.  Every hex rendering and every hex argument
// in protocol/, src/ and cli/ goes through these functions.
//
// Encoding
//   hex_bytes({0x02, 0xab})                       "02ab"
//   hex_bytes(d, {.upper = true, .separator = ':'}) "02:AB"
//   hex_int(0x1a, 2)                              "0x001a" (2 octets = 4 digits;
//                                                 a wider value keeps all its digits)
//   hex8 / hex16 / hex32                          hex_int with 1 / 2 / 4 octets
//
// Parsing (parse_hex), one rule set for every hex argument:
//   - an optional "0x" or "0X" prefix;
//   - two digits per octet, digits in either case ("0A" == "0a");
//   - between two octets at most one separator, ':' or ' ' or '-'
//     ("02:01:06", "02 01 06", "02-01-06", "020106"; mixing is allowed);
//     no separator before the first octet, after the last, or inside an
//     octet ("0:201" is an error);
//   - "" is zero octets; "0x" alone is an error (digits expected).
// Errors: codec_errc::invalid_value for a character that is neither a
// digit nor an allowed separator (also a misplaced separator, and "0x"
// without digits), codec_errc::invalid_length for an odd number of
// digits.  `error_at`, when given, receives the offset in `text` of the
// offending character (the end of the text for an odd digit count).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/bytes.hpp"
#include "protocol/expected.hpp"

namespace bcms {

struct HexStyle {
  bool upper = false;   // 'A'-'F' instead of 'a'-'f'
  char separator = 0;   // written between octets when not 0
};

/// Appends `data` as hex to `out`.
void append_hex(std::string& out, byte_span data, HexStyle style = {});

/// `data` as hex: {0x02, 0x15} -> "0215".
std::string hex_bytes(byte_span data, HexStyle style = {});

/// "0x" and at least 2 * `octets` digits (lower case unless `upper`).
std::string hex_int(std::uint64_t value, std::size_t octets, bool upper = false);

inline std::string hex8(std::uint8_t v) { return hex_int(v, 1); }
inline std::string hex16(std::uint16_t v) { return hex_int(v, 2); }
inline std::string hex32(std::uint32_t v) { return hex_int(v, 4); }

/// Value of one hex digit ('0'-'9', 'a'-'f', 'A'-'F'), or -1.
constexpr int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Octets from hex text, by the rules above.
expected<bytes> parse_hex(std::string_view text, std::size_t* error_at = nullptr);

}  // namespace bcms
