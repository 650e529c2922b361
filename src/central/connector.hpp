// The L2CAP connect, injected into the ConnectionManager (DESIGN.md
// practice 1: engines never open sockets).  Production: L2capConnector
// opens an L2CAP LE socket bound to the controller's address on the ATT
// fixed channel and connects it to the peer's ATT channel (the kernel
// creates the LE connection on connect(), src/l2cap/socket.hpp); tests
// give one end of a socketpair(AF_UNIX, SOCK_SEQPACKET).
#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>

#include "protocol/address.hpp"
#include "protocol/expected.hpp"
#include "src/l2cap/socket.hpp"

namespace bcms::central {

class Connector {
 public:
  /// The connected socket, or the connect's error.
  using Done = std::function<void(expected<l2cap::Socket>)>;
  /// One connection attempt.  Destroying it cancels the attempt (the
  /// socket is closed: the kernel cancels the LE connection it was
  /// creating); `done` may still run afterwards, with an error.
  class Attempt {
   public:
    virtual ~Attempt() = default;
  };
  virtual ~Connector() = default;
  /// Starts connecting to `peer`'s ATT channel; `done` runs at most once,
  /// on the connector's executor, never inside this call.
  virtual std::unique_ptr<Attempt> connect(const Peer& peer, std::chrono::steady_clock::duration timeout,
                                           Done done) = 0;
};

/// The production connector: open_bound(local, CID 4) + async_connect.
class L2capConnector final : public Connector {
 public:
  /// `local`: the controller's own (public or static) address; the kernel
  /// picks the controller by it.
  L2capConnector(asio::io_context& io, Address local, AddressType local_type = AddressType::le_public)
      : io_(io), local_(local), local_type_(local_type) {}
  std::unique_ptr<Attempt> connect(const Peer& peer, std::chrono::steady_clock::duration timeout,
                                   Done done) override;

 private:
  asio::io_context& io_;
  Address local_;
  AddressType local_type_;
};

}  // namespace bcms::central
