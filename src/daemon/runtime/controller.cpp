#include "src/daemon/runtime/controller.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/error.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <cerrno>
#include <utility>

#include "protocol/sys_error.hpp"
#include "src/central/scan_policy.hpp"
#include "src/gap/bonds.hpp"
#include "src/gap/pairing.hpp"
#include "src/mgmt/call.hpp"

namespace bcms::daemon {

using namespace mgmt;

namespace {

bool may_take(const ControllerSupervisor::Options& o, std::uint16_t i) {
  return o.allowed.empty() || std::find(o.allowed.begin(), o.allowed.end(), i) != o.allowed.end();
}

asio::awaitable<void> wait_on(asio::steady_timer& t) {
  auto [ec] = co_await t.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  (void)ec;  // cancelled: unpark() or stop()
}

asio::awaitable<void> sleep_for(asio::steady_timer& t, std::chrono::steady_clock::duration d) {
  t.expires_after(d);
  co_await wait_on(t);
}

// "30 s", or "1500 ms" for a window that is not whole seconds.
std::string window_text(std::chrono::milliseconds w) {
  if (w.count() % 1000 == 0) return std::to_string(w.count() / 1000) + " s";
  return std::to_string(w.count()) + " ms";
}

}  // namespace

asio::awaitable<expected<std::uint16_t>> ControllerSupervisor::choose(MgmtChannel& ch, const Options& opts,
                                                                      std::string* why) {
  auto list = co_await call(ch, ReadControllerIndexList{}, kNonController);
  if (!list) {
    if (why) *why = "Read Controller Index List: " + list.error().message();
    co_return unexpected(list.error());
  }
  const auto& ids = list->controllers;
  if (opts.index) {
    if (std::find(ids.begin(), ids.end(), *opts.index) == ids.end()) {
      if (why) *why = "controller hci" + std::to_string(*opts.index) + " is not present";
      co_return unexpected(std::make_error_code(std::errc::no_such_device));
    }
    if (!may_take(opts, *opts.index)) {
      if (why) *why = "controller hci" + std::to_string(*opts.index) + " is not one bcms may take";
      co_return unexpected(std::make_error_code(std::errc::permission_denied));
    }
    co_return *opts.index;
  }
  for (std::uint16_t i : ids) {
    if (!may_take(opts, i)) continue;
    auto info = co_await call(ch, ReadControllerInformation{}, i);
    if (info && (info->supported_settings & setting::le)) co_return i;
  }
  if (why) *why = ids.empty() ? "no Bluetooth controller" : "no LE controller that bcms may take";
  co_return unexpected(std::make_error_code(std::errc::no_such_device));
}

ControllerSupervisor::ControllerSupervisor(MgmtChannel& ch, std::uint16_t index, gap::PairingResponder& pairing,
                                           gap::BondManager& bonds, central::ScanPolicy& scan, Options opts,
                                           EventFn on_event)
    : ch_(ch), index_(index), pairing_(pairing), bonds_(bonds), scan_(scan), opts_(std::move(opts)),
      on_event_(std::move(on_event)) {
  if (opts_.stall_window.count() == 0)
    opts_.stall_window = std::max<std::chrono::milliseconds>(std::chrono::seconds(30), 3 * opts_.scan_period);
}

ControllerSupervisor::~ControllerSupervisor() { stop(); }

void ControllerSupervisor::event(const std::string& what) {
  spdlog::info("hci{}: {}", index_, what);
  if (on_event_) on_event_(what);
}

expected<std::array<std::uint8_t, 16>> ControllerSupervisor::local_irk() const {
  std::array<std::uint8_t, 16> irk{};
  const int fd = ::open(opts_.irk_file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    const ssize_t n = ::read(fd, irk.data(), irk.size());
    ::close(fd);
    if (n == static_cast<ssize_t>(irk.size())) return irk;
    return unexpected(std::make_error_code(std::errc::illegal_byte_sequence));
  }
  if (errno != ENOENT) return unexpected(errno_code());
  // The kernel's CSPRNG (getrandom(2): blocks only until it is seeded at
  // boot; 16 octets come whole unless a signal interrupts).  Not OpenSSL's
  // RAND_bytes: its first call sets up the DRBG and the default provider,
  // 2 MB of the daemon's resident memory for its whole life (measured in the
  // VM; README "Footprint"), for one key made once.
  ssize_t got = -1;
  while ((got = ::getrandom(irk.data(), irk.size(), 0)) < 0 && errno == EINTR) {
  }
  if (got < 0) return unexpected(errno_code());
  if (got != static_cast<ssize_t>(irk.size())) return unexpected(std::make_error_code(std::errc::io_error));
  const int out = ::open(opts_.irk_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0) return unexpected(errno_code());
  const bool ok = ::write(out, irk.data(), irk.size()) == static_cast<ssize_t>(irk.size()) && ::fsync(out) == 0;
  ::close(out);
  if (!ok) return unexpected(errno_code());
  return irk;
}

asio::awaitable<std::error_code> ControllerSupervisor::configure(std::string* why) {
  auto fail = [&](std::error_code ec, const std::string& what) {
    if (why) *why = what + ": " + ec.message();
    return ec;
  };
  // Started (a reconfiguration): ends, touching nothing, once stopped.
  const std::weak_ptr<int> alive = alive_;
  const bool started = alive_ != nullptr;
  auto stopped = [&] { return started && alive.expired(); };
  const std::error_code gone(asio::error::operation_aborted);
  auto info = co_await call(ch_, ReadControllerInformation{}, index_);
  if (stopped()) co_return gone;
  if (!info) co_return fail(info.error(), "Read Controller Information");
  address_ = info->address;
  name_ = info->name;
  std::uint32_t settings = info->current_settings;
  if (opts_.privacy && (info->supported_settings & setting::privacy) && !(settings & setting::privacy)) {
    // Set Privacy is refused while powered (mgmt-api.txt).
    if (settings & setting::powered) {
      auto off = co_await call(ch_, SetPowered{0}, index_);
      if (stopped()) co_return gone;
      if (!off) co_return fail(off.error(), "Set Powered off (for Set Privacy)");
      settings = off->current_settings;
    }
    spdlog::debug("hci{}: Set Privacy", index_);
    if (auto irk = local_irk()) {
      const SetPrivacy cmd{1, *irk};  // named: see src/mgmt/call.hpp
      auto r = co_await call(ch_, cmd, index_);
      if (stopped()) co_return gone;
      if (!r) spdlog::warn("hci{}: Set Privacy: {} (going on without privacy)", index_, r.error().message());
    } else {
      spdlog::warn("hci{}: our IRK ({}): {} (going on without privacy)", index_, opts_.irk_file.string(),
                   irk.error().message());
    }
  }
  if (!(settings & setting::le)) {
    spdlog::debug("hci{}: Set Low Energy", index_);
    auto r = co_await call(ch_, SetLowEnergy{1}, index_);
    if (stopped()) co_return gone;
    if (!r) co_return fail(r.error(), "Set Low Energy");
  }
  spdlog::debug("hci{}: Set Bondable, Set IO Capability", index_);
  if (std::error_code ec = co_await pairing_.configure(true)) co_return fail(ec, "Set Bondable / Set IO Capability");
  if (stopped()) co_return gone;
  if (!(settings & setting::powered)) {
    spdlog::debug("hci{}: Set Powered", index_);
    auto r = co_await call(ch_, SetPowered{1}, index_);
    if (stopped()) co_return gone;
    if (!r) co_return fail(r.error(), "Set Powered");
  }
  powered_ = true;
  present_ = true;
  spdlog::debug("hci{}: loading the bonds into the kernel", index_);
  if (std::error_code ec = co_await bonds_.load_into_kernel()) co_return fail(ec, "loading the bonds into the kernel");
  if (stopped()) co_return gone;
  spdlog::debug("hci{}: Start Discovery", index_);
  if (std::error_code ec = co_await scan_.start()) co_return fail(ec, "Start Discovery");
  if (stopped()) co_return gone;
  ++stats_.configured;
  co_return std::error_code{};
}

void ControllerSupervisor::start() {
  if (running_) return;
  running_ = true;
  alive_ = std::make_shared<int>(0);
  std::weak_ptr<int> alive = alive_;
  subs_.push_back(ch_.subscribe<IndexRemovedEvent>(index_, [this, alive](std::uint16_t, const IndexRemovedEvent&) {
    if (alive.expired()) return;
    present_ = false;
    powered_ = false;
    ++stats_.removed;
    event("removed");
  }));
  subs_.push_back(ch_.subscribe<IndexAddedEvent>(index_, [this, alive](std::uint16_t, const IndexAddedEvent&) {
    if (alive.expired()) return;
    ++stats_.added;
    event("added again: configuring it and reloading its keys");
    asio::co_spawn(ch_.get_executor(), reconfigure(std::weak_ptr<int>(alive_)), asio::detached);
  }));
  // Discovery ended (by the kernel, a pause, a failure): a parked cycle
  // looks at it again one period later (started again if nobody did).
  subs_.push_back(ch_.subscribe<DiscoveringEvent>(index_, [this, alive](std::uint16_t, const DiscoveringEvent& ev) {
    if (!alive.expired() && ev.discovering == 0) unpark(cycle_parked_);
  }));
  asio::co_spawn(ch_.get_executor(), cycle_loop(std::weak_ptr<int>(alive_)), asio::detached);
  asio::co_spawn(ch_.get_executor(), watch_loop(std::weak_ptr<int>(alive_)), asio::detached);
}

void ControllerSupervisor::stop() {
  running_ = false;
  subs_.clear();
  alive_.reset();  // the loops see it on their next wake-up
  unpark();
}

asio::awaitable<void> ControllerSupervisor::park(asio::steady_timer& t, asio::steady_timer*& slot) {
  slot = &t;
  t.expires_at(asio::steady_timer::time_point::max());
  co_await wait_on(t);
  // unpark() cleared the slot; the supervisor may be gone (the caller
  // checks its `alive` before touching anything).
}

void ControllerSupervisor::unpark(asio::steady_timer*& slot) noexcept {
  if (slot) slot->cancel();
  slot = nullptr;
}

void ControllerSupervisor::unpark() noexcept {
  unpark(cycle_parked_);
  unpark(watch_parked_);
}

asio::awaitable<void> ControllerSupervisor::reconfigure(std::weak_ptr<int> alive) {
  std::string why;
  const std::error_code ec = co_await configure(&why);
  if (alive.expired()) co_return;  // stopped meanwhile
  if (ec) {
    ++stats_.recovery_failures;
    event("configuring it again failed: " + why);
  } else {
    event("configured again; keys reloaded");
  }
}

asio::awaitable<void> ControllerSupervisor::cycle_loop(std::weak_ptr<int> alive) {
  asio::steady_timer t(ch_.get_executor());
  bool parked = false;
  while (true) {
    if (parked) {
      co_await park(t, cycle_parked_);
      if (alive.expired()) co_return;
      parked = false;
    }
    co_await sleep_for(t, opts_.scan_period);
    if (alive.expired()) co_return;  // stopped (stop() drops alive_)
    if (!present_ || !scan_.wanted() || scan_.paused()) continue;
    const std::uint64_t reported = std::exchange(cycle_reports_, 0);
    // Discovery that should run but does not (a restart the controller
    // refused, e.g. after the kernel ended it): started again.
    if (!scan_.discovering()) {
      ++stats_.scan_resumed;
      (void)co_await scan_.start();
      if (alive.expired()) co_return;  // the supervisor went meanwhile
      continue;
    }
    // Nothing reported since the last cycle: the duplicate filter holds
    // nobody (a restart since then only emptied it further), so there is
    // nothing a fresh scan would report again.
    if (reported == 0) {
      ++stats_.scan_cycles_skipped;
      parked = true;  // until a report, or discovery stops
      continue;
    }
    // A fresh scan: stop and start (the policy keeps it stopped while a
    // connection is being made).
    (void)co_await scan_.stop();
    if (alive.expired()) co_return;
    (void)co_await scan_.start();
    if (alive.expired()) co_return;
    ++stats_.scan_cycles;
  }
}

asio::awaitable<std::error_code> ControllerSupervisor::power_cycle(const std::weak_ptr<int>& alive) {
  const std::error_code gone(asio::error::operation_aborted);
  auto off = co_await call(ch_, SetPowered{0}, index_);
  if (alive.expired()) co_return gone;  // the supervisor went meanwhile
  if (!off) co_return off.error();
  auto on = co_await call(ch_, SetPowered{1}, index_);
  if (alive.expired()) co_return gone;
  if (!on) co_return on.error();
  const std::error_code loaded = co_await bonds_.load_into_kernel();
  if (alive.expired()) co_return gone;
  if (loaded) co_return loaded;
  co_return co_await scan_.start();
}

asio::awaitable<void> ControllerSupervisor::watch_loop(std::weak_ptr<int> alive) {
  asio::steady_timer t(ch_.get_executor());
  std::uint64_t previous = 0;
  int level = 0;  // recovery steps taken for the current stall
  bool parked = false;
  while (true) {
    if (parked) {
      // Nothing to watch: a stall needs a window with reports first.  The
      // report that unparks counts in the next window.
      co_await park(t, watch_parked_);
      if (alive.expired()) co_return;
      parked = false;
    } else {
      window_reports_ = 0;
    }
    co_await sleep_for(t, opts_.stall_window);
    if (alive.expired()) co_return;  // stopped (stop() drops alive_)
    const std::uint64_t now = window_reports_;
    const bool should = present_ && scan_.wanted() && !scan_.paused();
    if (now > 0 || !should) {
      level = 0;
      previous = now;
      parked = now == 0;
      continue;
    }
    if (previous == 0 && level == 0) {  // quiet, not stalled
      parked = true;
      continue;
    }
    ++stats_.stalls;
    if (level == 0) {
      ++stats_.discovery_restarts;
      event("no reports for " + window_text(opts_.stall_window) + ": restarting discovery");
      (void)co_await scan_.stop();
      if (alive.expired()) co_return;
      const std::error_code ec = co_await scan_.start();
      if (alive.expired()) co_return;
      if (ec) ++stats_.recovery_failures;
      level = 1;
    } else if (level == 1) {
      ++stats_.power_cycles;
      event("still no reports: power-cycling the controller");
      const std::error_code ec = co_await power_cycle(alive);
      if (alive.expired()) co_return;
      if (ec) {
        ++stats_.recovery_failures;
        event("power cycle failed: " + ec.message());
      }
      level = 2;
    }
    previous = now;
  }
}

}  // namespace bcms::daemon
