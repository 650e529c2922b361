// Bluetooth UUIDs (Core v5.4 Vol 3 Part B 2.5.1).
//
// Every UUID is a 128-bit value; 16- and 32-bit UUIDs are shorthands for
// values derived from the Bluetooth Base UUID
//   00000000-0000-1000-8000-00805F9B34FB
// as  xxxxxxxx-0000-1000-8000-00805F9B34FB.
//
// Uuid keeps the 128-bit value in wire (little-endian) order.  In ATT
// PDUs a UUID is either 2 octets (a 16-bit UUID) or 16 octets; 32-bit
// UUIDs are sent in their 128-bit form (Core v5.4 Vol 3 Part F 3.2.1).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "protocol/bytes.hpp"
#include "protocol/expected.hpp"

namespace bcms::att {

class Uuid {
 public:
  /// The Bluetooth Base UUID, little-endian.
  static constexpr std::array<std::uint8_t, 16> base_le{0xFB, 0x34, 0x9B, 0x5F, 0x80, 0x00, 0x00, 0x80,
                                                        0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

  constexpr Uuid() noexcept : le_(base_le) {}
  /// A 16-bit UUID (implicit: Uuid u = 0x180D;).
  constexpr Uuid(std::uint16_t v) noexcept : le_(base_le) {  // NOLINT(google-explicit-constructor)
    le_[12] = static_cast<std::uint8_t>(v);
    le_[13] = static_cast<std::uint8_t>(v >> 8);
  }
  static constexpr Uuid from32(std::uint32_t v) noexcept {
    Uuid u;
    for (int i = 0; i < 4; ++i) u.le_[12 + i] = static_cast<std::uint8_t>(v >> (8 * i));
    return u;
  }
  static constexpr Uuid from128_le(const std::array<std::uint8_t, 16>& le) noexcept {
    Uuid u;
    u.le_ = le;
    return u;
  }

  /// From an ATT UUID field: 2, 4 or 16 octets, little-endian.  Any other
  /// size is codec_errc::invalid_length.
  static expected<Uuid> from_wire(byte_span b);
  /// "0x2A37", "2A37", "0x0000FEAA"/"0000FEAA" (32-bit) or the 36-character
  /// form "0000180d-0000-1000-8000-00805f9b34fb", hex in either case.
  static expected<Uuid> parse(std::string_view text);

  [[nodiscard]] constexpr bool is_base_derived() const noexcept {
    for (int i = 0; i < 12; ++i)
      if (le_[i] != base_le[i]) return false;
    return true;
  }
  [[nodiscard]] constexpr bool is16() const noexcept { return is_base_derived() && le_[14] == 0 && le_[15] == 0; }
  [[nodiscard]] constexpr bool is32() const noexcept { return is_base_derived(); }
  /// The 16-bit value; meaningful only when is16().
  [[nodiscard]] constexpr std::uint16_t as16() const noexcept {
    return static_cast<std::uint16_t>(le_[12] | (le_[13] << 8));
  }
  [[nodiscard]] constexpr std::uint32_t as32() const noexcept {
    return static_cast<std::uint32_t>(le_[12]) | (static_cast<std::uint32_t>(le_[13]) << 8) |
           (static_cast<std::uint32_t>(le_[14]) << 16) | (static_cast<std::uint32_t>(le_[15]) << 24);
  }
  [[nodiscard]] constexpr const std::array<std::uint8_t, 16>& le() const noexcept { return le_; }

  /// Size in an ATT PDU: 2 for 16-bit UUIDs, else 16.
  [[nodiscard]] constexpr std::size_t att_size() const noexcept { return is16() ? 2 : 16; }
  /// Appends the ATT form (2 or 16 octets, little-endian).
  void encode(ByteWriter& w) const;
  [[nodiscard]] bytes att_bytes() const;

  /// "0x2A37" for 16-bit, "0x0000FEAA" for other base-derived 32-bit,
  /// else the lower-case 36-character form.
  [[nodiscard]] std::string to_string() const;
  /// Always the 36-character form.
  [[nodiscard]] std::string to_string128() const;

  friend constexpr bool operator==(const Uuid&, const Uuid&) = default;
  friend constexpr auto operator<=>(const Uuid&, const Uuid&) = default;

 private:
  std::array<std::uint8_t, 16> le_;
};

}  // namespace bcms::att

template <>
struct std::hash<bcms::att::Uuid> {
  std::size_t operator()(const bcms::att::Uuid& u) const noexcept {
    std::size_t h = 1469598103934665603ull;
    for (auto b : u.le()) h = (h ^ b) * 1099511628211ull;
    return h;
  }
};
