#include "cli/gatt/format.hpp"

#include <cstdio>

#include "protocol/hex.hpp"
#include "protocol/sensor/gatt_readings.hpp"

namespace bcms::cli::gatt {

std::string spaced(byte_span v) { return v.empty() ? std::string() : hex_bytes(v, {.separator = ' '}) + ' '; }

std::string h4(std::uint16_t v) { return hex_int(v, 2); }

std::string decoded(std::uint16_t uuid16, byte_span value) {
  auto r = sensor::decode_characteristic(uuid16, value);
  if (!r || r->empty()) return {};
  std::string s;
  for (const auto& x : *r) {
    char b[96];
    std::snprintf(b, sizeof b, "%s%.*s %.*s=%g%s%.*s", s.empty() ? "" : ", ", static_cast<int>(x.type.size()),
                  x.type.data(), static_cast<int>(x.field.size()), x.field.data(), x.value, x.unit.empty() ? "" : " ",
                  static_cast<int>(x.unit.size()), x.unit.data());
    s += b;
  }
  return s;
}

}  // namespace bcms::cli::gatt
