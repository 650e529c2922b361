// ConnectionManager: the central role's connect queue (one controller).
//
// Design overview
//  * Capacity.  A Slot is one unit of the bounded capacity: at most
//    Options::max_links slots exist at once (a slot is taken by a request
//    when it leaves the queue and held by the Link it becomes), and at most
//    Options::max_attempts of them are connecting at once (Linux creates
//    one LE connection at a time per controller; the default is 1).
//  * Queue.  Requests wait FIFO until both bounds allow them (head of line:
//    a later request never overtakes an earlier one).  Each request has a
//    deadline (ConnectOptions::deadline) that covers the wait, every
//    attempt and every backoff: past it the request fails with
//    bcms::timeout_error().
//  * Every exit path returns the slot: it is an RAII token in the
//    requester's coroutine frame until it moves into the Link, and the
//    Link gives it back when its bearer ends (peer disconnect, ATT
//    timeout, close()) or when the Link is destroyed, whichever comes
//    first.  A request that fails (connect error, deadline, busy retries
//    exhausted), is cancelled (asio per-operation cancellation, e.g. the
//    `||` of awaitable operators), whose coroutine is destroyed, or that
//    is pending when the manager is destroyed (errc::shut_down) returns it
//    through the same destructor.  stats().in_use counts the slots out.
//  * A connect procedure: Load Connection Parameters with the fast set
//    for the peer (conn_params.hpp; the kernel uses it when it creates the
//    connection; a refusal is logged and counted, the connect goes on
//    with the kernel's defaults), then a ScanPolicy pause (discovery
//    stopped; restarted when the attempt ends, whatever the outcome:
//    scan_policy.hpp), then the injected Connector.  relax(peer) loads the
//    relaxed set once the client has discovered what it needs.
//  * Stale kernel state.  A connect the kernel refuses as busy (EBUSY:
//    Linux's l2cap_chan_connect when an ATT channel to that peer exists
//    or is being created, hci_connect_le when another LE connection is
//    being created; EALREADY/EINPROGRESS/EAGAIN likewise) cancels the
//    attempt (the socket is closed), sends mgmt Disconnect for the peer
//    (which makes the kernel abort a connection still being created,
//    hci_abort_conn; Not Connected is the harmless answer when there is
//    none) and retries after a backoff that doubles, at most
//    Options::busy_retries times (stats().busy_retries), then fails with
//    errc::busy_exhausted.
//  * A silent controller.  An mgmt command of the procedure that gets no
//    answer within the channel's timeout means the controller (or its
//    driver) stopped answering: the manager power-cycles it through mgmt
//    (Set Powered 0, then 1; logged with spdlog, stats().power_cycles) and
//    retries the attempt (same bound).  One power cycle at a time;
//    concurrent requests wait for it.
//  * Lifetime.  The manager's state is shared with the request frames; the
//    manager's destructor wakes every waiting request (errc::shut_down),
//    and a frame that resumes afterwards touches nothing but that state.
//    The mgmt channel, connector and scan policy must outlive the manager.
//    Requests already awaiting an mgmt reply finish that wait first (the
//    channel's timeout bounds it).
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <system_error>

#include "protocol/address.hpp"
#include "protocol/expected.hpp"
#include "src/att/bearer.hpp"
#include "src/central/conn_params.hpp"
#include "src/central/connector.hpp"
#include "src/central/scan_policy.hpp"
#include "src/mgmt/channel.hpp"

namespace bcms::central {

struct ManagerState;
struct SlotState;

/// One unit of the manager's capacity (see the overview).  Movable; the
/// destructor returns it.
class Slot {
 public:
  Slot() = default;
  Slot(Slot&&) noexcept = default;
  Slot& operator=(Slot&& o) noexcept;
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  ~Slot() { release(); }
  /// Returns the slot now (idempotent).
  void release() noexcept;
  [[nodiscard]] bool held() const noexcept;

