#include "src/l2cap/l2cap_error.hpp"

#include <string>

namespace bcms::l2cap {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "bcms.l2cap"; }
  std::string message(int v) const override {
    switch (static_cast<errc>(v)) {
      case errc::sdu_too_long: return "SDU longer than the channel's send MTU";
      case errc::empty_sdu: return "empty SDU";
      case errc::queue_full: return "outgoing queue full";
      case errc::sdu_truncated: return "received SDU longer than the receive buffer (truncated)";
      case errc::receive_pending: return "a receive is already pending on the channel";
    }
    return "unknown bcms.l2cap error " + std::to_string(v);
  }
};

}  // namespace

const std::error_category& l2cap_category() noexcept {
  static const Category c;
  return c;
}

}  // namespace bcms::l2cap
