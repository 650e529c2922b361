// Errors of the GAP layer (advertising, pairing, bonds, the peripheral
// runtime): one std::error_category, "bcms.gap".  Errors from below keep
// their own categories (mgmt status, storage, errno); these are the
// conditions the GAP layer itself detects.
#pragma once

#include <system_error>

namespace bcms::gap {

enum class errc {
  adv_data_too_long = 1,   // the payload does not fit the controller's limits
  instance_out_of_range,   // instance 0, or above the controller's Max_Instances
  flags_not_supported,     // an Add Advertising flag the controller does not support
  not_started,             // the runtime has not finished start()
  no_controller_address,   // Read Controller Information gave no usable address
};

const std::error_category& gap_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), gap_category()}; }

}  // namespace bcms::gap

template <>
struct std::is_error_code_enum<bcms::gap::errc> : std::true_type {};
