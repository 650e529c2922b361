#include "protocol/mgmt/status.hpp"

#include <cstdio>
#include <string>

#include "protocol/mgmt_tables/names.hpp"

namespace bcms::mgmt {

namespace {

class StatusCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "mgmt"; }
  std::string message(int ev) const override {
    // "Busy (0x0a)"; codes the spec does not name: "Unknown status (0x7f)".
    std::string_view n = status_name(static_cast<Status>(ev));
    char code[8];
    std::snprintf(code, sizeof code, "0x%02x", static_cast<unsigned>(ev) & 0xFFu);
    std::string out = n.empty() ? std::string("Unknown status") : std::string(n);
    out += " (";
    out += code;
    out += ')';
    return out;
  }
};

}  // namespace

const std::error_category& status_category() noexcept {
  static const StatusCategory cat;
  return cat;
}

}  // namespace bcms::mgmt
