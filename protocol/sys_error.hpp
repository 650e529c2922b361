// errno values as std::error_code, one way for the whole stack (codec
// base, no I/O here): always std::system_category.  Compare with the
// portable conditions (`ec == std::errc::timed_out`), which match through
// the system category's equivalence; never build generic_category codes.
//
// Not covered: what asio itself reports (socket errors, operation_aborted)
// comes in asio's own "asio.system" category, which in Debian 12's asio
// (1.28) maps to no std::errc condition: compare those with asio::error::*.
#pragma once

#include <cerrno>
#include <system_error>

namespace bcms {

/// `e` (by default the current errno) in the system category.
inline std::error_code errno_code(int e = errno) noexcept { return {e, std::system_category()}; }

/// The one timeout error of bcms: ETIMEDOUT in the system category (not
/// asio::error::timed_out, which is asio's category and does not match
/// std::errc::timed_out).  Every timeout bcms decides (mgmt command, ATT
/// transaction, L2CAP connect) completes with exactly this code.
inline std::error_code timeout_error() noexcept { return errno_code(ETIMEDOUT); }

}  // namespace bcms
