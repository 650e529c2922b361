// Event and reply dispatch over the generated table (gen/mgmt_table.hpp).
//
// The sizes of every event and every Return Parameters block are checked
// against the table's fixed-or-minimum length here, in check_size(), before
// the generated decoder runs (the decoders are bounds-checked too; this is
// the one place that states the table's rule).  Decoded events borrow the
// frame's buffer for their variable parts (DataView members): keep the
// buffer alive while you use the event.
#pragma once

#include <cstddef>
#include <cstdint>
#include <system_error>

#include "gen/mgmt_table.hpp"
#include "gen/mgmt_types.hpp"
#include "protocol/bytes.hpp"
#include "protocol/codec_error.hpp"
#include "protocol/expected.hpp"
#include "protocol/mgmt/frame.hpp"
#include "protocol/mgmt/status.hpp"

namespace bcms::mgmt {

/// n octets against a table entry: fixed (exactly `size`) or variable (at
/// least `size`).  codec_errc::truncated / trailing_bytes, or {}.
[[nodiscard]] std::error_code check_size(std::size_t n, std::uint16_t size, bool variable) noexcept;

/// Decodes an event's parameters into the typed variant.  Unknown codes:
/// codec_errc::unknown_opcode.
expected<Event> decode_event(std::uint16_t code, byte_span params);
inline expected<Event> decode_event(const Frame& f) { return decode_event(f.code, f.params); }

/// The error a Command Status event reports ({} for Success).
[[nodiscard]] inline std::error_code command_result(const CommandStatus& s) noexcept {
  if (s.status == Status::Success) return {};
  return make_error_code(s.status);
}

/// Size check of a Command Complete's Return Parameters against the table
/// entry of its opcode (unknown_opcode when the table lacks it).
[[nodiscard]] std::error_code check_reply_size(const CommandComplete& cc) noexcept;

/// Typed reply of a Command Complete for command Cmd:
///   wrong opcode -> codec_errc::invalid_value; Status != Success -> that
///   status as error_code ("mgmt" category); then size check and decode.
template <class Cmd>
expected<typename Cmd::Reply> decode_reply(const CommandComplete& cc) {
  if (cc.opcode != static_cast<std::uint16_t>(Cmd::opcode)) return fail(codec_errc::invalid_value);
  if (cc.status != Status::Success) return unexpected(make_error_code(cc.status));
  if (std::error_code ec = check_reply_size(cc)) return unexpected(ec);
  return Cmd::Reply::decode(cc.params);
}

}  // namespace bcms::mgmt
