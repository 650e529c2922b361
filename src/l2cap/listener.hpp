// Listener: accepts L2CAP LE channels on a PSM (credit-based channels,
// Core v5.4 Vol 3 Part A 4.22) or a fixed CID (the ATT channel 0x0004,
// Part A 2.1) and hands them out as asio sockets with the peer's endpoint.
//
//   socket(AF_BLUETOOTH, SOCK_SEQPACKET, BTPROTO_L2CAP)
//   bind(sockaddr_l2 { local address and type, psm or cid })
//   [setsockopt BT_MODE / BT_RCVMTU for a CoC: after bind, the kernel
//    takes le_flowctl only on an LE-bound socket]; listen()
//   accept() -> one socket per channel
#pragma once

#include <asio/basic_socket_acceptor.hpp>
#include <asio/io_context.hpp>
#include <functional>
#include <memory>
#include <optional>

#include "protocol/expected.hpp"
#include "src/l2cap/socket.hpp"

namespace bcms::l2cap {

struct ListenOptions {
  /// For a PSM: BT_MODE (le_flowctl for LE CoC) and our receive MTU
  /// (BT_RCVMTU); ignored on a fixed channel.
  std::optional<Mode> mode{};
  std::optional<std::uint16_t> receive_mtu{};
  int backlog = 8;
};

class Listener {
 public:
  struct Accepted {
    Socket socket;
    Endpoint peer;
  };
  using Acceptor = asio::basic_socket_acceptor<Protocol>;

  /// Opens, binds to `local` (its psm or cid) and listens.
  static expected<std::unique_ptr<Listener>> open(asio::io_context& io, const Endpoint& local,
                                                  const ListenOptions& opts = {});
  /// The ATT fixed channel of `local` (address may be all-zero: any).
  static expected<std::unique_ptr<Listener>> open_att(asio::io_context& io, const Address& local = {},
                                                      AddressType type = AddressType::le_public);

  /// Accepts the next channel.
  void async_accept(std::function<void(std::error_code, Accepted)> handler);
  void close();

 private:
  explicit Listener(Acceptor a) : acceptor_(std::move(a)) {}
  Acceptor acceptor_;
};

}  // namespace bcms::l2cap
