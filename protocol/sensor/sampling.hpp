// The original's sampling rule (spec README "Sampling"): at most one sample
// per (device, data type) per interval, 2 s.  A sample is every field of
// one type read at one moment (blood_pressure {sys, dias} is one sample),
// so the rule is applied to types, not to single readings.  Pure: the
// caller passes the time, on whichever clock it keeps (the collector's
// steady clock at the source, the outbox's wall clock at storage).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

namespace bcms::sensor {

template <class Clock>
class BasicSampler {
 public:
  using time_point = typename Clock::time_point;
  static constexpr std::chrono::milliseconds default_interval{2000};

  explicit BasicSampler(typename Clock::duration interval = default_interval) : interval_(interval) {}

  /// True (and remembered) when no sample of (device, type) was taken in
  /// the interval before `at`.  Time going backwards (a clock step)
  /// restarts the interval at `at`.
  bool take(std::string_view device, std::string_view type, time_point at) {
    std::string key;
    key.reserve(device.size() + 1 + type.size());
    key.append(device).push_back('/');
    key.append(type);
    auto [it, fresh] = last_.try_emplace(std::move(key), at);
    if (fresh) {
      if (last_.size() >= prune_at_) prune(at);
      return true;
    }
    if (at >= it->second && at - it->second < interval_) return false;
    it->second = at;
    return true;
  }

  [[nodiscard]] std::size_t tracked() const noexcept { return last_.size(); }

 private:
  // Forgets pairs whose interval is over (they would be taken anyway), so
  // that devices seen once do not accumulate.
  void prune(time_point now) {
    std::erase_if(last_, [&](const auto& kv) { return now - kv.second >= interval_; });
    prune_at_ = std::max<std::size_t>(1024, last_.size() * 2);
  }

  typename Clock::duration interval_;
  std::unordered_map<std::string, time_point> last_;  // "device/type" -> last sample
  std::size_t prune_at_ = 1024;
};

using SteadySampler = BasicSampler<std::chrono::steady_clock>;
using WallSampler = BasicSampler<std::chrono::system_clock>;

}  // namespace bcms::sensor
