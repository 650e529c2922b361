#include "src/daemon/types.hpp"

#include <cctype>

namespace bcms::daemon {

std::string_view to_string(Mode m) noexcept { return m == Mode::any ? "any" : "approved"; }

std::optional<Mode> parse_mode(std::string_view text) noexcept {
  auto eq = [&](std::string_view word) {
    if (text.size() != word.size()) return false;
    for (std::size_t i = 0; i < text.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(text[i])) != word[i]) return false;
    return true;
  };
  if (eq("any")) return Mode::any;
  if (eq("approved")) return Mode::approved;
  return std::nullopt;
}

std::string_view to_string(Event::Kind k) noexcept {
  switch (k) {
    case Event::Kind::device_new: return "device_new";
    case Event::Kind::device_approved: return "device_approved";
    case Event::Kind::device_removed: return "device_removed";
    case Event::Kind::device_paired: return "device_paired";
    case Event::Kind::device_unpaired: return "device_unpaired";
    case Event::Kind::pair_failed: return "pair_failed";
    case Event::Kind::identity_resolved: return "identity_resolved";
    case Event::Kind::mode_changed: return "mode_changed";
    case Event::Kind::reading: return "reading";
    case Event::Kind::controller: return "controller";
    case Event::Kind::notification: return "notification";
  }
  return "unknown";
}

}  // namespace bcms::daemon
