#include "src/daemon/service.hpp"

#include <spdlog/spdlog.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <deque>

#include "gen/mgmt_types.hpp"
#include "protocol/mgmt/status.hpp"
#include "protocol/sys_error.hpp"
#include "src/daemon/registry.hpp"
#include "src/gap/bonds.hpp"
#include "src/mgmt/call.hpp"

namespace bcms::daemon {

using asio::awaitable;
using asio::use_awaitable;

// ---------------------------------------------------------------- per-device queue

// One lock per device (by registry key).  A call that finds the device
// busy parks on a timer that never expires by itself; the holder's
// release cancels the first parked timer, handing the lock over in
// arrival order (the slot stays busy across the hand-over).
// A Lock may outlive the service (a coroutine frame destroyed with the
// io_context after the service): it holds the queue weakly.
class Service::DeviceQueue : public std::enable_shared_from_this<DeviceQueue> {
 public:
  class Lock {
   public:
    Lock(std::weak_ptr<DeviceQueue> q, const Peer& key) : q_(std::move(q)), key_(key) {}
    Lock(Lock&& o) noexcept : q_(std::move(o.q_)), key_(o.key_) { o.q_.reset(); }
    Lock& operator=(Lock&&) = delete;
    ~Lock() {
      if (auto q = q_.lock()) q->release(key_);
    }

   private:
    std::weak_ptr<DeviceQueue> q_;
    Peer key_;
  };

  explicit DeviceQueue(asio::any_io_executor ex) : ex_(std::move(ex)) {}

  awaitable<Lock> acquire(const Peer& key, Stats& stats) {
    auto& slot = slots_[key];
    if (!slot.busy) {
      slot.busy = true;
      co_return Lock(weak_from_this(), key);
    }
    ++stats.calls_queued;
    auto timer = std::make_shared<asio::steady_timer>(ex_, asio::steady_timer::time_point::max());
    slot.waiters.push_back(timer);
    auto [ec] = co_await timer->async_wait(asio::experimental::as_tuple(use_awaitable));
    (void)ec;  // operation_aborted: our turn
    co_return Lock(weak_from_this(), key);
  }

 private:
  struct Slot {
    bool busy = false;
    std::deque<std::shared_ptr<asio::steady_timer>> waiters;
  };
  void release(const Peer& key) {
    auto it = slots_.find(key);
    if (it == slots_.end()) return;
    if (it->second.waiters.empty()) {
      slots_.erase(it);
      return;
    }
    auto next = std::move(it->second.waiters.front());
    it->second.waiters.pop_front();
    next->cancel();
  }

