// The original's sampling rule: at most one sample per (device, data
// type) per period (2 s).  Pure: the caller passes the time.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "protocol/address.hpp"

namespace bcms::collector {

class Sampler {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr auto default_period = std::chrono::seconds(2);

  explicit Sampler(clock::duration period = default_period) noexcept : period_(period) {}

  /// True (and remembered) when no sample of `type` from `device` was
  /// accepted in the last period.
  bool accept(const Peer& device, std::string_view type, clock::time_point now);

  [[nodiscard]] std::size_t size() const noexcept { return last_.size(); }

 private:
  clock::duration period_;
  std::map<std::pair<Peer, std::string>, clock::time_point, std::less<>> last_;
};

}  // namespace bcms::collector
