#include "src/daemon/runtime/outbox_feed.hpp"

#include <algorithm>
#include <asio/post.hpp>

namespace bcms::daemon {

OutboxFeed::OutboxFeed(asio::any_io_executor ex, iot::OutboxWriter& writer) : ex_(std::move(ex)), writer_(writer) {}

void OutboxFeed::add(std::string device, iot::Clock::time_point at, const sensor::Reading& reading) {
  if (groups_.empty()) {
    asio::post(ex_, [this, alive = std::weak_ptr<bool>(alive_)] {
      if (!alive.expired()) flush();
    });
  }
  // The collector stamps each reading as it hands it over: the readings of
  // one value differ by microseconds.  The outbox keeps seconds.
  const auto second = std::chrono::floor<std::chrono::seconds>(at);
  auto it = std::ranges::find_if(groups_, [&](const Group& g) {
    return g.device == device && std::chrono::floor<std::chrono::seconds>(g.at) == second;
  });
  if (it == groups_.end()) it = groups_.insert(groups_.end(), Group{std::move(device), at, {}});
  it->readings.push_back(reading);
}

void OutboxFeed::flush() {
  auto batch = std::move(groups_);
  groups_.clear();
  for (const auto& g : batch) writer_.add(g.device, g.at, g.readings);
}

std::size_t OutboxFeed::pending() const noexcept {
  std::size_t n = 0;
  for (const auto& g : groups_) n += g.readings.size();
  return n;
}

}  // namespace bcms::daemon
