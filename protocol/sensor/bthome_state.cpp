#include "protocol/sensor/bthome_state.hpp"

namespace bcms::sensor {

bool PacketIdFilter::accept(std::uint8_t id, clock::time_point now) noexcept {
  const bool is_new = !last_ || now - last_time_ > window_ ||
                      static_cast<std::uint8_t>(id - *last_ - 1) < max_ahead;  // id - last in 1..63 (mod 256)
  if (is_new) {
    last_ = id;
    last_time_ = now;
  }
  return is_new;
}

}  // namespace bcms::sensor
