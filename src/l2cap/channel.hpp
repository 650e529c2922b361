// Channel: one L2CAP LE credit-based channel (Core v5.4 Vol 3 Part A 10.1,
// LE Credit Based Flow Control Mode) on an already open SOCK_SEQPACKET
// socket: in production a connected or accepted CoC socket (coc.hpp), in
// tests one end of socketpair(AF_UNIX, SOCK_SEQPACKET).
//
// Design overview
//  * Framing is the kernel's: one message is one SDU.  The kernel segments
//    an SDU into K-frames of at most MPS octets, prefixes the SDU length
//    (Part A 3.4.3) and reassembles on receipt; a socket never sees
//    K-frames.  BT_SNDMTU is the largest SDU the peer accepts (its MTU in
//    the LE Credit Based Connection Request/Response, 4.22/4.23): send()
//    refuses a longer one (errc::sdu_too_long) before anything is queued.
//    BT_RCVMTU is the largest SDU we accept: the receive buffer has that
//    size, and a message longer than it (MSG_TRUNC: the kernel would not
//    deliver one, a socketpair peer can) is counted and reported with
//    errc::sdu_truncated and its first receive_mtu octets.
//  * Credits are the kernel's too (Part A 10.1): it returns credits as we
//    read, and when the peer gives none it holds our K-frames and marks
//    the socket not writable (BT_SK_SUSPEND).  Back-pressure follows from
//    that: one async_send is in flight at a time, the others wait in a
//    queue bounded in bytes (Options::max_queued_bytes).  send() refuses
//    with errc::queue_full when the SDU does not fit; async_send() waits
//    for room instead and completes once its SDU was handed to the kernel.
//    Nothing is dropped: an SDU is either refused at once or sent in order.
//    A queue that is empty always takes one SDU (whatever the bound), so
//    an SDU of any allowed size can be sent.
//  * Receiving, either continuously (start(handler): each SDU to the
//    handler as it arrives) or one SDU at a time (async_receive, e.g. with
//    asio::use_awaitable).  Not reading is receive back-pressure: the
//    kernel stops giving the peer credits.
//  * Closing: close() ends at once (what is queued is not sent).
//    close_when_sent() first waits for our queue to drain and then for the
//    kernel's: an SDU handed to the kernel may still wait there for
//    credits, and closing the socket would drop it (l2cap_chan_close
//    purges the channel's tx queue).  The kernel's part is read from the
//    socket: for AF_BLUETOOTH, TIOCOUTQ is the free space of the send
//    buffer (bt_sock_ioctl: sk_sndbuf - sk_wmem_alloc; skbs stay charged
//    until the HCI driver took them), so SO_SNDBUF - TIOCOUTQ octets are
//    unsent; for AF_UNIX (tests), SIOCOUTQ is the unsent octets itself.
//  * The end (peer closed: eof; a socket error; close(): operation_aborted)
//    is reported once to on_closed(); operations pending at that moment
//    complete with the same reason, later ones with not_connected.
//  * Owned through shared_ptr: pending reads and sends keep it alive;
//    close() is idempotent; the destructor closes the socket silently.
//  * Several channels over one LE link are several sockets, each with its
//    own credits: channels are independent of each other.
#pragma once

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <system_error>
#include <vector>

#include "protocol/bytes.hpp"
#include "protocol/expected.hpp"
#include "src/l2cap/l2cap_error.hpp"
#include "src/l2cap/socket.hpp"

namespace bcms::l2cap {

struct ChannelStats {
  std::uint64_t sdus_out = 0;   // handed to the kernel
  std::uint64_t bytes_out = 0;
  std::uint64_t sdus_in = 0;    // truncated ones included
  std::uint64_t bytes_in = 0;
  std::uint64_t truncated = 0;  // longer than the receive buffer (MSG_TRUNC)
  std::uint64_t refused_too_long = 0;
  std::uint64_t refused_full = 0;     // send() with the queue full
  std::uint64_t waited_for_room = 0;  // async_send that had to wait
  std::size_t queued_high_water = 0;  // most bytes queued at once
  std::size_t closed_unsent_bytes = 0;  // close_when_sent timed out with these in the kernel
};

class Channel : public std::enable_shared_from_this<Channel> {
 public:
  using Completion = std::function<void(std::error_code)>;
  /// One received SDU: ec is {} or errc::sdu_truncated (sdu is then the
  /// first receive_mtu octets).  The span is valid during the call only.
  using SduHandler = std::function<void(std::error_code, byte_span sdu)>;
  struct Options {
    /// Bound of the outgoing queue, in SDU octets (the one in flight included).
    std::size_t max_queued_bytes = 64 * 1024;
    /// The SDU sizes; when not given, BT_SNDMTU / BT_RCVMTU of the socket
    /// (a socketpair has none: tests give both).
    std::optional<std::uint16_t> send_mtu{};
    std::optional<std::uint16_t> receive_mtu{};
  };

  /// Takes the socket; fails when the MTUs are neither given nor readable.
  static expected<std::shared_ptr<Channel>> create(Socket socket, const Options& opts);
  static expected<std::shared_ptr<Channel>> create(Socket socket) { return create(std::move(socket), Options{}); }
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  [[nodiscard]] std::uint16_t send_mtu() const noexcept { return send_mtu_; }
  [[nodiscard]] std::uint16_t receive_mtu() const noexcept { return receive_mtu_; }
  [[nodiscard]] std::size_t queued_bytes() const noexcept { return queued_bytes_; }
  [[nodiscard]] bool usable() const noexcept { return !closed_; }
  /// Why the channel ended ({} while it is usable).
  [[nodiscard]] std::error_code end_reason() const noexcept { return end_reason_; }
  [[nodiscard]] const ChannelStats& stats() const noexcept { return stats_; }
  [[nodiscard]] Socket& socket() noexcept { return socket_; }

