// MgmtSync: the synchronous facade over MgmtChannel, for short programs and
// the CLI (python-btsocket's "sync" model, done on the same channel and
// loop as the daemon's asynchronous model).
//
//   auto mgmt = bcms::mgmt::MgmtSync::open();           // the kernel socket
//   auto info = mgmt->command(ReadControllerInformation{}, 0);
//   if (!info) std::cerr << info.error().message();     // "Busy (0x0a)"
//   else std::cout << info->value.name.view() << "\n";
//
// Events: watch() subscribes at once and buffers, so nothing is lost
// between a command and the wait (Device Found can precede the Start
// Discovery reply on Linux 6.12):
//   auto found = mgmt->watch(DeviceFoundEvent::code, 0);
//   mgmt->command(StartDiscovery{...}, 0);
//   while (auto ev = found.next(5s)) ...
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>

#include <asio/io_context.hpp>

#include "protocol/mgmt/dispatch.hpp"
#include "protocol/mgmt/frame.hpp"
#include "src/mgmt/channel.hpp"

namespace bcms::mgmt {

/// A decoded value together with the buffer its views borrow from.  Move
/// only: moving the vector keeps its heap storage, so the views stay valid.
template <class T>
struct Owned {
  bytes storage;
  T value;
  Owned(bytes b, T v) : storage(std::move(b)), value(std::move(v)) {}
  Owned(Owned&&) noexcept = default;
  Owned& operator=(Owned&&) noexcept = default;
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  const T* operator->() const noexcept { return &value; }
  const T& operator*() const noexcept { return value; }
};

struct RawEvent {
  std::uint16_t code = 0;
  std::uint16_t index = 0;
  bytes params;
};

class MgmtSync;

/// Buffered event subscription; see MgmtSync::watch.
class EventWatch {
 public:
  /// The next buffered event, running the loop up to `timeout` for one.
  std::optional<RawEvent> next(std::chrono::steady_clock::duration timeout);
  [[nodiscard]] std::size_t buffered() const { return queue_->size(); }

 private:
  friend class MgmtSync;
  EventWatch(MgmtSync& s) : sync_(&s) {}
  MgmtSync* sync_;
  std::shared_ptr<std::deque<RawEvent>> queue_ = std::make_shared<std::deque<RawEvent>>();
  std::vector<Subscription> subs_;
};

class MgmtSync {
 public:
  using duration = std::chrono::steady_clock::duration;

  /// Opens the kernel's management socket (errno on failure, e.g.
  /// EAFNOSUPPORT without Bluetooth, EPERM without CAP_NET_ADMIN).
  static expected<std::unique_ptr<MgmtSync>> open();
  /// Over an already open socket (tests: a socketpair end).
  explicit MgmtSync(std::unique_ptr<asio::io_context> io, MgmtChannel::socket_type socket);

  /// Raw command: the Return Parameters, or the mgmt status / channel error.
  expected<bytes> send(std::uint16_t opcode, std::uint16_t index, bytes params, duration timeout = {});

  /// Like send(), but also returns the Return Parameters of a failed
  /// command (Pair Device and others return the address on failure).
  std::pair<std::error_code, bytes> send_raw(std::uint16_t opcode, std::uint16_t index, bytes params,
                                             duration timeout = {});

  /// Typed command through the generated codec.
  template <class Cmd>
  expected<Owned<typename Cmd::Reply>> command(const Cmd& cmd, std::uint16_t index, duration timeout = {}) {
    bytes params;
    if (std::error_code ec = encode(cmd, params)) return unexpected(ec);
    auto reply = send(static_cast<std::uint16_t>(Cmd::opcode), index, std::move(params), timeout);
    if (!reply) return unexpected(reply.error());
    auto value = decode_reply<Cmd>(*reply);
    if (!value) return unexpected(value.error());
    // *reply's heap buffer moves into Owned, so the views in value stay valid.
    return Owned<typename Cmd::Reply>(std::move(*reply), std::move(*value));
  }

  /// Buffers events with any of the codes on `index` (or kAnyIndex) from now on.
  EventWatch watch(std::initializer_list<std::uint16_t> codes, std::uint32_t index);

  /// Runs the loop for `d` (delivering events to watches and subscriptions).
  void run_for(duration d);

  MgmtChannel& channel() { return *channel_; }
  asio::io_context& context() { return *io_; }

 private:
  std::unique_ptr<asio::io_context> io_;
  std::unique_ptr<MgmtChannel> channel_;
};

}  // namespace bcms::mgmt
