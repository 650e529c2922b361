// Bluetooth device addresses (BD_ADDR, Core v5.4 Vol 2 Part B 1.2).
//
// On the wire (HCI, mgmt, SMP) the 6 octets are little-endian: the last
// octet of the written form "00:11:22:33:44:55" comes first.  Address
// keeps the wire order; to_string()/parse() use the written form.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "protocol/expected.hpp"

namespace bcms {

struct Address {
  std::array<std::uint8_t, 6> b{};  // wire order (little-endian)

  /// Parses "XX:XX:XX:XX:XX:XX" (hex, either case).  Anything else, e.g.
  /// "00:11:22:33:44" or "00-11-22-33-44-55", is codec_errc::invalid_value.
  static expected<Address> parse(std::string_view text);
  /// "XX:XX:XX:XX:XX:XX", upper case, as btmgmt prints it.
  [[nodiscard]] std::string to_string() const;
  [[nodiscard]] bool is_zero() const noexcept;

  friend auto operator<=>(const Address&, const Address&) = default;
};

/// mgmt / kernel address types (mgmt-api.txt "Address_Type"; BDADDR_* in
/// the kernel's bluetooth.h).
enum class AddressType : std::uint8_t { bredr = 0, le_public = 1, le_random = 2 };

[[nodiscard]] std::string_view to_string(AddressType t) noexcept;

/// A remote device as the kernel names it: address and address type.  The
/// one peer type of every layer (storage records, pairing, ATT
/// connections, the daemon's registry).
struct Peer {
  Address addr{};
  AddressType type = AddressType::le_public;
  /// "00:11:22:33:44:55 (le_public)"
  [[nodiscard]] std::string to_string() const;
  friend auto operator<=>(const Peer&, const Peer&) = default;
};
/// Accepts "bredr", "le_public"/"public"/"le-public", "le_random"/"random"
/// and the numbers 0, 1, 2.
expected<AddressType> parse_address_type(std::string_view text);

}  // namespace bcms

template <>
struct std::hash<bcms::Address> {
  std::size_t operator()(const bcms::Address& a) const noexcept {
    std::uint64_t v = 0;
    for (auto x : a.b) v = (v << 8) | x;
    return std::hash<std::uint64_t>{}(v);
  }
};
