// EventHub: the daemon's events (types.hpp Event) to any number of
// subscribers (RPC callbacks, the log, a --notify command).
//
// A subscription is an RAII handle (DESIGN.md practice 5): dropping it,
// even inside its own callback or another subscriber's, stops further
// calls.  publish() calls the subscribers present when it starts, in
// subscription order, never while iterating a container a callback can
// change; a subscriber added during a publish gets the next event.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "src/daemon/types.hpp"

namespace bcms::daemon {

class EventHub;

class EventSubscription {
 public:
  EventSubscription() = default;
  EventSubscription(EventSubscription&& o) noexcept;
  EventSubscription& operator=(EventSubscription&& o) noexcept;
  EventSubscription(const EventSubscription&) = delete;
  EventSubscription& operator=(const EventSubscription&) = delete;
  ~EventSubscription() { reset(); }
  /// Unsubscribes (no further calls).  Safe after the hub is gone.
  void reset() noexcept;
  [[nodiscard]] bool active() const noexcept;

 private:
  friend class EventHub;
  struct Slots;
  EventSubscription(std::weak_ptr<Slots> slots, std::uint64_t id) : slots_(std::move(slots)), id_(id) {}
  std::weak_ptr<Slots> slots_;
  std::uint64_t id_ = 0;
};

class EventHub {
 public:
  using Handler = std::function<void(const Event&)>;
  EventHub();
  ~EventHub();
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  [[nodiscard]] EventSubscription subscribe(Handler handler);
  void publish(const Event& ev);
  [[nodiscard]] std::size_t subscribers() const noexcept;
  [[nodiscard]] std::uint64_t published() const noexcept { return published_; }

 private:
  std::shared_ptr<EventSubscription::Slots> slots_;
  std::uint64_t published_ = 0;
};

}  // namespace bcms::daemon
