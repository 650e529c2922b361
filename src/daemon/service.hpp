// daemon::Service: what the RPC server (rpc/) and other front ends call.
// Its methods are the original BCMS interface (list, approve, remove,
// mode, setMode, pair, unpair, isPaired), with the original's error texts
// (daemon_error.hpp) and its bugs fixed (/work/shared/spec "The BCMS RPC
// interface"), plus the new capabilities: per-device readings, controller
// status, diagnostics counters and an event subscription.
//
// Every method is an asio C++20 coroutine on the daemon's one loop; a
// front end co_spawns it and converts the result.  Failures come back as
// daemon::Error {code, text}; `text` is what an RPC client sees.
//
// Semantics
//  * Addresses are text ("00:11:22:33:44:55", any case); a malformed one
//    is errc::invalid_address.  A device's address is its identity address
//    once its IRK is known (resolvable private addresses are merged under
//    it); its current RPA is accepted too.
//  * list(only_approved): devices seen in the last 60 s, or approved, or
//    paired; only_approved: approved ones, paired included (pairing
//    implies approval: the original's filter dropped paired devices).
//  * approve: "Device not found" for an unknown address, "Device already
//    approved" for an approved (or paired) one.  remove: "Device not
//    found", "Cannot remove paired device. Unpair first."; a removed
//    device may reappear when seen again, unapproved.
//  * set_mode(any | approved) is persisted and enforced by the registry
//    (Registry::accepts_readings_from).
//  * pair: mgmt Pair Device (LE; IO capability from the options) with the
//    daemon's pairing agent answering the kernel's questions; completes
//    with the outcome.  Success approves the device and stores its keys
//    (BondManager).  A device out of range fails with errc::pair_timeout
//    (or the kernel's Connect Failed) within Options::pair_timeout.
//    Already bonded: errc::already_paired ("Device already paired").
//  * unpair: mgmt Unpair Device (the kernel drops its keys and the link),
//    then our keys (BondManager::forget) and the approval.  Not paired:
//    errc::not_paired ("Device not paired").
//  * is_paired: the registry's state or a bond BondManager holds (the keys
//    it loaded into the kernel; mgmt has no command that lists the
//    kernel's keys).  Unknown address: false.
//  * The service takes BondManager's on_bonded/on_unpaired callbacks to
//    keep the registry's paired flags in step with the stored keys.
//  * Calls for the same device are serialised: a second call waits until
//    the first completed (per-address queue), so "pair" then "unpair"
//    sent together run in that order.  Calls for different devices run
//    concurrently.
#pragma once

#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "protocol/expected.hpp"
#include "src/daemon/daemon_error.hpp"
#include "src/daemon/events.hpp"
#include "src/daemon/types.hpp"
#include "src/gap/pairing.hpp"

namespace bcms::mgmt {
class MgmtChannel;
}
namespace bcms::gap {
class BondManager;
}

namespace bcms::daemon {

class Registry;

class Service {
 public:
  struct Options {
    std::uint16_t index = 0;  // the controller
    /// Sent in Pair Device; the daemon's PairingResponder agent (the one
    /// that answers the kernel's questions) must have the same.
    gap::IoCapability io_capability = gap::IoCapability::no_input_no_output;
    /// The whole pair() call, connection included.  The kernel gives up
    /// connecting after its own LE connection timeout; this bounds the
    /// call regardless.
    std::chrono::milliseconds pair_timeout{30'000};
    /// readings(address, 0) returns this many (the registry keeps as many).
    std::size_t readings_default = 20;
  };

  /// Everything is borrowed and must outlive the service.
  Service(mgmt::MgmtChannel& ch, Registry& registry, gap::BondManager& bonds, Options options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // ------------------------------------------------- the original interface
  asio::awaitable<expected<std::vector<DeviceInfo>, Error>> list(bool only_approved);
  asio::awaitable<expected<void, Error>> approve(std::string address);
  asio::awaitable<expected<void, Error>> remove(std::string address);
  asio::awaitable<Mode> mode();
  asio::awaitable<expected<void, Error>> set_mode(Mode mode);
  asio::awaitable<expected<void, Error>> pair(std::string address);
  asio::awaitable<expected<void, Error>> unpair(std::string address);
  asio::awaitable<expected<bool, Error>> is_paired(std::string address);

  // ------------------------------------------------- new capabilities
  /// The device's latest readings, newest last (limit 0: the default).
  asio::awaitable<expected<std::vector<DeviceReading>, Error>> readings(std::string address,
                                                                       std::size_t limit = 0);
  asio::awaitable<ControllerStatus> status();
  asio::awaitable<Diagnostics> diagnostics();
  /// Events from now on; drop the handle to stop.
  [[nodiscard]] EventSubscription subscribe(EventHub::Handler handler);

  /// Set by the daemon's controller supervision (powered, discovering,
  /// present); shown by status().
  void set_controller(ControllerStatus status);
  /// The counters of the daemon's other parts (controller supervision,
  /// discovery, collector, outbox, submission): each source appends its
  /// (name, value) pairs to diagnostics() after the service's own, read
  /// at every call.
  using CounterSource = std::function<void(std::vector<std::pair<std::string, std::uint64_t>>& out)>;
  void add_counters(CounterSource source);

  struct Stats {
    std::uint64_t calls = 0;
    std::uint64_t calls_queued = 0;  // waited behind another call for the same device
    std::uint64_t pair_attempts = 0;
    std::uint64_t pair_successes = 0;
    std::uint64_t pair_failures = 0;
    std::uint64_t pair_timeouts = 0;
    std::uint64_t unpairs = 0;
  };
  [[nodiscard]] const Stats& stats() const noexcept { return stats_; }

 private:
  class DeviceQueue;
  asio::awaitable<expected<void, Error>> do_pair(const Peer& key);
  asio::awaitable<expected<void, Error>> do_unpair(const Peer& key);
  expected<Peer, Error> resolve(const std::string& address) const;

  mgmt::MgmtChannel& ch_;
  Registry& registry_;
  gap::BondManager& bonds_;
  Options opts_;
  ControllerStatus controller_;
  Stats stats_;
  std::vector<CounterSource> counter_sources_;
  std::shared_ptr<DeviceQueue> queue_;
};

}  // namespace bcms::daemon
