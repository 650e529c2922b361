// The two roles an ATT bearer carries (Core v5.4 Vol 3 Part F 3.3: "a
// device can be both client and server at the same time on one bearer").
// AttBearer dispatches by PDU kind, as NimBLE's ble_att.c and BTstack's
// att_dispatch.c do: requests and commands go to the server role;
// responses, notifications and indications to the client role (responses
// through the bearer's own request/response matching); confirmations are
// the bearer's (they complete its indications).
#pragma once

#include <cstdint>
#include <functional>
#include <system_error>

#include "protocol/bytes.hpp"
#include "src/att/conn_state.hpp"
#include "src/att/link_security.hpp"

namespace bcms::att {

/// A server's answer to one request: the PDU, and the security level the
/// request lacked (low: none), which the bearer asks the link for after the
/// PDU has been sent, so that the client can retry (Vol 3 Part C 10.3.2).
struct Response {
  bytes pdu;
  SecurityLevel raise_to = SecurityLevel::low;
};

class ServerRole {
 public:
  using Respond = std::function<void(Response)>;
  virtual ~ServerRole() = default;
  /// A connection starts / ends.
  virtual void connect(ConnState& conn) = 0;
  virtual void disconnect(ConnState& conn) = 0;
  /// One request (respond exactly once, now or later) or command
  /// (`respond` is empty: never answered, Vol 3 Part F 3.3).
  virtual void handle(byte_span pdu, ConnState& conn, Respond respond) = 0;
  /// The link's security changed (e.g. it became encrypted).
  virtual void security_changed(ConnState&) {}
};

class ClientRole {
 public:
  virtual ~ClientRole() = default;
  /// ATT_HANDLE_VALUE_NTF (3.4.7.1).
  virtual void on_notification(std::uint16_t handle, byte_span value) = 0;
  /// ATT_HANDLE_VALUE_IND (3.4.7.2); the bearer sends the confirmation
  /// after this returns.
  virtual void on_indication(std::uint16_t handle, byte_span value) = 0;
  /// The bearer ended.
  virtual void on_bearer_closed(std::error_code) {}
};

}  // namespace bcms::att
