// ScanPolicy: the one owner of a controller's discovery, and the rule
// between discovering and connecting.
//
// The policy
//  * The daemon says whether it WANTS discovery (start()/stop()).  While it
//    is wanted and nothing pauses it, discovery runs: when the kernel ends
//    it on its own (LE-only discovery ends after 10.24 s,
//    DISCOV_LE_TIMEOUT; a power cycle; the kernel stopping the scan to
//    create a connection) the policy starts it again.
//  * A connection is created with discovery STOPPED: the ConnectionManager
//    takes a Pause before it connects and drops it when the attempt ends,
//    whatever the outcome (connected, refused, timed out, cancelled, the
//    requester gone).  Pauses nest; the first one sends Stop Discovery
//    (when the kernel reports discovery running), the last one to go
//    starts discovery again when it is wanted.
//  * Why stop it ourselves: Linux creates an LE connection from a scan
//    (passive scanning with the peer in the accept list, or the running
//    discovery's scan).  When a report from the peer arrives during
//    discovery, hci_le_create_conn_sync() disables scanning (some
//    controllers cannot scan and initiate at once), marks it
//    HCI_LE_SCAN_INTERRUPTED and the kernel then ends the discovery
//    (Discovering = 0) and does not restart it: the "discovery stops while
//    connecting" that bluetoothd users report.  (Read from the 6.x source;
//    the VM scenario cannot show it: btvirt reports an advertiser only on a
//    scan-enable edge, so a connect during discovery waits for our pause.)  We make the pause explicit,
//    so it is ours to end, and a pause the kernel made (Discovering = 0
//    observed while paused) is ended the same way.
//  * Discovery state comes from the kernel's Discovering events (the
//    address types it runs with are taken from them: Stop Discovery must
//    name the same types, mgmt-api.txt); our own Start/Stop replies
//    update it too.
//  * Refusals are not errors of the policy: Stop Discovery answered
//    Rejected means "not discovering"; Start Discovery answered Busy means
//    "already discovering or in transition" (the next Discovering event
//    tells).  A command that TIMES OUT is returned to the caller, which
//    treats the controller as silent (ConnectionManager power-cycles it).
//  * Restarts are detached coroutines on the channel's executor holding
//    only the policy's shared state: a policy destroyed meanwhile makes
//    them no-ops.
#pragma once

#include <asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <system_error>

#include "protocol/expected.hpp"
#include "src/mgmt/channel.hpp"

namespace bcms::central {

class ScanPolicy {
 public:
  struct Stats {
    std::uint64_t starts = 0;          // Start Discovery sent
    std::uint64_t stops = 0;           // Stop Discovery sent (pauses)
    std::uint64_t restarts = 0;        // starts after a pause or a stop by the kernel
    std::uint64_t kernel_stops = 0;    // Discovering = 0 that we did not ask for
    std::uint64_t failures = 0;        // Start/Stop answered with an unexpected status
  };
  struct State;

  /// RAII pause: discovery stays stopped while any Pause is held.
  class Pause {
   public:
    Pause() = default;
    Pause(Pause&& o) noexcept : st_(std::move(o.st_)) {}
    Pause& operator=(Pause&& o) noexcept;
    Pause(const Pause&) = delete;
    Pause& operator=(const Pause&) = delete;
    ~Pause() { reset(); }
    /// Ends the pause (idempotent).
    void reset();
    [[nodiscard]] bool active() const noexcept { return st_ != nullptr; }

   private:
    friend class ScanPolicy;
    explicit Pause(std::shared_ptr<State> st) : st_(std::move(st)) {}
    std::shared_ptr<State> st_;
  };

  /// `address_types`: Start Discovery's Address_Type (0x06: LE public and
  /// random).  The channel must outlive the policy.
  ScanPolicy(mgmt::MgmtChannel& ch, std::uint16_t index, std::uint8_t address_types = 0x06);
  ~ScanPolicy();
  ScanPolicy(const ScanPolicy&) = delete;
  ScanPolicy& operator=(const ScanPolicy&) = delete;

  /// Discovery wanted from now on; starts it unless paused.  The Start
  /// Discovery's error (Busy counts as success).
  asio::awaitable<std::error_code> start();
  /// Discovery no longer wanted; stops it.
  asio::awaitable<std::error_code> stop();
  /// Stops discovery (when it runs) and holds it stopped until the Pause
  /// is dropped.  Fails only when Stop Discovery fails in a way that is no
  /// answer (timed_out, channel closed); the pause is then not taken.
  asio::awaitable<expected<Pause>> pause();

  [[nodiscard]] bool wanted() const noexcept;
  [[nodiscard]] bool discovering() const noexcept;  // as the kernel last reported
  [[nodiscard]] bool paused() const noexcept;
  [[nodiscard]] Stats stats() const noexcept;

 private:
  std::shared_ptr<State> st_;
};

}  // namespace bcms::central
