#include "src/collector/sampler.hpp"

#include <iterator>

namespace bcms::collector {

namespace {
// Entries older than a period decide nothing: forget them once the map
// grows past this (devices come and go).
constexpr std::size_t prune_above = 4096;
}  // namespace

bool Sampler::accept(const Peer& device, std::string_view type, clock::time_point now) {
  auto key = std::make_pair(device, std::string(type));
  auto it = last_.find(key);
  if (it != last_.end()) {
    if (now - it->second < period_) return false;
    it->second = now;
    return true;
  }
  if (last_.size() >= prune_above)
    std::erase_if(last_, [&](const auto& e) { return now - e.second >= period_; });
  last_.emplace(std::move(key), now);
  return true;
}

}  // namespace bcms::collector
