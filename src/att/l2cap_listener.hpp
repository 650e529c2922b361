// L2capListener: the production source of ATT bearers.  Listens on the
// LE ATT fixed channel (CID 0x0004, Core v5.4 Vol 3 Part A 2.1) of an
// L2CAP socket and hands out accepted connections as asio sockets with
// the peer's address, ready for Peripheral::attach / AttBearer.
//
//   socket(AF_BLUETOOTH, SOCK_SEQPACKET, BTPROTO_L2CAP)
//   bind(struct sockaddr_l2 { l2_family = AF_BLUETOOTH, l2_psm = 0,
//        l2_bdaddr = local (or any), l2_cid = htobs(4),
//        l2_bdaddr_type = BDADDR_LE_PUBLIC })
//   listen(); accept() -> one socket per connected LE central
//
// The kernel structures and constants are defined here (no libbluetooth).
#pragma once

#include <array>
#include <asio/generic/seq_packet_protocol.hpp>
#include <asio/io_context.hpp>
#include <asio/basic_socket_acceptor.hpp>
#include <functional>
#include <memory>

#include "protocol/address.hpp"
#include "protocol/expected.hpp"
#include "src/att/bearer.hpp"

namespace bcms::att {

inline constexpr int af_bluetooth = 31;      // AF_BLUETOOTH
inline constexpr int btproto_l2cap = 0;      // BTPROTO_L2CAP
inline constexpr std::uint16_t att_cid = 0x0004;

/// struct sockaddr_l2 as the kernel lays it out (14 octets).
std::array<std::uint8_t, 14> make_sockaddr_l2(const Address& addr, AddressType type, std::uint16_t cid,
                                              std::uint16_t psm = 0);
/// The address and type in a sockaddr_l2 (from accept or getpeername).
bool parse_sockaddr_l2(const void* sa, std::size_t len, Address& addr, AddressType& type);

class L2capListener {
 public:
  struct Accepted {
    AttBearer::Socket socket;
    Address peer;
    AddressType peer_type;
  };
  using Acceptor = asio::basic_socket_acceptor<asio::generic::seq_packet_protocol>;

  /// Opens, binds to the ATT channel of `local` (all-zero: any adapter)
  /// and listens.  Fails with the errno of the step that failed (e.g.
  /// EAFNOSUPPORT on kernels without Bluetooth).
  static expected<std::unique_ptr<L2capListener>> open(asio::io_context& io, const Address& local = {},
                                                       AddressType type = AddressType::le_public);

  /// Accepts the next connection.
  void async_accept(std::function<void(std::error_code, Accepted)> handler);
  void close();

 private:
  explicit L2capListener(Acceptor a) : acceptor_(std::move(a)) {}
  Acceptor acceptor_;
};

}  // namespace bcms::att
