#include "protocol/sensor/bthome_error.hpp"

#include <cstdio>

namespace bcms::sensor {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "bthome"; }
  std::string message(int ev) const override {
    switch (static_cast<bthome_errc>(ev)) {
      case bthome_errc::unsupported_version: return "unsupported BTHome version";
      case bthome_errc::reserved_bits: return "reserved device information bits set";
      case bthome_errc::unknown_object: return "unknown object id";
      case bthome_errc::encrypted: return "encrypted payload and no bind key";
      case bthome_errc::authentication_failed: return "MIC check failed";
      case bthome_errc::replayed_counter: return "encryption counter did not increase";
      case bthome_errc::duplicate_packet: return "duplicate packet id";
      case bthome_errc::not_encrypted: return "unencrypted payload from a device with a bind key";
    }
    return "unknown BTHome error " + std::to_string(ev);
  }
};

}  // namespace

const std::error_category& bthome_category() noexcept {
  static const Category c;
  return c;
}

std::string BthomeError::message() const {
  std::string m = "BTHome: " + code.message();
  char buf[32];
  if (object_id) {
    std::snprintf(buf, sizeof buf, " 0x%02X", *object_id);
    m += code == bthome_errc::unknown_object ? buf : std::string(" in object") + buf;
  }
  m += " at offset " + std::to_string(offset);
  return m;
}

}  // namespace bcms::sensor