  asio::any_io_executor ex_;
  std::map<Peer, Slot> slots_;
};

// ---------------------------------------------------------------- service

Service::Service(mgmt::MgmtChannel& ch, Registry& registry, gap::BondManager& bonds, Options options)
    : ch_(ch), registry_(registry), bonds_(bonds), opts_(options),
      queue_(std::make_shared<DeviceQueue>(ch.get_executor())) {
  controller_.index = opts_.index;
  bonds_.on_bonded([this](const storage::Peer& p, bool first) {
    if (first) registry_.set_paired(p, true);
  });
  bonds_.on_unpaired([this](const storage::Peer& p) { registry_.set_paired(p, false); });
}

Service::~Service() {
  bonds_.on_bonded({});
  bonds_.on_unpaired({});
}

expected<Peer, Error> Service::resolve(const std::string& address) const {
  auto a = Address::parse(address);
  if (!a) return unexpected(Error(errc::invalid_address));
  auto key = registry_.find(*a);
  if (!key) return unexpected(Error(errc::device_not_found));
  return *key;
}

awaitable<expected<std::vector<DeviceInfo>, Error>> Service::list(bool only_approved) {
  ++stats_.calls;
  co_return registry_.list(only_approved);
}

awaitable<expected<void, Error>> Service::approve(std::string address) {
  ++stats_.calls;
  auto key = resolve(address);
  if (!key) co_return unexpected(key.error());
  auto lock = co_await queue_->acquire(*key, stats_);
  auto r = registry_.approve(*key);
  if (!r) co_return r;
  co_return co_await registry_.commit();
}

awaitable<expected<void, Error>> Service::remove(std::string address) {
  ++stats_.calls;
  auto key = resolve(address);
  if (!key) co_return unexpected(key.error());
  auto lock = co_await queue_->acquire(*key, stats_);
  auto r = registry_.remove(*key);
  if (!r) co_return r;
  co_return co_await registry_.commit();
}

awaitable<Mode> Service::mode() {
  ++stats_.calls;
  co_return registry_.mode();
}

awaitable<expected<void, Error>> Service::set_mode(Mode mode) {
  ++stats_.calls;
  if (mode != Mode::any && mode != Mode::approved) co_return unexpected(Error(errc::invalid_mode));
  registry_.set_mode(mode);
  co_return co_await registry_.commit();
}

awaitable<expected<void, Error>> Service::pair(std::string address) {
  ++stats_.calls;
  auto key = resolve(address);
  if (!key) co_return unexpected(key.error());
  auto lock = co_await queue_->acquire(*key, stats_);
  co_return co_await do_pair(*key);
}

awaitable<expected<void, Error>> Service::do_pair(const Peer& key) {
  auto info = registry_.info(key);
  if (!info) co_return unexpected(Error(errc::device_not_found));  // removed while queued
  if (info->paired && bonds_.bonded(key)) co_return unexpected(Error(errc::already_paired));
  const Peer target = registry_.reach(key).value_or(key);
  ++stats_.pair_attempts;
  mgmt::PairDevice cmd{target.addr, target.type, static_cast<std::uint8_t>(opts_.io_capability)};
  bytes params;
  if (auto ec = mgmt::encode(cmd, params)) co_return unexpected(Error(ec));
  spdlog::info("hci{}: pairing with {} (as {})", opts_.index, key.to_string(), target.to_string());
  auto [ec, reply] = co_await ch_.async_send(static_cast<std::uint16_t>(mgmt::PairDevice::opcode), opts_.index,
                                             std::move(params), asio::experimental::as_tuple(use_awaitable),
                                             opts_.pair_timeout);
  if (ec) {
    Error err;
    if (ec == timeout_error()) {
      ++stats_.pair_timeouts;
      // Best effort: the kernel may still be connecting.
      mgmt::CancelPairDevice cancel{target.addr, target.type};
      auto c = co_await mgmt::call(ch_, cancel, opts_.index);
      (void)c;
      err = Error(make_error_code(errc::pair_timeout),
                  fmt::format("Pairing timed out after {:g} s: device out of range or not connectable",
                              static_cast<double>(opts_.pair_timeout.count()) / 1000.0));
    } else {
      ++stats_.pair_failures;
      std::string why = ec.message();
      if (ec == mgmt::Status::ConnectFailed) why = "device not reachable (" + why + ")";
      err = Error(ec, "Pairing failed: " + why);
    }
    spdlog::warn("hci{}: pairing with {} failed: {}", opts_.index, key.to_string(), err.text);
    registry_.events().publish(Event{Event::Kind::pair_failed, key.addr.to_string(), err.text, Clock::now()});
    co_return unexpected(err);
  }
  ++stats_.pair_successes;
  // Keys came before the reply (BondManager); an IRK among them may have
  // merged an RPA entry into the device's identity: mark that one.
  const Peer paired = registry_.find(key.addr).value_or(key);
  registry_.set_paired(paired, true);  // also approves
  co_return co_await registry_.commit();
}

awaitable<expected<void, Error>> Service::unpair(std::string address) {
  ++stats_.calls;
  auto key = resolve(address);
  if (!key) co_return unexpected(key.error());
  auto lock = co_await queue_->acquire(*key, stats_);
  co_return co_await do_unpair(*key);
}

awaitable<expected<void, Error>> Service::do_unpair(const Peer& key) {
  auto info = registry_.info(key);
  if (!info) co_return unexpected(Error(errc::device_not_found));
  if (!info->paired && !bonds_.bonded(key)) co_return unexpected(Error(errc::not_paired));
  mgmt::UnpairDevice cmd{key.addr, key.type, 1};  // Disconnect: end the link too
  auto r = co_await mgmt::call(ch_, cmd, opts_.index);
  // Not Paired: the kernel had no keys (e.g. never loaded); ours still go.
  if (!r && r.error() != mgmt::Status::NotPaired) co_return unexpected(Error(r.error(), "Unpair failed: " + r.error().message()));
  ++stats_.unpairs;
  bonds_.forget(key);  // the kernel's Device Unpaired skips the socket that asked
  registry_.set_paired(key, false);
  registry_.revoke(key);
  co_return co_await registry_.commit();
}

awaitable<expected<bool, Error>> Service::is_paired(std::string address) {
  ++stats_.calls;
  auto a = Address::parse(address);
  if (!a) co_return unexpected(Error(errc::invalid_address));
  auto key = registry_.find(*a);
  if (!key) co_return false;
  auto info = registry_.info(*key);
  co_return (info && info->paired) || bonds_.bonded(*key);
}

awaitable<expected<std::vector<DeviceReading>, Error>> Service::readings(std::string address, std::size_t limit) {
  ++stats_.calls;
  auto key = resolve(address);
  if (!key) co_return unexpected(key.error());
  co_return registry_.readings(*key, limit ? limit : opts_.readings_default);
}

awaitable<ControllerStatus> Service::status() {
  ++stats_.calls;
  ControllerStatus s = controller_;
  s.mode = registry_.mode();
  s.devices_tracked = registry_.size();
  for (const auto& d : registry_.list(true)) {
    ++s.devices_approved;
    s.devices_paired += d.paired;
  }
  co_return s;
}

awaitable<Diagnostics> Service::diagnostics() {
  ++stats_.calls;
  const auto& r = registry_.stats();
  const auto m = ch_.stats();
  Diagnostics d;
  d.counters = {
      {"reports", r.reports},
      {"devices_new", r.devices_new},
      {"devices_tracked", registry_.size()},  // current
      {"rpas_merged", r.rpas_merged},
      {"devices_evicted", r.evicted},
      {"registry_commits", r.commits},
      {"registry_rows_written", r.rows_written},
      {"registry_storage_errors", r.storage_errors},
      {"readings", r.readings},
      {"readings_refused", r.readings_refused},
      {"rpc_calls", stats_.calls},
      {"calls_queued", stats_.calls_queued},
      {"pair_attempts", stats_.pair_attempts},
      {"pair_successes", stats_.pair_successes},
      {"pair_failures", stats_.pair_failures},
      {"pair_timeouts", stats_.pair_timeouts},
      {"unpairs", stats_.unpairs},
      {"events_published", registry_.events().published()},
      {"mgmt_commands_sent", m.commands_sent},
      {"mgmt_events", m.events},
      {"mgmt_events_dropped", m.events_dropped},
  };
  for (const auto& source : counter_sources_) source(d.counters);
  co_return d;
}

void Service::add_counters(CounterSource source) { counter_sources_.push_back(std::move(source)); }

EventSubscription Service::subscribe(EventHub::Handler handler) { return registry_.events().subscribe(std::move(handler)); }

void Service::set_controller(ControllerStatus status) {
  auto text = [](const ControllerStatus& c) { return c.present ? (c.powered ? "powered" : "not powered") : "removed"; };
  const bool changed = std::string_view(text(controller_)) != text(status);
  controller_ = std::move(status);
  // An event when the state changes, not for every refresh.
  if (changed) registry_.events().publish(Event{Event::Kind::controller, {}, text(controller_), Clock::now()});
}

}  // namespace bcms::daemon
