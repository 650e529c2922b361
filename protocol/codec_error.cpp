#include "protocol/codec_error.hpp"

#include <string>

namespace bcms {
namespace {

class codec_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "bcms.codec"; }
  std::string message(int ev) const override {
    switch (static_cast<codec_errc>(ev)) {
      case codec_errc::truncated: return "truncated input";
      case codec_errc::trailing_bytes: return "unexpected trailing bytes";
      case codec_errc::invalid_length: return "invalid length field";
      case codec_errc::invalid_value: return "invalid field value";
      case codec_errc::unknown_opcode: return "unknown opcode";
      case codec_errc::too_long: return "encoded data too long";
    }
    return "unknown codec error " + std::to_string(ev);
  }
};

}  // namespace

const std::error_category& codec_category() noexcept {
  static const codec_category_impl instance;
  return instance;
}

}  // namespace bcms
