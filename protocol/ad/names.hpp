// Display names for advertising data values: AD types, flag bits,
// appearance categories, company identifiers, LE roles, URI schemes and a
// few well-known 16-bit service UUIDs.  Small hand-picked tables for
// human-readable output; an unknown value gives an empty string_view and
// the formatters print the number alone.
#pragma once

#include <cstdint>
#include <string_view>

namespace bcms::ad {

/// AD type name (Assigned Numbers 2.3), e.g. 0x09 -> "Complete Local Name".
std::string_view ad_type_name(std::uint8_t type) noexcept;

/// Name of one Flags bit (CSS Part A 1.3), bit 0..7; reserved bits -> "".
std::string_view flag_bit_name(unsigned bit) noexcept;
/// Short machine-friendly name of one Flags bit for JSON, e.g.
/// "le_general_discoverable".
std::string_view flag_bit_key(unsigned bit) noexcept;

/// Appearance category (bits 15..6, Assigned Numbers 2.6.2), e.g.
/// 0x00d -> "Heart Rate Sensor".
std::string_view appearance_category_name(std::uint16_t category) noexcept;
/// Sub-category of a full appearance value for a handful of common ones,
/// e.g. 0x0341 -> "Heart Rate Belt", 0x03c1 -> "Keyboard".
std::string_view appearance_subcategory_name(std::uint16_t appearance) noexcept;

/// Company identifier (Assigned Numbers 7), a handful of common ones,
/// e.g. 0x004c -> "Apple".
std::string_view company_name(std::uint16_t company) noexcept;

/// Well-known 16-bit service UUIDs (Assigned Numbers 3.4 and member
/// UUIDs), e.g. 0x180d -> "Heart Rate".
std::string_view uuid16_name(std::uint16_t uuid) noexcept;

/// LE Role values (CSS Part A 1.17).
std::string_view le_role_name(std::uint8_t role) noexcept;

/// URI scheme code point (Assigned Numbers 2.7) -> its scheme text, e.g.
/// 0x17 -> "https:".  0x01 ("no scheme replacement") -> "" and found;
/// unknown code points -> not found.
struct UriScheme {
  bool known = false;
  std::string_view text;
};
UriScheme uri_scheme(std::uint32_t code_point) noexcept;

}  // namespace bcms::ad