 private:
  friend struct Link;
  friend struct ManagerState;
  explicit Slot(std::shared_ptr<SlotState> s) : s_(std::move(s)) {}
  std::shared_ptr<SlotState> s_;
};

/// A connected ATT bearer to a peer, with its slot.  The bearer is
/// created but not started: attach a GattClient (or set roles), then
/// bearer->start().  Its on_closed callback belongs to the Link (it
/// returns the slot): use Link::on_closed instead.  Destroying the Link
/// closes the bearer (the kernel drops the connection with the last
/// socket), so a slot never outlives its connection and vice versa.
struct Link {
  Peer peer{};
  std::shared_ptr<att::AttBearer> bearer;
  Slot slot;

  Link() = default;
  Link(Link&& o) noexcept;
  Link& operator=(Link&& o) noexcept;
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;
  ~Link();
  /// Runs once when the bearer ends, after the slot was returned.
  void on_closed(std::function<void(std::error_code)> cb);
  /// The manager's: the bearer's end returns the slot; `keep` (the link's
  /// security object) lives as long as the bearer.
  void watch_bearer(std::shared_ptr<void> keep);
};

class ConnectionManager {
 public:
  using clock = std::chrono::steady_clock;
  struct Options {
    std::uint16_t index = 0;          // the controller (mgmt index)
    std::size_t max_links = 4;        // slots: connecting + connected
    std::size_t max_attempts = 1;     // of them connecting at once
    clock::duration connect_timeout = std::chrono::seconds(10);  // one attempt
    int busy_retries = 3;             // retries after busy or a power cycle
    clock::duration busy_backoff = std::chrono::milliseconds(100);  // doubles each retry
    ConnParams fast = fast_params;
    ConnParams relaxed = relaxed_params;
  };
  struct ConnectOptions {
    clock::duration deadline = std::chrono::seconds(30);  // wait + attempts + backoffs
    bool fast_params = true;  // load Options::fast before connecting
    /// The bearer's ConnState gets an att::SocketLinkSecurity on the
    /// socket (BT_SECURITY): what lets a client raise the link's security.
    bool link_security = true;
    att::AttBearer::Options bearer{};
  };
  struct Stats {
    std::uint64_t requests = 0;
    std::uint64_t connected = 0;
    std::uint64_t failed = 0;          // every request that did not end in a Link
    std::uint64_t timeouts = 0;        // of them: deadline passed
    std::uint64_t cancelled = 0;       // of them: cancelled by the requester
    std::uint64_t attempts = 0;        // connector calls
    std::uint64_t busy_retries = 0;
    std::uint64_t power_cycles = 0;
    std::uint64_t power_cycle_failures = 0;
    std::uint64_t params_loaded = 0;   // Load Connection Parameters accepted
    std::uint64_t params_refused = 0;  // answered with an error status
    std::uint64_t slots_taken = 0;
    std::uint64_t slots_returned = 0;
    std::size_t in_use = 0;            // slots out now
    std::size_t peak_in_use = 0;
    std::size_t connecting = 0;        // attempts in progress now
    std::size_t peak_connecting = 0;
    std::size_t queued = 0;            // requests waiting now
  };

  ConnectionManager(mgmt::MgmtChannel& ch, Connector& connector, ScanPolicy& scan, Options opts);
  ConnectionManager(mgmt::MgmtChannel& ch, Connector& connector, ScanPolicy& scan)
      : ConnectionManager(ch, connector, scan, Options{}) {}
  ~ConnectionManager();
  ConnectionManager(const ConnectionManager&) = delete;
  ConnectionManager& operator=(const ConnectionManager&) = delete;

  /// Queues a connection to `peer`'s ATT channel (see the overview).
  /// Errors: the connector's (errno: ECONNREFUSED, EHOSTDOWN, ...),
  /// timeout_error() (deadline), asio::error::operation_aborted
  /// (cancelled), errc::busy_exhausted, errc::controller_silent,
  /// errc::shut_down.
  asio::awaitable<expected<Link>> async_connect(Peer peer, ConnectOptions opts);
  asio::awaitable<expected<Link>> async_connect(Peer peer) { return async_connect(peer, ConnectOptions{}); }

  /// Loads the relaxed parameters for `peer` (on Linux >= 6.10 this also
  /// updates a live connection).  The mgmt status when refused.
  asio::awaitable<std::error_code> relax(Peer peer);

  [[nodiscard]] Stats stats() const noexcept;

 private:
  std::shared_ptr<ManagerState> st_;
};

}  // namespace bcms::central
