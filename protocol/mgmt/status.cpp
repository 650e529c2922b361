#include "protocol/mgmt/status.hpp"

#include <string>

#include "protocol/hex.hpp"
#include "protocol/mgmt_tables/names.hpp"

namespace bcms::mgmt {

namespace {

class StatusCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "mgmt"; }
  std::string message(int ev) const override {
    // "Busy (0x0a)"; codes the spec does not name: "Unknown status (0x7f)".
    std::string_view n = status_name(static_cast<Status>(ev));
    std::string out = n.empty() ? std::string("Unknown status") : std::string(n);
    out += " (" + hex8(static_cast<std::uint8_t>(ev)) + ")";
    return out;
  }
};

}  // namespace

const std::error_category& status_category() noexcept {
  static const StatusCategory cat;
  return cat;
}

}  // namespace bcms::mgmt
