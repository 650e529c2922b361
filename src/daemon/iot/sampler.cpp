#include "src/daemon/iot/sampler.hpp"

#include <algorithm>

namespace bcms::iot {

bool Sampler::take(std::string_view device, std::string_view type, clock::time_point at) {
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

// Forgets pairs whose interval is over (they would be taken anyway), so
// that devices seen once do not accumulate.
void Sampler::prune(clock::time_point now) {
  std::erase_if(last_, [&](const auto& kv) { return now - kv.second >= interval_; });
  prune_at_ = std::max<std::size_t>(1024, last_.size() * 2);
}

}  // namespace bcms::iot
