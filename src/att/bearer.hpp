// AttBearer: one ATT bearer (Core v5.4 Vol 3 Part F 3.3) on an already
// open SOCK_SEQPACKET socket, carrying a server role, a client role, or
// both (roles.hpp).
//
// Design overview
//  * The socket is given, never opened here: in production an L2CAP LE
//    socket on the ATT fixed channel (CID 0x0004, src/l2cap/); in tests
//    one end of socketpair(AF_UNIX, SOCK_SEQPACKET).  One message is one
//    PDU.  A PDU longer than the receive buffer is detected (MSG_TRUNC),
//    counted, and handed on truncated: the server answers a request with
//    Invalid PDU (it is longer than ATT_MTU in any case).
//  * Dispatch by PDU kind (roles.hpp): requests and commands to the
//    server role, notifications and indications to the client role,
//    responses to the client request they answer, confirmations to the
//    indication they confirm.
//  * Sequential protocol (3.3.2), both ways: one request from the peer
//    outstanding (a second one is dropped and counted, as Zephyr does: an
//    answer would look like the answer to the first), one request of ours
//    outstanding (further ones wait in a queue), one indication of ours
//    outstanding (further ones wait; each completes on its confirmation).
//  * Every request from the peer is answered: a server role that answers
//    with an empty PDU (an internal failure) is replaced by Unlikely Error
//    and logged.
//  * Transaction timeout (3.3.3): a request of either side or an
//    indication not completed within the timeout (30 s) ends the bearer:
//    the socket is closed, everything pending fails with timed_out.
//  * Security (link_security.hpp): a server answer that carries a level
//    the request lacked makes the bearer raise the link's security after
//    that answer has been sent (Options::raise_security, on by default, as
//    BlueZ's server does), holding all further sends until the raise
//    completes.  A raise that has not completed after security_timeout
//    (SMP's 30 s, Vol 3 Part H 3.4), or that security_failed() reports as
//    failed, ends the bearer: the kernel would keep the channel in
//    BT_CONFIG for good.
//  * Outgoing PDUs go through one queue with one async_send in flight, so
//    responses, requests, notifications and indications never interleave.
//  * Owned through shared_ptr: pending reads, sends and timers keep it
//    alive; close() is idempotent and is also what the destructor does.
#pragma once

#include <asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <system_error>

#include "src/att/conn_state.hpp"
#include "src/att/roles.hpp"
#include "src/l2cap/socket.hpp"

namespace bcms::att {

struct BearerStats {
  std::uint64_t pdus_in = 0;
  std::uint64_t pdus_out = 0;
  std::uint64_t requests_while_busy = 0;   // dropped: a request was outstanding
  std::uint64_t unexpected_confirmations = 0;
  std::uint64_t unexpected_responses = 0;  // no request of ours, or the wrong opcode: dropped
  std::uint64_t unhandled = 0;             // no role for the PDU's kind: dropped
  std::uint64_t oversized = 0;             // longer than the receive buffer (MSG_TRUNC)
  std::uint64_t internal_errors = 0;       // empty server answers replaced by Unlikely Error
  std::uint64_t security_raises = 0;
  std::uint64_t security_failures = 0;
};

class AttBearer : public std::enable_shared_from_this<AttBearer> {
 public:
  using Socket = l2cap::Socket;
  using Completion = std::function<void(std::error_code)>;
  /// A response to one of our requests: the PDU as received (the expected
  /// response, or an ATT_ERROR_RSP for our request), or an error
  /// (timed_out, operation_aborted when the bearer ended first).
  using ResponseHandler = std::function<void(std::error_code, byte_span)>;
  struct Options {
    std::chrono::steady_clock::duration transaction_timeout = std::chrono::seconds(30);  // 3.3.3
    bool raise_security = true;
    std::chrono::steady_clock::duration security_timeout = std::chrono::seconds(30);     // Part H 3.4
  };

  static std::shared_ptr<AttBearer> create(Socket socket, ConnState state, Options opts);
  /// A bearer with a server role (the peripheral's).
  static std::shared_ptr<AttBearer> create(Socket socket, ServerRole& server, ConnState state, Options opts);
  static std::shared_ptr<AttBearer> create(Socket socket, ServerRole& server, ConnState state) {
    return create(std::move(socket), server, std::move(state), Options{});
  }
  ~AttBearer();
  AttBearer(const AttBearer&) = delete;
  AttBearer& operator=(const AttBearer&) = delete;

