#include "src/gap/gap_error.hpp"

#include <string>

namespace bcms::gap {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "bcms.gap"; }
  std::string message(int v) const override {
    switch (static_cast<errc>(v)) {
      case errc::adv_data_too_long: return "advertising data does not fit the controller's limits";
      case errc::instance_out_of_range: return "advertising instance out of the controller's range";
      case errc::flags_not_supported: return "advertising flags not supported by the controller";
      case errc::not_started: return "the peripheral runtime is not started";
      case errc::no_controller_address: return "the controller has no usable address";
    }
    return "unknown bcms.gap error " + std::to_string(v);
  }
};

}  // namespace

const std::error_category& gap_category() noexcept {
  static const Category c;
  return c;
}

}  // namespace bcms::gap
