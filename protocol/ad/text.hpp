// Text helpers for the advertising data formatters: UTF-8 validation,
// printable rendering of untrusted strings (hex is protocol/hex.hpp).  (JSON is written
// with nlohmann::json, see format.hpp.)
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "protocol/bytes.hpp"

namespace bcms::ad {

/// Length (1..4) of the well-formed UTF-8 sequence starting at s[pos]
/// (RFC 3629 section 4: no overlong forms, no surrogates, <= U+10FFFF),
/// or 0 when the octet there does not start one.  `cp` receives the
/// code point.
std::size_t utf8_sequence(std::string_view s, std::size_t pos, char32_t& cp) noexcept;

/// True if the whole string is well-formed UTF-8.
bool valid_utf8(std::string_view s) noexcept;

/// A remote name for a terminal: well-formed printable UTF-8 is kept;
/// control characters, invalid octets and the backslash are written as
/// \xNN (backslash as \\), so every received octet stays visible.
std::string printable(std::string_view s);

}  // namespace bcms::ad
