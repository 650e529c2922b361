// What the collector delivers: one typed reading of one device, stamped
// with the (injected) wall clock at reception.
#pragma once

#include <chrono>
#include <functional>
#include <string_view>

#include "protocol/address.hpp"
#include "protocol/sensor/reading.hpp"

namespace bcms::collector {

/// Where a reading came from: "service_data" (the original's passive
/// mapping), "bthome", "eddystone" (TLM), "gatt" (a connection).
struct Collected {
  Peer device{};
  sensor::Reading reading{};
  std::chrono::system_clock::time_point time{};
  std::string_view source{};
};

using Sink = std::function<void(const Collected&)>;

/// The clocks, injected so tests control time: `steady` for sampling and
/// BTHome windows, `wall` for timestamps and a device's clock.
struct Clock {
  std::function<std::chrono::steady_clock::time_point()> steady = [] { return std::chrono::steady_clock::now(); };
  std::function<std::chrono::system_clock::time_point()> wall = [] { return std::chrono::system_clock::now(); };
};

}  // namespace bcms::collector
