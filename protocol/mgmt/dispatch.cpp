#include "protocol/mgmt/dispatch.hpp"

namespace bcms::mgmt {

std::error_code check_size(std::size_t n, std::uint16_t size, bool variable) noexcept {
  // The table's rule: a fixed block has exactly `size` octets, a variable
  // one at least `size` (its decoder then checks counts and lengths).
  if (n < size) return make_error_code(codec_errc::truncated);
  if (!variable && n > size) return make_error_code(codec_errc::trailing_bytes);
  return {};
}

std::error_code check_event_size(std::uint16_t code, std::size_t n) noexcept {
  const EventInfo* e = find_event(code);
  if (e == nullptr) return make_error_code(codec_errc::unknown_opcode);
  return check_size(n, e->size, e->variable);
}

expected<Event> decode_event(std::uint16_t code, byte_span params) {
  if (std::error_code ec = check_event_size(code, params.size())) return unexpected(ec);
  return find_event(code)->decode(params);
}

std::error_code check_reply_size(const CommandComplete& cc) noexcept {
  const CommandInfo* c = find_command(cc.opcode);
  if (c == nullptr) return make_error_code(codec_errc::unknown_opcode);
  return check_size(cc.params.size(), c->reply_size, c->reply_variable);
}

}  // namespace bcms::mgmt
