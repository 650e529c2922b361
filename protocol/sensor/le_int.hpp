// Little-endian integers of 1..8 octets (BTHome objects of 3 octets, the
// original BCMS's int.from_bytes(data, "little")).  Internal to
// protocol/sensor.
#pragma once

#include <cstdint>

#include "protocol/bytes.hpp"

namespace bcms::sensor {

/// The octets as an unsigned little-endian integer (size 1..8).
constexpr std::uint64_t le_uint(byte_span b) noexcept {
  std::uint64_t u = 0;
  for (std::size_t i = 0; i < b.size() && i < 8; ++i) u |= static_cast<std::uint64_t>(b[i]) << (8 * i);
  return u;
}

/// The octets as a two's complement little-endian integer (size 1..8).
constexpr std::int64_t le_sint(byte_span b) noexcept {
  const std::uint64_t u = le_uint(b);
  const std::size_t bits = (b.size() < 8 ? b.size() : 8) * 8;
  if (bits == 0 || bits == 64 || ((u >> (bits - 1)) & 1) == 0) return static_cast<std::int64_t>(u);
  return static_cast<std::int64_t>(u | (~std::uint64_t{0} << bits));  // sign-extend
}

}  // namespace bcms::sensor
