// Plain data the daemon's service hands out (and the RPC layer converts):
// devices, the working mode, readings, events, controller status and
// diagnostics counters.  No behaviour here.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/expected.hpp"
#include "protocol/sensor/reading.hpp"

namespace bcms::daemon {

using Clock = std::chrono::system_clock;

/// The original's BCMSWorkingMode, same ordinals.  `approved`: readings
/// are collected and submitted only for approved (or paired) devices;
/// `any`: for every device seen.
enum class Mode : std::uint8_t { any = 0, approved = 1 };

[[nodiscard]] std::string_view to_string(Mode m) noexcept;
/// "any" / "approved" (any case); nullopt for anything else.
[[nodiscard]] std::optional<Mode> parse_mode(std::string_view text) noexcept;

/// One device as list() shows it.  The first four fields are the
/// original's BCMSDeviceInfo; the rest are new.
struct DeviceInfo {
  std::string address;  // "00:11:22:33:44:55": the identity address once known
  std::string name;
  bool approved = false;  // paired implies approved
  bool paired = false;

  AddressType address_type = AddressType::le_public;
  std::optional<std::int8_t> rssi;  // last report's RSSI (dBm), none if never seen
  std::optional<Clock::time_point> last_seen;
  /// Advertising interval learned from reports (median of the gaps between
  /// consecutive reports); none until enough reports were seen.
  std::optional<std::chrono::milliseconds> adv_interval;
  /// The resolvable private address the device last used, when it differs
  /// from `address` (merged under its identity by IRK).
  std::optional<std::string> current_address;
  /// The backend's id once registered (IoT "exists"/"create").
  std::optional<std::string> registration_id;
  std::uint64_t reports = 0;  // advertising reports seen since start
};

/// A reading kept for `readings(address)`: the collector's Reading and when
/// it was taken.
struct DeviceReading {
  Peer device;  // identity
  sensor::Reading reading;
  Clock::time_point at{};
};

/// What subscribers are told.  `address` is empty for events that concern
/// no device (mode, controller).
struct Event {
  enum class Kind : std::uint8_t {
    device_new,        // first report of a device since start
    device_approved,
    device_removed,
    device_paired,
    device_unpaired,
    pair_failed,       // text: why
    identity_resolved, // an RPA was merged under its identity; text: the RPA
    mode_changed,      // text: the new mode
    reading,           // text: "heart_rate rate=67"
    controller,        // text: what changed (powered, removed, recovered ...)
    notification,      // --notify: free text
  };
  Kind kind = Kind::notification;
  std::string address;
  std::string text;
  Clock::time_point at{};
};
[[nodiscard]] std::string_view to_string(Event::Kind k) noexcept;

/// The controller the daemon drives.
struct ControllerStatus {
  bool present = false;
  std::uint16_t index = 0;
  std::string address;  // public address
  std::string name;
  bool powered = false;
  bool discovering = false;
  Mode mode = Mode::approved;
  std::size_t devices_tracked = 0;
  std::size_t devices_approved = 0;
  std::size_t devices_paired = 0;
  /// Where readings go: "off (no api_url)", the backend's URL, or
  /// "unavailable: <why>" when the backend cannot be reached by any means
  /// (libcurl cannot be loaded, the outbox cannot be opened).
  std::string submission;
};

/// Named counters (monotonic since start unless the name says otherwise),
/// in a stable order: "reports", "devices_new", "pair_attempts", ...
struct Diagnostics {
  std::vector<std::pair<std::string, std::uint64_t>> counters;
};

}  // namespace bcms::daemon
