// The sampling rule of the original client (spec README "Sampling"): at
// most one sample per (device, data type) per 2 s.  A sample is every
// field of one type read at one moment (blood_pressure {sys, dias} is one
// sample), so the rule is applied to types, not to single readings.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <unordered_map>

namespace bcms::iot {

class Sampler {
 public:
  using clock = std::chrono::system_clock;
  explicit Sampler(std::chrono::milliseconds interval = std::chrono::seconds(2)) : interval_(interval) {}

  /// True (and remembered) when no sample of (device, type) was taken in
  /// the `interval` before `at`.  Time going backwards (a clock step)
  /// restarts the interval at `at`.
  bool take(std::string_view device, std::string_view type, clock::time_point at);

  [[nodiscard]] std::size_t tracked() const noexcept { return last_.size(); }

 private:
  void prune(clock::time_point now);
  std::chrono::milliseconds interval_;
  std::unordered_map<std::string, clock::time_point> last_;  // "device/type" -> last sample
  std::size_t prune_at_ = 1024;
};

}  // namespace bcms::iot
