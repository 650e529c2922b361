#include "protocol/address.hpp"

#include "protocol/codec_error.hpp"
#include "protocol/hex.hpp"

namespace bcms {

expected<Address> Address::parse(std::string_view text) {
  // 6 groups of 2 hex digits separated by ':' = 17 characters.
  if (text.size() != 17) return fail(codec_errc::invalid_value);
  Address a;
  for (int i = 0; i < 6; ++i) {
    const std::size_t at = static_cast<std::size_t>(i) * 3;
    int hi = hex_digit(text[at]);
    int lo = hex_digit(text[at + 1]);
    if (hi < 0 || lo < 0) return fail(codec_errc::invalid_value);
    if (i < 5 && text[at + 2] != ':') return fail(codec_errc::invalid_value);
    a.b[static_cast<std::size_t>(5 - i)] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return a;
}

std::string Address::to_string() const {
  const std::array<std::uint8_t, 6> written{b[5], b[4], b[3], b[2], b[1], b[0]};  // most significant first
  return hex_bytes(written, {.upper = true, .separator = ':'});
}

bool Address::is_zero() const noexcept {
  for (auto x : b)
    if (x) return false;
  return true;
}

std::string_view to_string(AddressType t) noexcept {
  switch (t) {
    case AddressType::bredr: return "bredr";
    case AddressType::le_public: return "le_public";
    case AddressType::le_random: return "le_random";
  }
  return "unknown";
}

expected<AddressType> parse_address_type(std::string_view s) {
  if (s == "bredr" || s == "0") return AddressType::bredr;
  if (s == "le_public" || s == "public" || s == "le-public" || s == "1") return AddressType::le_public;
  if (s == "le_random" || s == "random" || s == "le-random" || s == "2") return AddressType::le_random;
  return fail(codec_errc::invalid_value);
}

std::string Peer::to_string() const { return addr.to_string() + " (" + std::string(bcms::to_string(type)) + ")"; }

}  // namespace bcms
