// The sampling rule (protocol/sensor/sampling.hpp; spec README
// "Sampling": at most one sample per device and data type per 2 s).
#include "protocol/sensor/sampling.hpp"

#include <doctest/doctest.h>

using namespace bcms::sensor;
using namespace std::chrono_literals;

TEST_CASE("sampling: one sample per (device, type) per 2 s; the edges") {
  SteadySampler s;
  const auto t0 = std::chrono::steady_clock::time_point{} + 100s;
  CHECK(s.take("00:11:22:33:44:55", "heart_rate", t0));
  CHECK_FALSE(s.take("00:11:22:33:44:55", "heart_rate", t0 + 1999ms));
  CHECK(s.take("00:11:22:33:44:55", "battery_level", t0 + 1999ms));  // another type
  CHECK(s.take("00:11:22:33:44:66", "heart_rate", t0 + 1ms));        // another device
  CHECK(s.take("00:11:22:33:44:55", "heart_rate", t0 + 2000ms));     // exactly 2 s later
  CHECK_FALSE(s.take("00:11:22:33:44:55", "heart_rate", t0 + 3999ms));
}

TEST_CASE("sampling: a clock stepped back restarts the interval instead of blocking") {
  WallSampler s;
  const auto t0 = std::chrono::system_clock::from_time_t(1'800'000'000);
  CHECK(s.take("d", "temperature", t0));
  CHECK(s.take("d", "temperature", t0 - 1h));        // the wall clock was set back
  CHECK_FALSE(s.take("d", "temperature", t0 - 1h + 1s));
}

TEST_CASE("sampling: devices seen once do not accumulate") {
  SteadySampler s(2s);
  const auto t0 = std::chrono::steady_clock::time_point{} + 10s;
  for (int i = 0; i < 5000; ++i) CHECK(s.take("dev" + std::to_string(i), "t", t0 + std::chrono::milliseconds(i * 10)));
  CHECK(s.tracked() < 2000);  // pruned: only the last ~2 s of devices are kept
  CHECK_FALSE(s.take("dev4999", "t", t0 + 49990ms + 1s));  // the recent ones still count
}
