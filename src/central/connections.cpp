#include "src/central/connections.hpp"

#include <asio/error.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <algorithm>
#include <deque>
#include <optional>
#include <spdlog/spdlog.h>
#include <unordered_set>

#include "gen/mgmt_types.hpp"
#include "protocol/mgmt/status.hpp"
#include "protocol/sys_error.hpp"
#include "src/att/link_security.hpp"
#include "src/central/central_error.hpp"
#include "src/mgmt/call.hpp"

namespace bcms::central {

using clock = ConnectionManager::clock;
struct Waker;

struct SlotState {
  std::weak_ptr<ManagerState> owner;
  bool held = true;
  std::function<void(std::error_code)> on_closed;  // the Link's
};

struct ManagerState : std::enable_shared_from_this<ManagerState> {
  mgmt::MgmtChannel* ch = nullptr;  // these three are nullptr once the manager is gone
  Connector* connector = nullptr;
  ScanPolicy* scan = nullptr;
  ConnectionManager::Options opts;
  ConnectionManager::Stats stats;
  bool closed = false;
  bool cycling = false;               // a power cycle is in progress
  std::deque<Waker*> queue;           // requests waiting for a slot, FIFO
  std::deque<Waker*> cycle_waiters;   // requests waiting for the power cycle
  std::unordered_set<Waker*> wakers;  // every waiting request (woken on shutdown)
  att::ConnId next_id = 1;
  asio::any_io_executor ex;