  // ---------------------------------------------------------------- sending
  /// True when send() of an `n`-octet SDU would be queued now.
  [[nodiscard]] bool has_room(std::size_t n) const noexcept { return !closed_ && waiting_.empty() && fits(n); }
  /// Queues one SDU without waiting: {} when queued; errc::sdu_too_long,
  /// errc::empty_sdu, errc::queue_full (nothing queued: wait and retry, or
  /// use async_send), not_connected after the end.
  std::error_code send(bytes sdu);
  /// Queues one SDU, waiting for room in the queue; completes with {} when
  /// the kernel took it (sent, or held until the peer gives credits), or
  /// with the refusal / the end's reason.  Token: a callback
  /// void(std::error_code), asio::use_awaitable, ...
  template <class Token>
  auto async_send(bytes sdu, Token&& token) {
    return asio::async_initiate<Token, void(std::error_code)>(
        [this](auto handler, bytes s) {
          auto h = std::make_shared<decltype(handler)>(std::move(handler));
          send_when_room(std::move(s), [h, io = socket_.get_executor()](std::error_code ec) {
            auto ex = asio::get_associated_executor(*h, io);
            asio::post(ex, [h, ec]() mutable { (*h)(ec); });
          });
        },
        token, std::move(sdu));
  }
  /// Callback form of async_send (runs `done` directly, from the loop).
  void send_when_room(bytes sdu, Completion done);
  /// `done` runs once everything queued so far was handed to the kernel
  /// (at once when nothing is queued), or with the end's reason.
  void on_drained(Completion done);

  // -------------------------------------------------------------- receiving
  /// Reads continuously; every SDU goes to `on_sdu`.
  void start(SduHandler on_sdu);
  /// Reads the next SDU: completion void(std::error_code, bytes), the
  /// error as for SduHandler, or the end's reason (eof when the peer closed).
  template <class Token>
  auto async_receive(Token&& token) {
    return asio::async_initiate<Token, void(std::error_code, bytes)>(
        [this](auto handler) {
          auto h = std::make_shared<decltype(handler)>(std::move(handler));
          receive_one([h, io = socket_.get_executor()](std::error_code ec, byte_span sdu) {
            auto ex = asio::get_associated_executor(*h, io);
            asio::post(ex, [h, ec, b = bytes(sdu.begin(), sdu.end())]() mutable { (*h)(ec, std::move(b)); });
          });
        },
        token);
  }
  /// Callback form of async_receive (the span is valid during the call).
  void receive_one(SduHandler done);

  // -------------------------------------------------------------------- end
  /// Runs once, when the channel ends: asio::error::eof (peer closed), the
  /// socket's error, or operation_aborted after close().
  void on_closed(Completion cb) { on_closed_ = std::move(cb); }
  /// Ends the channel (idempotent): closes the socket; what is still queued
  /// is not sent.
  void close();
  /// Refuses new SDUs (not_connected), waits until everything queued was
  /// handed to the kernel AND the kernel sent it (its queue is empty: the
  /// peer gave the credits), then closes.  `done`: {} when nothing was
  /// left, bcms::timeout_error() when `timeout` passed first (the rest is
  /// dropped, counted in stats().closed_unsent_bytes), or the end's reason
  /// when the channel ended meanwhile.
  void close_when_sent(std::chrono::steady_clock::duration timeout, Completion done);
  /// Octets the kernel holds for this socket, not yet sent (see above).
  [[nodiscard]] expected<std::size_t> kernel_unsent() const;

 private:
  Channel(Socket socket, std::uint16_t send_mtu, std::uint16_t receive_mtu, std::size_t max_queued);
  std::error_code check(const bytes& sdu);
  [[nodiscard]] bool fits(std::size_t n) const noexcept;
  void enqueue(bytes sdu, Completion done);
  void admit_waiters();
  void send_next();
  void read_next();
  void end(std::error_code why);
  void poll_kernel_queue(std::chrono::steady_clock::time_point deadline, Completion done);

  struct Outgoing {
    bytes sdu;
    Completion done;
  };

  Socket socket_;
  std::uint16_t send_mtu_;
  std::uint16_t receive_mtu_;
  std::size_t max_queued_;
  ChannelStats stats_;
  bytes rx_;
  asio::socket_base::message_flags rx_flags_ = 0;
  std::deque<Outgoing> tx_;        // front() is in flight when sending_
  std::deque<Outgoing> waiting_;   // async_send waiting for room, in order
  std::vector<Completion> drained_;
  std::size_t queued_bytes_ = 0;
  bool sending_ = false;
  bool reading_ = false;
  bool closed_ = false;
  bool closing_ = false;           // close_when_sent(): no new SDUs
  std::unique_ptr<asio::steady_timer> poll_;  // close_when_sent()'s kernel-queue poll
  std::error_code end_reason_;
  SduHandler on_sdu_;              // start(): continuous
  SduHandler pending_receive_;     // receive_one(): one SDU
  Completion on_closed_;
};

}  // namespace bcms::l2cap