  /// Roles, set before start() (borrowed; they must outlive the bearer or
  /// be reset to nullptr first).
  void set_server(ServerRole* s) noexcept { server_ = s; }
  void set_client(ClientRole* c) noexcept { client_ = c; }

  /// Registers with the server role and starts reading.
  void start();
  /// Ends the bearer (idempotent): closes the socket, fails everything
  /// pending with asio::error::operation_aborted, tells the roles.
  void close();
  [[nodiscard]] bool usable() const noexcept { return !closed_; }

  // ---------------------------------------------------------- server side
  /// ATT_HANDLE_VALUE_NTF, the value cut to ATT_MTU-3 (3.4.7.1).
  std::error_code send_notification(std::uint16_t handle, byte_span value);
  /// ATT_HANDLE_VALUE_IND; `done` runs with {} on the confirmation, or
  /// with an error when the bearer ends first.
  void send_indication(std::uint16_t handle, bytes value, Completion done);

  // ---------------------------------------------------------- client side
  /// Sends a request; `done` gets its response (see ResponseHandler).
  void request(bytes pdu, ResponseHandler done);
  /// Any PDU, queued as is (commands, tests).
  std::error_code send_pdu(bytes pdu);

  /// Raises the link's security now (a client that wants it before a
  /// request); `done` runs when the raise completed or failed.
  void raise_security(SecurityLevel level, Completion done);
  /// The owner learnt that pairing/encryption failed (mgmt Authentication
  /// Failed): a raise in progress fails and the bearer ends.
  void security_failed(std::error_code why);

  /// Runs once, when the bearer ends (peer closed, error, timeout, close()).
  void on_closed(std::function<void(std::error_code)> cb) { on_closed_ = std::move(cb); }

  [[nodiscard]] ConnState& state() noexcept { return state_; }
  [[nodiscard]] const BearerStats& stats() const noexcept { return stats_; }
  [[nodiscard]] bool request_outstanding() const noexcept { return request_outstanding_; }
  [[nodiscard]] bool raising_security() const noexcept { return raising_; }

 private:
  AttBearer(Socket socket, ConnState state, Options opts);
  void read_next();
  void on_pdu(byte_span pdu);
  void on_peer_request(byte_span pdu);
  void on_response(byte_span pdu);
  void on_indication(byte_span pdu);
  void on_confirmation();
  void answer(std::uint8_t op, Response rsp);
  void next_request();
  void next_indication();
  struct Outgoing {
    bytes pdu;
    SecurityLevel raise_after = SecurityLevel::low;
  };
  void enqueue(Outgoing out);
  void send_next();
  void start_raise(SecurityLevel level, Completion done);
  void end(std::error_code why);
  void arm(asio::steady_timer& t, std::chrono::steady_clock::duration d, std::error_code why);

  struct Indication {
    bytes pdu;
    Completion done;
  };
  struct OwnRequest {
    bytes pdu;
    ResponseHandler done;
  };

  Socket socket_;
  ServerRole* server_ = nullptr;
  ClientRole* client_ = nullptr;
  ConnState state_;
  Options opts_;
  BearerStats stats_;
  std::array<std::uint8_t, 1024> rx_{};
  asio::socket_base::message_flags rx_flags_ = 0;  // out-flags of the last receive
  std::deque<Outgoing> tx_;
  bool sending_ = false;
  bool closed_ = false;
  bool started_ = false;
  // The peer's request being answered.
  bool request_outstanding_ = false;
  std::uint64_t request_seq_ = 0;
  asio::steady_timer request_timer_;
  // Our requests: front() is outstanding when awaiting_.
  std::deque<OwnRequest> own_requests_;
  bool awaiting_ = false;
  asio::steady_timer response_timer_;
  // Our indications: front() is outstanding when indicating_.
  std::deque<Indication> indications_;
  bool indicating_ = false;
  asio::steady_timer indication_timer_;
  // Security raise in progress: sends are held.
  bool raising_ = false;
  std::vector<Completion> raise_waiters_;
  asio::steady_timer security_timer_;
  std::function<void(std::error_code)> on_closed_;
};

}  // namespace bcms::att
