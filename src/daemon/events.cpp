#include "src/daemon/events.hpp"

#include <utility>

namespace bcms::daemon {

// Handlers by id (ids grow, so map order is subscription order).  A
// handler is removed from the map at once; publish() works on a copy of
// the ids and looks each one up again before calling it, so a handler
// dropped during a publish is not called afterwards.
struct EventSubscription::Slots {
  std::map<std::uint64_t, std::shared_ptr<EventHub::Handler>> handlers;
  std::uint64_t next = 1;
};

EventSubscription::EventSubscription(EventSubscription&& o) noexcept
    : slots_(std::move(o.slots_)), id_(std::exchange(o.id_, 0)) {}

EventSubscription& EventSubscription::operator=(EventSubscription&& o) noexcept {
  if (this != &o) {
    reset();
    slots_ = std::move(o.slots_);
    id_ = std::exchange(o.id_, 0);
  }
  return *this;
}

void EventSubscription::reset() noexcept {
  if (auto s = slots_.lock()) s->handlers.erase(id_);
  slots_.reset();
  id_ = 0;
}

bool EventSubscription::active() const noexcept {
  auto s = slots_.lock();
  return s && s->handlers.contains(id_);
}

EventHub::EventHub() : slots_(std::make_shared<EventSubscription::Slots>()) {}
EventHub::~EventHub() = default;

EventSubscription EventHub::subscribe(Handler handler) {
  const auto id = slots_->next++;
  slots_->handlers.emplace(id, std::make_shared<Handler>(std::move(handler)));
  return EventSubscription(slots_, id);
}

void EventHub::publish(const Event& ev) {
  ++published_;
  auto keep = slots_;  // a handler may destroy the hub's owner
  std::vector<std::uint64_t> ids;
  ids.reserve(keep->handlers.size());
  for (const auto& [id, h] : keep->handlers) ids.push_back(id);
  for (auto id : ids) {
    auto it = keep->handlers.find(id);
    if (it == keep->handlers.end()) continue;
    auto h = it->second;  // the handler may drop itself
    (*h)(ev);
  }
}

std::size_t EventHub::subscribers() const noexcept { return slots_->handlers.size(); }

}  // namespace bcms::daemon
