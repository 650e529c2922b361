// Errors of the daemon layer (registry, service, configuration): one
// std::error_category, "bcms.daemon".  Errors from below keep their own
// categories (mgmt status, storage, errno, bcms::timeout_error()).
//
// The messages of the first three are the original BCMS's error texts,
// word for word: RPC clients of the original compare them.
#pragma once

#include <string>
#include <system_error>

namespace bcms::daemon {

enum class errc {
  device_not_found = 1,   // "Device not found"
  already_approved,       // "Device already approved"
  remove_paired,          // "Cannot remove paired device. Unpair first."
  invalid_address,        // not "XX:XX:XX:XX:XX:XX"
  not_paired,             // unpair of a device that has no bond
  already_paired,         // pair of a device that has a bond
  pair_failed,            // the kernel reported a pairing failure
  pair_timeout,           // no outcome within the pair timeout
  no_controller,          // no usable controller (removed, not powered)
  invalid_mode,           // a mode other than "any" / "approved"
  storage_failed,         // a durable write failed: state not changed
  config_invalid,         // configuration file or flag (the detail names the key)
  bluetoothd_running,     // another Bluetooth daemon owns the controllers
};

const std::error_category& daemon_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), daemon_category()}; }

/// What a service call reports: the condition (for programs) and the text
/// an RPC client sees in `errors` (for people).  `text` is code.message()
/// unless the call has more to say ("Pairing failed: Authentication
/// Failed (0x05)").
struct Error {
  std::error_code code;
  std::string text;

  Error() = default;
  Error(std::error_code c) : code(c), text(c.message()) {}  // NOLINT: implicit by design
  Error(errc e) : Error(make_error_code(e)) {}              // NOLINT
  Error(std::error_code c, std::string t) : code(c), text(std::move(t)) {}
  friend bool operator==(const Error& a, const Error& b) { return a.code == b.code && a.text == b.text; }
};

}  // namespace bcms::daemon

template <>
struct std::is_error_code_enum<bcms::daemon::errc> : std::true_type {};
