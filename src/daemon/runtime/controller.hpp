// ControllerSupervisor: the one controller the daemon drives, from choice
// to recovery.
//
//  * choose(): --index when given (it must be present and one bcms may
//    take), else the first controller in the kernel's index list that
//    supports LE and that bcms may take.
//  * configure(): Read Controller Information; privacy on (Set Privacy
//    needs the controller powered off, and our IRK: STATE_DIR/local-irk,
//    16 random octets made once, mode 0600); LE on; bondable and the IO
//    capability (the pairing responder); powered; the bonds loaded into
//    the kernel (Load LTKs / IRKs replace its lists); discovery wanted.
//  * Scanning in cycles: every scan period the discovery is restarted
//    (a fresh scan: the controller's duplicate filter is emptied, so it
//    reports every advertiser again and RSSI and last seen stay current),
//    unless a connection holds it paused, and only when something was
//    reported during the period: a filter that has let nothing through
//    holds nothing, so a restart would change nothing (an idle gateway
//    sends no command; the kernel's own end of LE discovery after
//    10.24 s is restarted by the ScanPolicy).  Discovery found stopped at
//    a period's end (a restart the controller refused) is started again.
//    A period without reports while discovery runs parks the cycle: no
//    timer until the next report or the next Discovering = 0 event, so an
//    idle gateway does not wake up every scan period for nothing.
//  * Index Removed for our controller: marked absent (RPC status), the
//    discovery cycle idles.  Index Added for it again: configure() again,
//    so the keys are reloaded.
//  * Stall watch: reports are counted per window (3 scan periods, at least
//    30 s).  A window without a report, after one with reports, while
//    discovery is wanted, present and not paused, is a stall: step 1
//    restarts discovery; a second stalled window power-cycles the
//    controller through mgmt (Set Powered off, on) and reloads the keys.
//    Every step is logged, counted and published as a controller event.
//    A quiet window after a quiet one (nothing to watch) parks the watch
//    until the next report.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/expected.hpp"
#include "src/mgmt/channel.hpp"

namespace bcms::gap {
class BondManager;
class PairingResponder;
}  // namespace bcms::gap
namespace bcms::central {
class ScanPolicy;
}

namespace bcms::daemon {

class ControllerSupervisor {
 public:
  struct Options {
    std::optional<std::uint16_t> index;  // --index
    std::vector<std::uint16_t> allowed;  // empty: any (check_controller_owner)
    bool privacy = true;
    std::filesystem::path irk_file;      // our IRK for privacy
    std::chrono::milliseconds scan_period{5000};
    std::chrono::milliseconds stall_window{0};  // 0: max(3 scan periods, 30 s)
  };
  struct Stats {
    std::uint64_t configured = 0;
    std::uint64_t removed = 0;
    std::uint64_t added = 0;
    std::uint64_t scan_cycles = 0;          // discovery restarted for a fresh scan
    std::uint64_t scan_cycles_skipped = 0;  // nothing reported in the period: no restart
    std::uint64_t scan_resumed = 0;         // found not discovering at a period's end: started
    std::uint64_t reports = 0;
    std::uint64_t stalls = 0;
    std::uint64_t discovery_restarts = 0;  // recovery step 1
    std::uint64_t power_cycles = 0;        // recovery step 2
    std::uint64_t recovery_failures = 0;
  };
  using EventFn = std::function<void(const std::string& what)>;

  /// The controller to drive (see the top); an error naming why none.
  static asio::awaitable<expected<std::uint16_t>> choose(mgmt::MgmtChannel& ch, const Options& opts,
                                                         std::string* why);

  ControllerSupervisor(mgmt::MgmtChannel& ch, std::uint16_t index, gap::PairingResponder& pairing,
                       gap::BondManager& bonds, central::ScanPolicy& scan, Options opts, EventFn on_event);
  ~ControllerSupervisor();
  ControllerSupervisor(const ControllerSupervisor&) = delete;
  ControllerSupervisor& operator=(const ControllerSupervisor&) = delete;

  /// Configures the controller (see the top); the failing step in `why`.
  asio::awaitable<std::error_code> configure(std::string* why);
  /// Index events, scan cycles and the stall watch from now on.
  void start();
  void stop();
  /// One Device Found on our controller (the stall watch counts them).
  void on_report() noexcept {
    ++window_reports_;
    ++cycle_reports_;
    ++stats_.reports;
    if (cycle_parked_ || watch_parked_) unpark();
  }

  [[nodiscard]] std::uint16_t index() const noexcept { return index_; }
  [[nodiscard]] bool present() const noexcept { return present_; }
  [[nodiscard]] bool powered() const noexcept { return powered_; }
  [[nodiscard]] const Address& address() const noexcept { return address_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const Stats& stats() const noexcept { return stats_; }

 private:
  asio::awaitable<void> cycle_loop(std::weak_ptr<int> alive);
  asio::awaitable<void> watch_loop(std::weak_ptr<int> alive);
  asio::awaitable<void> reconfigure(std::weak_ptr<int> alive);
  // The coroutines hold `alive`, a weak reference to alive_: expired once
  // the supervisor stopped (or went), and they end without touching it.
  // They check it after every suspension.
  asio::awaitable<std::error_code> power_cycle(const std::weak_ptr<int>& alive);
  expected<std::array<std::uint8_t, 16>> local_irk() const;
  void event(const std::string& what);
  /// Waits on `t` until unpark() (a report, a Discovering = 0 event for
  /// the cycle, or stop()); `slot` points at `t` meanwhile.
  asio::awaitable<void> park(asio::steady_timer& t, asio::steady_timer*& slot);
  static void unpark(asio::steady_timer*& slot) noexcept;
  void unpark() noexcept;  // both loops

  mgmt::MgmtChannel& ch_;
  std::uint16_t index_;
  gap::PairingResponder& pairing_;
  gap::BondManager& bonds_;
  central::ScanPolicy& scan_;
  Options opts_;
  EventFn on_event_;
  Stats stats_;
  Address address_{};
  std::string name_;
  bool present_ = true;
  bool powered_ = false;
  bool running_ = false;
  std::uint64_t window_reports_ = 0;  // in the current stall-watch window
  std::uint64_t cycle_reports_ = 0;   // in the current scan period
  asio::steady_timer* cycle_parked_ = nullptr;  // the cycle's timer while parked
  asio::steady_timer* watch_parked_ = nullptr;  // the watch's timer while parked
  std::vector<mgmt::Subscription> subs_;
  std::shared_ptr<int> alive_;
};

}  // namespace bcms::daemon
