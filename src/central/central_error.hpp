// Errors of the central layer (connection management): one
// std::error_category, "bcms.central".  Errors from below keep their own
// categories (mgmt status, errno from the L2CAP connect, asio's
// operation_aborted for a cancelled request); a request's deadline ends
// with bcms::timeout_error() like every timeout bcms decides.  These are
// the conditions the layer itself detects.
#pragma once

#include <system_error>

namespace bcms::central {

enum class errc {
  shut_down = 1,     // the ConnectionManager was destroyed while the request was pending
  busy_exhausted,    // the kernel kept reporting busy after every retry
  controller_silent, // mgmt commands time out and the power cycle did not bring the controller back
};

const std::error_category& central_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), central_category()}; }

}  // namespace bcms::central

template <>
struct std::is_error_code_enum<bcms::central::errc> : std::true_type {};
