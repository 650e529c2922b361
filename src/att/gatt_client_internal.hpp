// Helpers shared by the GattClient's translation units (gatt_client*.cpp).
#pragma once

#include <optional>

#include "protocol/att/att_error.hpp"
#include "protocol/att/uuid.hpp"
#include "protocol/codec_error.hpp"

namespace bcms::att::detail {

/// The peer broke the protocol (an answer of the wrong kind or shape).
inline std::error_code broken() { return make_error_code(codec_errc::invalid_value); }

inline bool is(const std::error_code& ec, att_errc e) { return ec == make_error_code(e); }

/// A service or characteristic UUID as GATT declarations carry it (2 or 16
/// octets, little-endian).
inline std::optional<Uuid> uuid_of(byte_span v) {
  if (v.size() == 2) return Uuid(static_cast<std::uint16_t>(v[0] | (v[1] << 8)));
  if (v.size() == 16) {
    std::array<std::uint8_t, 16> le{};
    std::copy(v.begin(), v.end(), le.begin());
    return Uuid::from128_le(le);
  }
  return std::nullopt;
}

inline std::uint16_t u16_at(byte_span v, std::size_t i) { return static_cast<std::uint16_t>(v[i] | (v[i + 1] << 8)); }

}  // namespace bcms::att::detail
