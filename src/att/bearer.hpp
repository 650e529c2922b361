// AttBearer: one ATT bearer (Core v5.4 Vol 3 Part F 3.3) on an already
// open SOCK_SEQPACKET socket, driving a GattServer.
//
// Design overview
//  * The socket is given, never opened here: in production an L2CAP LE
//    socket accepted on the ATT fixed channel (CID 0x0004, see
//    l2cap_listener.hpp); in tests one end of socketpair(AF_UNIX,
//    SOCK_SEQPACKET).  One received message is one PDU.
//  * Sequential protocol (3.3.2): one request outstanding.  A request
//    that arrives while the previous one has not been answered is a
//    client error; it is dropped and counted (as Zephyr does) rather than
//    answered, since an answer would look like the answer to the first.
//  * One indication outstanding (3.3.2): further indications wait in a
//    queue; each completes (its callback runs) on the confirmation.
//  * Transaction timeout (3.3.3): an indication without confirmation, or
//    a request our server has not answered, within the timeout (30 s)
//    ends the bearer: no further PDUs are sent, the socket is closed,
//    queued indications fail with asio::error::timed_out.
//  * Outgoing PDUs go through one queue with one async_send in flight, so
//    responses, notifications and indications never interleave.
//  * Owned through shared_ptr: pending reads, sends and timers keep it
//    alive; close() is idempotent and is also what the destructor does.
#pragma once

#include <asio/generic/seq_packet_protocol.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <system_error>

#include "src/att/conn_state.hpp"
#include "src/att/gatt_server.hpp"

namespace bcms::att {

struct BearerStats {
  std::uint64_t pdus_in = 0;
  std::uint64_t pdus_out = 0;
  std::uint64_t requests_while_busy = 0;   // dropped: a request was outstanding
  std::uint64_t unexpected_confirmations = 0;
  std::uint64_t oversized = 0;             // longer than the receive buffer: dropped
};

class AttBearer : public std::enable_shared_from_this<AttBearer> {
 public:
  using Socket = asio::generic::seq_packet_protocol::socket;
  using Completion = std::function<void(std::error_code)>;
  struct Options {
    std::chrono::steady_clock::duration transaction_timeout = std::chrono::seconds(30);  // 3.3.3
  };

  static std::shared_ptr<AttBearer> create(Socket socket, GattServer& server, ConnState state, Options opts);
  static std::shared_ptr<AttBearer> create(Socket socket, GattServer& server, ConnState state) {
    return create(std::move(socket), server, std::move(state), Options{});
  }
  ~AttBearer();
  AttBearer(const AttBearer&) = delete;
  AttBearer& operator=(const AttBearer&) = delete;

  /// Registers with the server and starts reading.
  void start();
  /// Ends the bearer (idempotent): closes the socket, fails queued
  /// indications with asio::error::operation_aborted, tells the server.
  void close();
  [[nodiscard]] bool usable() const noexcept { return !closed_; }

  /// ATT_HANDLE_VALUE_NTF, the value cut to ATT_MTU-3 (3.4.7.1).
  std::error_code send_notification(std::uint16_t handle, byte_span value);
  /// ATT_HANDLE_VALUE_IND; `done` runs with {} on the confirmation, or
  /// with an error when the bearer ends first.
  void send_indication(std::uint16_t handle, bytes value, Completion done);
  /// Any PDU, queued as is (tests, future client role).
  std::error_code send_pdu(bytes pdu);

  /// Runs once, when the bearer ends (peer closed, error, timeout, close()).
  void on_closed(std::function<void(std::error_code)> cb) { on_closed_ = std::move(cb); }

  [[nodiscard]] ConnState& state() noexcept { return state_; }
  [[nodiscard]] const BearerStats& stats() const noexcept { return stats_; }
  [[nodiscard]] bool request_outstanding() const noexcept { return request_outstanding_; }

 private:
  AttBearer(Socket socket, GattServer& server, ConnState state, Options opts);
  void read_next();
  void on_pdu(std::size_t n);
  void enqueue(bytes pdu);
  void send_next();
  void next_indication();
  void end(std::error_code why);
  void arm(asio::steady_timer& t);

  struct Indication {
    bytes pdu;
    Completion done;
  };

  Socket socket_;
  GattServer& server_;
  ConnState state_;
  Options opts_;
  BearerStats stats_;
  std::array<std::uint8_t, 1024> rx_{};
  asio::socket_base::message_flags rx_flags_ = 0;
  std::deque<bytes> tx_;
  bool sending_ = false;
  bool closed_ = false;
  bool started_ = false;
  bool request_outstanding_ = false;
  std::uint64_t request_seq_ = 0;
  std::deque<Indication> indications_;  // front() is outstanding when indicating_
  bool indicating_ = false;
  asio::steady_timer request_timer_;
  asio::steady_timer indication_timer_;
  std::function<void(std::error_code)> on_closed_;
};

}  // namespace bcms::att
