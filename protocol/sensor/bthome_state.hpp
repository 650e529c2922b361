// Per-device BTHome receive state: packet-id de-duplication and the
// encryption counter's replay protection.  Pure values (the caller passes
// the time), no I/O; one of each per device.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace bcms::sensor {

/// Object 0x00 "packet id" (uint8): a device repeats an advertisement
/// with the same id, and a receiver drops the repeats.  A packet is new
/// when there is no earlier one, when more than `window` passed since the
/// last accepted one (the device may have restarted), or when its id is
/// 1..63 ahead of the last accepted id modulo 256 (ids wrap; an id up to
/// 192 behind, or equal, is a repeat or a late copy).  The same rule as
/// bthome-ble (4 s, 64).
class PacketIdFilter {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr auto default_window = std::chrono::seconds(4);
  static constexpr std::uint8_t max_ahead = 63;

  explicit PacketIdFilter(clock::duration window = default_window) noexcept : window_(window) {}

  /// True (and remembered) when the packet is new.
  bool accept(std::uint8_t id, clock::time_point now) noexcept;

 private:
  clock::duration window_;
  std::optional<std::uint8_t> last_{};
  clock::time_point last_time_{};
};

/// Replay protection of encrypted BTHome: the 32-bit counter of each
/// accepted packet must be above the last accepted one.  check() before
/// decrypting (cheap rejection); commit() only after the MIC verified, so
/// forged packets cannot move the counter.
class CounterGuard {
 public:
  [[nodiscard]] bool fresh(std::uint32_t counter) const noexcept { return !last_ || counter > *last_; }
  void commit(std::uint32_t counter) noexcept { last_ = counter; }
  [[nodiscard]] std::optional<std::uint32_t> last() const noexcept { return last_; }

 private:
  std::optional<std::uint32_t> last_{};
};

}  // namespace bcms::sensor
