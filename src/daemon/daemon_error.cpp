#include "src/daemon/daemon_error.hpp"

namespace bcms::daemon {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "bcms.daemon"; }
  std::string message(int v) const override {
    switch (static_cast<errc>(v)) {
      case errc::device_not_found: return "Device not found";
      case errc::already_approved: return "Device already approved";
      case errc::remove_paired: return "Cannot remove paired device. Unpair first.";
      case errc::invalid_address: return "Invalid address (expected XX:XX:XX:XX:XX:XX)";
      case errc::not_paired: return "Device not paired";
      case errc::already_paired: return "Device already paired";
      case errc::pair_failed: return "Pairing failed";
      case errc::pair_timeout: return "Pairing timed out (device out of range?)";
      case errc::no_controller: return "No usable Bluetooth controller";
      case errc::invalid_mode: return "Invalid mode (expected any or approved)";
      case errc::storage_failed: return "Storage write failed";
      case errc::config_invalid: return "Invalid configuration";
      case errc::bluetoothd_running: return "bluetoothd is running";
    }
    return "unknown bcms.daemon error " + std::to_string(v);
  }
};

}  // namespace

const std::error_category& daemon_category() noexcept {
  static const Category c;
  return c;
}

}  // namespace bcms::daemon
