// Helpers for the mgmt unit tests: hex literals written out by hand.
#pragma once

#include <cstdint>
#include <string_view>

#include "protocol/bytes.hpp"

namespace bcms::mgmt::test {

/// "01 16 00" -> {0x01, 0x16, 0x00}; spaces, ':' and newlines ignored.
inline bytes hx(std::string_view s) {
  bytes out;
  int hi = -1;
  for (char c : s) {
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
    if (d < 0) continue;
    if (hi < 0) {
      hi = d;
    } else {
      out.push_back(static_cast<std::uint8_t>(hi << 4 | d));
      hi = -1;
    }
  }
  return out;
}

/// a ++ b
inline bytes cat(bytes a, const bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

/// n zero octets
inline bytes zeros(std::size_t n) { return bytes(n, 0); }

}  // namespace bcms::mgmt::test
