#include "src/central/central_error.hpp"

#include <string>

namespace bcms::central {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "bcms.central"; }
  std::string message(int v) const override {
    switch (static_cast<errc>(v)) {
      case errc::shut_down: return "the connection manager was shut down";
      case errc::busy_exhausted: return "the kernel kept reporting the connection busy";
      case errc::controller_silent: return "the controller does not answer, even after a power cycle";
    }
    return "unknown bcms.central error " + std::to_string(v);
  }
};

}  // namespace

const std::error_category& central_category() noexcept {
  static const Category c;
  return c;
}

}  // namespace bcms::central
