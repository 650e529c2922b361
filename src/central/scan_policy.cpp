#include "src/central/scan_policy.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/error.hpp>
#include <spdlog/spdlog.h>

#include "gen/mgmt_types.hpp"
#include "protocol/mgmt/status.hpp"
#include "src/mgmt/call.hpp"

namespace bcms::central {

struct ScanPolicy::State {
  mgmt::MgmtChannel* ch = nullptr;  // nullptr once the policy is gone
  asio::any_io_executor ex;
  std::uint16_t index = 0;
  std::uint8_t types = 0x06;    // what we start discovery with
  std::uint8_t running = 0x06;  // what the kernel says it runs with
  bool wanted = false;
  bool discovering = false;
  bool starting = false;
  bool stopping = false;
  int pauses = 0;
  Stats stats;
  mgmt::Subscription sub;
};

namespace {

using StatePtr = std::shared_ptr<ScanPolicy::State>;

// The kernel answered (any status) as opposed to: no answer in time, or
// the channel went away.
bool answered(std::error_code ec) { return !ec || ec.category() == mgmt::status_category(); }

// By reference (GCC 12: no shared_ptr temporary in a co_await
// full-expression); callers hold the StatePtr in their frames.
asio::awaitable<std::error_code> send_stop(const StatePtr& st) {
  if (!st->ch) co_return std::error_code(asio::error::operation_aborted);
  st->stopping = true;
  ++st->stats.stops;
  const mgmt::StopDiscovery cmd{st->running};
  auto r = co_await mgmt::call(*st->ch, cmd, st->index);
  st->stopping = false;
  const std::error_code ec = r ? std::error_code{} : r.error();
  if (!answered(ec)) co_return ec;
  // Rejected: not discovering (mgmt-api.txt, Stop Discovery).
  if (ec && ec != mgmt::Status::Rejected) {
    ++st->stats.failures;
    spdlog::warn("hci{}: Stop Discovery: {}", st->index, ec.message());
  }
  st->discovering = false;
  co_return std::error_code{};
}

asio::awaitable<std::error_code> send_start(const StatePtr& st) {
  if (!st->ch) co_return std::error_code(asio::error::operation_aborted);
  st->starting = true;
  ++st->stats.starts;
  const mgmt::StartDiscovery cmd{st->types};
  auto r = co_await mgmt::call(*st->ch, cmd, st->index);
  st->starting = false;
  if (!st->ch) co_return std::error_code{};
  const std::error_code ec = r ? std::error_code{} : r.error();
  if (!ec) {
    st->discovering = true;
    st->running = st->types;
  } else if (ec != mgmt::Status::Busy) {  // Busy: running or in transition; the event tells
    if (answered(ec)) ++st->stats.failures;
    spdlog::warn("hci{}: Start Discovery: {}", st->index, ec.message());
    co_return ec;
  }
  // Paused or unwanted while the start was on its way: undo it.
  if (st->discovering && (st->pauses > 0 || !st->wanted)) co_await send_stop(st);
  co_return std::error_code{};
}

// Starts discovery again when it is wanted, not paused and not running.
void maybe_restart(const StatePtr& st) {
  if (!st->ch || !st->wanted || st->pauses > 0 || st->discovering || st->starting) return;
  ++st->stats.restarts;
  asio::co_spawn(
      st->ex, [st]() -> asio::awaitable<void> { co_await send_start(st); }, asio::detached);
}

}  // namespace

ScanPolicy::ScanPolicy(mgmt::MgmtChannel& ch, std::uint16_t index, std::uint8_t address_types)
    : st_(std::make_shared<State>()) {
  st_->ch = &ch;
  st_->ex = ch.get_executor();
  st_->index = index;
  st_->types = st_->running = address_types;
  State* raw = st_.get();  // the subscription is the state's own: it never outlives it
  std::weak_ptr<State> weak = st_;
  st_->sub = ch.subscribe<mgmt::DiscoveringEvent>(index, [raw, weak](std::uint16_t, const mgmt::DiscoveringEvent& ev) {
    if (ev.discovering) {
      raw->discovering = true;
      raw->running = ev.address_type;
      return;
    }
    raw->discovering = false;
    if (!raw->stopping) ++raw->stats.kernel_stops;
    if (auto st = weak.lock()) maybe_restart(st);
  });
}

ScanPolicy::~ScanPolicy() {
  st_->sub.reset();
  st_->ch = nullptr;
}

asio::awaitable<std::error_code> ScanPolicy::start() {
  auto st = st_;
  st->wanted = true;
  if (st->pauses > 0 || st->discovering || st->starting) co_return std::error_code{};
  co_return co_await send_start(st);
}

asio::awaitable<std::error_code> ScanPolicy::stop() {
  auto st = st_;
  st->wanted = false;
  if (!st->discovering) co_return std::error_code{};
  co_return co_await send_stop(st);
}

asio::awaitable<expected<ScanPolicy::Pause>> ScanPolicy::pause() {
  auto st = st_;
  ++st->pauses;  // from here on no restart goes out
  if (st->discovering) {
    const std::error_code ec = co_await send_stop(st);
    if (ec) {
      --st->pauses;
      co_return unexpected(ec);
    }
  }
  co_return Pause(st);
}

ScanPolicy::Pause& ScanPolicy::Pause::operator=(Pause&& o) noexcept {
  if (this != &o) {
    reset();
    st_ = std::move(o.st_);
  }
  return *this;
}

void ScanPolicy::Pause::reset() {
  if (!st_) return;
  auto st = std::move(st_);
  st_.reset();
  if (--st->pauses == 0) maybe_restart(st);
}

bool ScanPolicy::wanted() const noexcept { return st_->wanted; }
bool ScanPolicy::discovering() const noexcept { return st_->discovering; }
bool ScanPolicy::paused() const noexcept { return st_->pauses > 0; }
ScanPolicy::Stats ScanPolicy::stats() const noexcept { return st_->stats; }

}  // namespace bcms::central