  void grant_next();
  void return_slot(SlotState& s) noexcept;
  void end_attempt() noexcept;
};
using StatePtr = std::shared_ptr<ManagerState>;

// A request's wait point: a timer that runs to the wait's deadline unless
// wake() cancels it.  Lives in the request's frame (shared_ptr: the
// connector's callback holds a weak_ptr); registered with the manager so
// that shutdown can wake it.
struct Waker {
  explicit Waker(ManagerState& s) : st(s), timer(s.ex, clock::time_point::max()) { st.wakers.insert(this); }
  ~Waker() {
    if (attempt_token) st.end_attempt();  // granted, never taken: slot returned below
    st.wakers.erase(this);
    if (list) list->erase(std::remove(list->begin(), list->end(), this), list->end());
  }
  Waker(const Waker&) = delete;
  Waker& operator=(const Waker&) = delete;
  void wake() {
    woken = true;
    timer.cancel();
  }
  ManagerState& st;
  asio::steady_timer timer;
  bool woken = false;
  std::deque<Waker*>* list = nullptr;            // the queue it waits in
  Slot slot;                                    // granted with the slot ...
  bool attempt_token = false;                   // ... and an attempt
  std::optional<expected<l2cap::Socket>> result;  // the connector's
};

namespace {

enum class Wait { woken, expired, cancelled };

asio::awaitable<Wait> wait(Waker& w, clock::time_point until) {
  if (w.woken) co_return Wait::woken;
  w.timer.expires_at(until);
  auto [ec] = co_await w.timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  if (w.woken) co_return Wait::woken;
  co_return ec ? Wait::cancelled : Wait::expired;
}

std::error_code wait_error(Wait r, const ManagerState& st) {
  if (st.closed) return errc::shut_down;
  if (r == Wait::expired) return timeout_error();
  return asio::error::operation_aborted;
}

// The kernel answered (any status), as opposed to no answer in time or a
// closed channel.
bool answered(std::error_code ec) { return !ec || ec.category() == mgmt::status_category(); }

// Linux's refusals of a connect that collides with kernel state
// (l2cap_chan_connect, hci_connect_le): errno in the system category or
// in asio's own.
bool busy(std::error_code ec) {
  if (ec.category() != std::system_category() && ec.category() != asio::error::get_system_category()) return false;
  const int v = ec.value();
  return v == EBUSY || v == EALREADY || v == EINPROGRESS || v == EAGAIN;
}

// The slot and attempt a granted request holds; returned by the destructor.
struct Grant {
  Slot slot;
  std::shared_ptr<ManagerState> st;  // non-null while the attempt is counted
  Grant() = default;
  Grant(Grant&&) noexcept = default;
  Grant& operator=(Grant&&) noexcept = default;
  ~Grant() { end_attempt(); }
  void end_attempt() {
    if (auto s = std::move(st)) s->end_attempt();
  }
};

struct Attempt {
  expected<l2cap::Socket> socket = unexpected(std::error_code(asio::error::operation_aborted));
  bool silent = false;  // an mgmt command got no answer
};

asio::awaitable<expected<Grant>> acquire(const StatePtr& st, clock::time_point deadline) {
  auto w = std::make_shared<Waker>(*st);
  st->queue.push_back(w.get());
  w->list = &st->queue;
  st->grant_next();
  const Wait r = co_await wait(*w, deadline);
  if (r != Wait::woken || st->closed) co_return unexpected(wait_error(r, *st));
  Grant g;
  g.slot = std::move(w->slot);
  if (w->attempt_token) g.st = st;
  w->attempt_token = false;
  co_return g;
}

asio::awaitable<Attempt> attempt(const StatePtr& st, const Peer& peer, const ConnectionManager::ConnectOptions& o,
                                 clock::time_point deadline) {
  Attempt out;
  const std::uint16_t index = st->opts.index;
  if (o.fast_params) {
    const auto cmd = load_command(peer, st->opts.fast);
    auto r = co_await mgmt::call(*st->ch, cmd, index);
    if (st->closed) co_return Attempt{unexpected(std::error_code(errc::shut_down))};
    if (!r && !answered(r.error())) co_return Attempt{unexpected(r.error()), true};
    if (r) {
      ++st->stats.params_loaded;
    } else {
      ++st->stats.params_refused;
      spdlog::warn("hci{}: Load Connection Parameters for {}: {} (connecting with the kernel's defaults)", index,
                   peer.to_string(), r.error().message());
    }
  }
  // Discovery stays stopped until this frame lets go of the pause: the
  // attempt's end, whichever it is.
  auto pause = co_await st->scan->pause();
  if (st->closed) co_return Attempt{unexpected(std::error_code(errc::shut_down))};
  if (!pause) co_return Attempt{unexpected(pause.error()), true};

  auto w = std::make_shared<Waker>(*st);
  ++st->stats.attempts;
  const auto left = std::max(clock::duration::zero(), deadline - clock::now());
  std::weak_ptr<Waker> weak = w;
  auto handle = st->connector->connect(peer, std::min(st->opts.connect_timeout, left),
                                       [weak](expected<l2cap::Socket> s) {
                                         if (auto wk = weak.lock()) {
                                           wk->result = std::move(s);
                                           wk->wake();
                                         }
                                       });
  const Wait r = co_await wait(*w, deadline);
  handle.reset();  // cancels a pending attempt (closes its socket)
  if (r != Wait::woken || st->closed || !w->result) co_return Attempt{unexpected(wait_error(r, *st))};
  out.socket = std::move(*w->result);
  co_return out;
}

// Coroutines below take the state by reference (GCC 12: no temporaries
// with non-trivial destructors in a co_await full-expression, and a
// shared_ptr copy made for a by-value parameter is one); every caller
// holds its own StatePtr in its frame for the duration.

// Set Powered 0 then 1 (mgmt-api.txt 0x0005).  One at a time: a request
// that finds one running waits for it.  True when the controller is back.
asio::awaitable<bool> power_cycle(const StatePtr& st, std::error_code why, clock::time_point deadline) {
  const std::uint16_t index = st->opts.index;
  if (st->cycling) {
    auto w = std::make_shared<Waker>(*st);
    st->cycle_waiters.push_back(w.get());
    w->list = &st->cycle_waiters;
    const Wait r = co_await wait(*w, deadline);
    co_return r == Wait::woken && !st->closed;
  }
  st->cycling = true;
  spdlog::warn("hci{}: the controller did not answer ({}): power-cycling it through mgmt", index, why.message());
  const mgmt::SetPowered off{0};
  auto r_off = co_await mgmt::call(*st->ch, off, index);
  std::optional<expected<mgmt::SetPoweredReply>> r_on;
  if (!st->closed) {
    const mgmt::SetPowered on{1};
    r_on = co_await mgmt::call(*st->ch, on, index);
  }
  st->cycling = false;
  auto waiters = std::move(st->cycle_waiters);
  st->cycle_waiters.clear();
  for (Waker* w : waiters) {
    w->list = nullptr;
    w->wake();
  }
  if (st->closed) co_return false;
  if (!r_on || !*r_on) {
    ++st->stats.power_cycle_failures;
    spdlog::error("hci{}: power cycle failed: off: {}, on: {}", index, r_off ? "ok" : r_off.error().message(),
                  r_on && !*r_on ? r_on->error().message() : "not sent");
    co_return false;
  }
  ++st->stats.power_cycles;
  spdlog::info("hci{}: power cycle done, the controller is back", index);
  co_return true;
}

asio::awaitable<expected<Link>> run(const StatePtr& st, Peer peer, ConnectionManager::ConnectOptions o,
                                    clock::time_point deadline) {
  auto grant = co_await acquire(st, deadline);
  if (!grant) co_return unexpected(grant.error());
  int retries = 0;
  clock::duration backoff = st->opts.busy_backoff;
  for (;;) {
    if (st->closed) co_return unexpected(std::error_code(errc::shut_down));
    Attempt a = co_await attempt(st, peer, o, deadline);
    if (a.socket) {
      grant->end_attempt();
      att::ConnState cs;
      cs.id = st->next_id++;
      cs.peer = peer;
      std::shared_ptr<att::SocketLinkSecurity> security;
      if (o.link_security) {
        security = std::make_shared<att::SocketLinkSecurity>(a.socket->native_handle());
        cs.security = security.get();
      }
      Link link;
      link.peer = peer;
      link.bearer = att::AttBearer::create(std::move(*a.socket), std::move(cs), o.bearer);
      link.slot = std::move(grant->slot);
      link.watch_bearer(std::move(security));
      co_return link;
    }
    const std::error_code ec = a.socket.error();
    if (st->closed) co_return unexpected(std::error_code(errc::shut_down));
    if (a.silent) {
      if (retries++ >= st->opts.busy_retries) co_return unexpected(std::error_code(errc::controller_silent));
      if (!co_await power_cycle(st, ec, deadline)) {
        if (st->closed) co_return unexpected(std::error_code(errc::shut_down));
        co_return unexpected(std::error_code(errc::controller_silent));
      }
      continue;
    }
    if (!busy(ec)) co_return unexpected(ec);
    if (retries++ >= st->opts.busy_retries) {
      spdlog::warn("hci{}: connect to {} still busy after {} retries", st->opts.index, peer.to_string(),
                   st->opts.busy_retries);
      co_return unexpected(std::error_code(errc::busy_exhausted));
    }
    ++st->stats.busy_retries;
    spdlog::info("hci{}: connect to {}: {}; cancelling the kernel's attempt, retry {} in {} ms", st->opts.index,
                 peer.to_string(), ec.message(), retries,
                 std::chrono::duration_cast<std::chrono::milliseconds>(backoff).count());
    // Abort what the kernel still holds for this peer (a connection being
    // created): mgmt Disconnect; Not Connected when there is none.
    const mgmt::Disconnect disc{peer.addr, peer.type};
    auto d = co_await mgmt::call(*st->ch, disc, st->opts.index);
    if (st->closed) co_return unexpected(std::error_code(errc::shut_down));
    if (!d && !answered(d.error())) {
      if (!co_await power_cycle(st, d.error(), deadline)) co_return unexpected(std::error_code(errc::controller_silent));
      continue;
    }
    auto w = std::make_shared<Waker>(*st);
    const Wait r = co_await wait(*w, std::min(clock::now() + backoff, deadline));
    if (r != Wait::expired || clock::now() >= deadline) co_return unexpected(wait_error(r, *st));
    backoff *= 2;
  }
}

}  // namespace

// ------------------------------------------------------------ state
void ManagerState::grant_next() {
  while (!closed && !queue.empty() && stats.in_use < opts.max_links && stats.connecting < opts.max_attempts) {
    Waker* w = queue.front();
    queue.pop_front();
    w->list = nullptr;
    auto s = std::make_shared<SlotState>();
    s->owner = weak_from_this();
    w->slot = Slot(std::move(s));
    w->attempt_token = true;
    ++stats.in_use;
    ++stats.connecting;
    ++stats.slots_taken;
    stats.peak_in_use = std::max(stats.peak_in_use, stats.in_use);
    stats.peak_connecting = std::max(stats.peak_connecting, stats.connecting);
    w->wake();
  }
}

void ManagerState::return_slot(SlotState& s) noexcept {
  if (!s.held) return;
  s.held = false;
  --stats.in_use;
  ++stats.slots_returned;
  grant_next();
}

void ManagerState::end_attempt() noexcept {
  --stats.connecting;
  grant_next();
}

// ------------------------------------------------------------ Slot, Link
Slot& Slot::operator=(Slot&& o) noexcept {
  if (this != &o) {
    release();
    s_ = std::move(o.s_);
  }
  return *this;
}

void Slot::release() noexcept {
  if (!s_) return;
  auto s = std::move(s_);
  s_.reset();
  if (auto owner = s->owner.lock()) owner->return_slot(*s);
  s->held = false;
}

bool Slot::held() const noexcept { return s_ && s_->held; }

Link::Link(Link&& o) noexcept = default;

Link& Link::operator=(Link&& o) noexcept {
  if (this != &o) {
    if (bearer) bearer->close();
    peer = o.peer;
    bearer = std::move(o.bearer);
    slot = std::move(o.slot);
  }
  return *this;
}

Link::~Link() {
  if (bearer) bearer->close();  // returns the slot through on_closed
}

void Link::watch_bearer(std::shared_ptr<void> keep) {
  if (!bearer || !slot.s_) return;
  // The bearer calls this once, moved out of itself: `keep` dies after it,
  // so the bearer's pointer to it is cleared first.
  bearer->on_closed([s = slot.s_, keep = std::move(keep), b = std::weak_ptr<att::AttBearer>(bearer)](std::error_code why) {
    if (auto self = b.lock()) self->state().security = nullptr;
    auto cb = std::move(s->on_closed);
    s->on_closed = nullptr;
    if (auto owner = s->owner.lock()) owner->return_slot(*s);
    s->held = false;
    if (cb) cb(why);
  });
}

void Link::on_closed(std::function<void(std::error_code)> cb) {
  if (slot.s_) slot.s_->on_closed = std::move(cb);
}

// ------------------------------------------------------------ manager
ConnectionManager::ConnectionManager(mgmt::MgmtChannel& ch, Connector& connector, ScanPolicy& scan, Options opts)
    : st_(std::make_shared<ManagerState>()) {
  st_->ch = &ch;
  st_->connector = &connector;
  st_->scan = &scan;
  st_->opts = opts;
  st_->ex = ch.get_executor();
  if (st_->opts.max_links == 0) st_->opts.max_links = 1;
  if (st_->opts.max_attempts == 0) st_->opts.max_attempts = 1;
}

ConnectionManager::~ConnectionManager() {
  st_->closed = true;
  st_->ch = nullptr;
  st_->connector = nullptr;
  st_->scan = nullptr;
  // Wake every waiting request: each returns errc::shut_down and its
  // slot.  (Copy: waking does not change the set, but be safe.)
  const std::vector<Waker*> all(st_->wakers.begin(), st_->wakers.end());
  for (Waker* w : all) w->wake();
}

asio::awaitable<expected<Link>> ConnectionManager::async_connect(Peer peer, ConnectOptions opts) {
  auto st = st_;
  ++st->stats.requests;
  const auto deadline = clock::now() + opts.deadline;
  auto r = co_await run(st, peer, opts, deadline);
  if (r) {
    ++st->stats.connected;
  } else {
    ++st->stats.failed;
    if (r.error() == timeout_error()) ++st->stats.timeouts;
    if (r.error() == asio::error::operation_aborted) ++st->stats.cancelled;
  }
  co_return r;
}

asio::awaitable<std::error_code> ConnectionManager::relax(Peer peer) {
  auto st = st_;
  if (st->closed) co_return std::error_code(errc::shut_down);
  const auto cmd = load_command(peer, st->opts.relaxed);
  auto r = co_await mgmt::call(*st->ch, cmd, st->opts.index);
  if (st->closed) co_return std::error_code(errc::shut_down);
  if (r) {
    ++st->stats.params_loaded;
    co_return std::error_code{};
  }
  if (answered(r.error())) {
    ++st->stats.params_refused;
  } else {
    co_await power_cycle(st, r.error(), clock::now() + std::chrono::seconds(30));
  }
  co_return r.error();
}

ConnectionManager::Stats ConnectionManager::stats() const noexcept {
  Stats s = st_->stats;
  s.queued = st_->queue.size();
  return s;
}

}  // namespace bcms::central
