// MgmtChannel: the kernel's Bluetooth management protocol on one asio loop.
//
// Design overview
// - The channel takes an already open socket (practice 1 of DESIGN.md): in
//   production an AF_BLUETOOTH/BTPROTO_HCI socket bound to HCI_DEV_NONE on
//   HCI_CHANNEL_CONTROL (open_control_socket() in control_socket.hpp), in
//   tests one end of socketpair(AF_UNIX, SOCK_SEQPACKET).  Every read is one
//   mgmt packet; every write sends one command.
// - Correlation.  The kernel answers a command with Command Complete (0x0001)
//   or Command Status (0x0002) carrying the command's opcode, on the
//   command's controller index.  Replies for different commands can arrive
//   in any order (a Set Powered to hci0 waits for the controller while a Read
//   Info to hci1 completes at once), so a reply is matched by the pair
//   (opcode, index).  BlueZ's src/shared/mgmt.c keeps the match unambiguous by
//   sending one request at a time and letting only "reply" commands (PIN,
//   confirmation, passkey replies) jump the queue, because they must reach
//   the kernel while Pair Device is still pending.  We keep the same
//   invariant at a finer grain: at most one command per (opcode, index) is in
//   flight; commands with a different key go out at once; a command whose key
//   is busy waits in FIFO order behind it.  So Pair Device on hci0 never
//   blocks the User Confirmation Reply that completes it, and two
//   controllers never wait for each other.
// - A timed-out or cancelled command leaves a tombstone on its key: the
//   kernel may still answer it, and that late reply must not complete the
//   next command with the same key.  The tombstone is cleared by the late
//   reply, by Index Removed for its index, or after another timeout period.
// - Events are delivered to subscriptions keyed by (event code, index);
//   kAnyIndex matches every index.  Typed subscriptions (subscribe<Ev>)
//   get the decoded struct: the parameters pass the table's size check
//   (protocol/mgmt/dispatch.hpp check_event_size, once per event) and the
//   generated decoder first; an event failing either is logged, counted
//   (Stats::events_dropped) and not delivered.  A Subscription is an RAII handle: drop
//   it (even inside its own callback) and no further call is made.
//   Dispatch never iterates a container that a callback can change, and the
//   channel's state is kept alive for the duration of a dispatch.
// - Index Removed fails every command pending on that index with
//   errc::no_such_device and clears its tombstones (controller hot-plug).
// - A socket error or EOF fails every pending command with that error and
//   is reported once to on_closed().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <system_error>

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/generic/raw_protocol.hpp>
#include <asio/post.hpp>

#include "protocol/bytes.hpp"
#include "protocol/mgmt/frame.hpp"

namespace bcms::mgmt {

inline constexpr std::uint32_t kAnyIndex = 0x10000;        // subscription wildcard

/// Completion of a command: the mgmt status as an error_code (mgmt status
/// category, success = 0) or a channel error (timed_out, no_such_device,
/// operation_aborted, eof, ...), and the return parameters (valid also for
/// some failed statuses, e.g. Pair Device's address on failure).
using CommandHandler = std::function<void(std::error_code, bytes)>;
using EventHandler = std::function<void(std::uint16_t index, byte_span params)>;

class Subscription;
class PendingCommand;

class MgmtChannel {
 public:
  using socket_type = asio::generic::raw_protocol::socket;
  using clock = std::chrono::steady_clock;

  /// Takes ownership of an open socket; starts reading at once.
  explicit MgmtChannel(socket_type socket);
  ~MgmtChannel();
  MgmtChannel(const MgmtChannel&) = delete;
  MgmtChannel& operator=(const MgmtChannel&) = delete;

  [[nodiscard]] asio::any_io_executor get_executor() const;

  /// Default per-command timeout (2 s; the kernel answers most commands at
  /// once, a few wait for the controller).
  void set_default_timeout(clock::duration d);

  /// Queues a command; the handler is called exactly once, on the channel's
  /// executor, unless the returned handle is cancelled first (then it is
  /// called with asio::error::operation_aborted).  timeout 0 = default.
  PendingCommand send(std::uint16_t opcode, std::uint16_t index, bytes params, CommandHandler handler,
                      clock::duration timeout = {});

