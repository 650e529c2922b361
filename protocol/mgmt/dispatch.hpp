// Event and reply dispatch over the generated table (protocol/mgmt_tables/table.hpp, data in gen/mgmt_table.cpp).
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

#include "gen/mgmt_types.hpp"
#include "protocol/bytes.hpp"
#include "protocol/codec_error.hpp"
#include "protocol/expected.hpp"
#include "protocol/mgmt/frame.hpp"
#include "protocol/mgmt/status.hpp"
#include "protocol/mgmt_tables/table.hpp"

namespace bcms::mgmt {

/// n octets against a table entry: fixed (exactly `size`) or variable (at
/// least `size`).  codec_errc::truncated / trailing_bytes, or {}.
[[nodiscard]] std::error_code check_size(std::size_t n, std::uint16_t size, bool variable) noexcept;

/// The size check of an event's parameters against the table entry of its
/// code (unknown_opcode when the table lacks it).  decode_event() and the
/// channel's typed subscriptions (MgmtChannel::subscribe<Ev>) both use it.
[[nodiscard]] std::error_code check_event_size(std::uint16_t code, std::size_t n) noexcept;

/// Decodes an event's parameters into the typed variant.  Unknown codes:
/// codec_errc::unknown_opcode.
expected<Event> decode_event(std::uint16_t code, byte_span params);
inline expected<Event> decode_event(const Frame& f) { return decode_event(f.code, f.params); }

/// One event decoded as the struct Ev: the table's size check, then
/// Ev::decode (for buffered raw events, e.g. MgmtSync's EventWatch).
template <class Ev>
expected<Ev> decode_event(byte_span params) {
  if (std::error_code ec = check_event_size(static_cast<std::uint16_t>(Ev::code), params.size())) return unexpected(ec);
  return Ev::decode(params);
}

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

/// Typed Return Parameters of a command that succeeded (the channel has
/// already turned a failed status into an error): the one reply decoder
/// of MgmtSync::command() and mgmt::call().
template <class Cmd>
expected<typename Cmd::Reply> decode_reply(byte_span return_params) {
  return decode_reply<Cmd>(CommandComplete{static_cast<std::uint16_t>(Cmd::opcode), Status::Success, return_params});
}

}  // namespace bcms::mgmt
