// mgmt status codes as std::error_code: one error category ("mgmt") for
// the Status values that Command Complete / Command Status carry
// (mgmt-api.txt "Error Codes"; the enum itself is generated in
// gen/mgmt_types.hpp, the names in gen/mgmt_names.cpp).
//
//   std::error_code ec = bcms::mgmt::Status::Busy;
//   ec.category().name() == "mgmt";  ec.message() == "Busy (0x0a)"
//
// Status::Success is 0, so make_error_code(Status::Success) is false:
// `if (ec)` means failure, as with any error_code.
#pragma once

#include <system_error>

#include "gen/mgmt_codes.hpp"

namespace bcms::mgmt {

const std::error_category& status_category() noexcept;

inline std::error_code make_error_code(Status s) noexcept {
  return {static_cast<int>(s), status_category()};
}

}  // namespace bcms::mgmt

template <>
struct std::is_error_code_enum<bcms::mgmt::Status> : std::true_type {};
