// Errors of the L2CAP layer: one std::error_category, "bcms.l2cap".  Socket
// failures keep their errno (system category) and asio's errors (eof,
// operation_aborted, timed_out); these are the conditions the layer itself
// detects.
#pragma once

#include <system_error>

namespace bcms::l2cap {

enum class errc {
  sdu_too_long = 1,  // longer than the send MTU (BT_SNDMTU): refused, nothing sent
  empty_sdu,         // a zero-length message reads as end-of-channel: refused
  queue_full,        // the outgoing queue's byte bound is reached: wait (async_send)
  sdu_truncated,     // a received SDU was longer than our buffer (MSG_TRUNC)
  receive_pending,   // a second receive while one is pending or start() reads
};

const std::error_category& l2cap_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), l2cap_category()}; }

}  // namespace bcms::l2cap

template <>
struct std::is_error_code_enum<bcms::l2cap::errc> : std::true_type {};
