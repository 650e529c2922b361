#include "src/att/l2cap_listener.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bcms::att {

std::array<std::uint8_t, 14> make_sockaddr_l2(const Address& addr, AddressType type, std::uint16_t cid,
                                              std::uint16_t psm) {
  // sa_family_t l2_family; unsigned short l2_psm (LE); bdaddr_t l2_bdaddr
  // (wire order); unsigned short l2_cid (LE, htobs); uint8_t l2_bdaddr_type;
  // one octet of tail padding.
  std::array<std::uint8_t, 14> sa{};
  const auto family = static_cast<sa_family_t>(af_bluetooth);
  std::memcpy(sa.data(), &family, sizeof(family));
  sa[2] = static_cast<std::uint8_t>(psm);
  sa[3] = static_cast<std::uint8_t>(psm >> 8);
  std::memcpy(sa.data() + 4, addr.b.data(), 6);
  sa[10] = static_cast<std::uint8_t>(cid);
  sa[11] = static_cast<std::uint8_t>(cid >> 8);
  sa[12] = static_cast<std::uint8_t>(type);  // BDADDR_BREDR 0, LE_PUBLIC 1, LE_RANDOM 2
  return sa;
}

bool parse_sockaddr_l2(const void* sa, std::size_t len, Address& addr, AddressType& type) {
  if (len < 13) return false;
  const auto* p = static_cast<const std::uint8_t*>(sa);
  sa_family_t family = 0;
  std::memcpy(&family, p, sizeof(family));
  if (family != af_bluetooth || p[12] > 2) return false;
  std::memcpy(addr.b.data(), p + 4, 6);
  type = static_cast<AddressType>(p[12]);
  return true;
}

expected<std::unique_ptr<L2capListener>> L2capListener::open(asio::io_context& io, const Address& local,
                                                             AddressType type) {
  const int fd = ::socket(af_bluetooth, SOCK_SEQPACKET | SOCK_CLOEXEC, btproto_l2cap);
  if (fd < 0) return unexpected(std::error_code(errno, std::system_category()));
  auto sa = make_sockaddr_l2(local, type, att_cid);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(sa.data()), sa.size()) < 0 || ::listen(fd, 8) < 0) {
    std::error_code ec(errno, std::system_category());
    ::close(fd);
    return unexpected(ec);
  }
  Acceptor acceptor(io);
  std::error_code ec;
  acceptor.assign(asio::generic::seq_packet_protocol(af_bluetooth, btproto_l2cap), fd, ec);
  if (ec) {
    ::close(fd);
    return unexpected(ec);
  }
  return std::unique_ptr<L2capListener>(new L2capListener(std::move(acceptor)));
}

void L2capListener::async_accept(std::function<void(std::error_code, Accepted)> handler) {
  auto peer = std::make_shared<asio::generic::seq_packet_protocol::endpoint>();
  acceptor_.async_accept(*peer, [peer, handler = std::move(handler)](std::error_code ec,
                                                                      AttBearer::Socket socket) mutable {
    Accepted a{std::move(socket), Address{}, AddressType::le_public};
    if (!ec && !parse_sockaddr_l2(peer->data(), peer->size(), a.peer, a.peer_type))
      ec = std::make_error_code(std::errc::address_family_not_supported);
    handler(ec, std::move(a));
  });
}

void L2capListener::close() {
  std::error_code ignored;
  acceptor_.close(ignored);
}

}  // namespace bcms::att