  /// Universal asynchronous form: completion signature
  /// void(std::error_code, bcms::bytes); works with callbacks,
  /// asio::use_awaitable, asio::use_future.
  template <class Token>
  auto async_send(std::uint16_t opcode, std::uint16_t index, bytes params, Token&& token,
                  clock::duration timeout = {}) {
    return asio::async_initiate<Token, void(std::error_code, bytes)>(
        [this, opcode, index, timeout](auto handler, bytes p) {
          auto h = std::make_shared<decltype(handler)>(std::move(handler));
          send(opcode, index, std::move(p),
               [h](std::error_code ec, bytes reply) {
                 auto ex = asio::get_associated_executor(*h);
                 asio::post(ex, [h, ec, reply = std::move(reply)]() mutable { (*h)(ec, std::move(reply)); });
               },
               timeout);
        },
        token, std::move(params));
  }

  /// Subscribes to an event code on one controller index, kNonController,
  /// or kAnyIndex.  Events are delivered in arrival order.
  [[nodiscard]] Subscription subscribe(std::uint16_t event, std::uint32_t index, EventHandler handler);

  /// Typed subscription to event struct Ev (gen/mgmt_types.hpp, which the
  /// caller includes to name Ev): fn(std::uint16_t index, const Ev& ev).
  /// Malformed events are dropped (see the overview).  The variable parts
  /// of `ev` (DataView) borrow the receive buffer: copy what outlives fn.
  ///   auto sub = ch.subscribe<NewLongTermKeyEvent>(0, [](std::uint16_t, const auto& ev) { ... });
  template <class Ev, class F>
  [[nodiscard]] Subscription subscribe(std::uint32_t index, F fn);

  /// Called once when the socket fails or closes.
  void on_closed(std::function<void(std::error_code)> handler);

  /// Counters for tests and diagnostics.
  struct Stats {
    std::uint64_t commands_sent = 0;
    std::uint64_t replies_matched = 0;
    std::uint64_t replies_unmatched = 0;  // late replies to tombstones, or stray replies
    std::uint64_t events = 0;
    std::uint64_t malformed = 0;  // truncated or inconsistent packets dropped
    std::uint64_t events_dropped = 0;  // events typed subscriptions could not decode
  };
  [[nodiscard]] Stats stats() const;

  /// Commands queued or in flight (tombstones excluded).
  [[nodiscard]] std::size_t pending() const;

  /// Closes the socket; pending commands fail with operation_aborted.
  void close();

  struct State;
  /// Handler of a typed subscription: runs after the size check; returns
  /// the decoder's error for an event it drops.
  using CheckedHandler = std::function<std::error_code(std::uint16_t index, byte_span params)>;

 private:
  Subscription subscribe_checked(std::uint16_t event, std::uint32_t index, CheckedHandler handler);
  std::shared_ptr<State> state_;
};

/// Handle to a queued or in-flight command.  Destroying it does NOT cancel
/// the command; call cancel() for that.
class PendingCommand {
 public:
  PendingCommand() = default;
  /// The handler is called with operation_aborted (unless it already ran).
  void cancel();

 private:
  friend class MgmtChannel;
  PendingCommand(std::weak_ptr<MgmtChannel::State> s, std::uint64_t id) : state_(std::move(s)), id_(id) {}
  std::weak_ptr<MgmtChannel::State> state_;
  std::uint64_t id_ = 0;
};

/// RAII event subscription.  Movable; destroying or reset()ing it removes
/// the subscription, safely also from inside its own callback.
class Subscription {
 public:
  Subscription() = default;
  Subscription(Subscription&& o) noexcept;
  Subscription& operator=(Subscription&& o) noexcept;
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ~Subscription();
  void reset();
  [[nodiscard]] bool active() const;

 private:
  friend class MgmtChannel;
  Subscription(std::weak_ptr<MgmtChannel::State> s, std::uint64_t id) : state_(std::move(s)), id_(id) {}
  std::weak_ptr<MgmtChannel::State> state_;
  std::uint64_t id_ = 0;
};

template <class Ev, class F>
Subscription MgmtChannel::subscribe(std::uint32_t index, F fn) {
  return subscribe_checked(static_cast<std::uint16_t>(Ev::code), index,
                           [fn = std::move(fn)](std::uint16_t i, byte_span p) -> std::error_code {
                             auto ev = Ev::decode(p);
                             if (!ev) return ev.error();
                             fn(i, *ev);
                             return {};
                           });
}

}  // namespace bcms::mgmt
