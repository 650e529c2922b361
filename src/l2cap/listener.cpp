#include "src/l2cap/listener.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include "protocol/sys_error.hpp"

namespace bcms::l2cap {

expected<std::unique_ptr<Listener>> Listener::open(asio::io_context& io, const Endpoint& local,
                                                   const ListenOptions& opts) {
  const int fd = ::socket(af_bluetooth, SOCK_SEQPACKET | SOCK_CLOEXEC, btproto_l2cap);
  if (fd < 0) return unexpected(errno_code());
  auto fail = [fd](std::error_code ec) {
    ::close(fd);
    return unexpected(ec);
  };
  const SockaddrL2 sa = encode_sockaddr(local);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(sa.data()), sa.size()) != 0) return fail(errno_code());
  // After bind: the kernel's l2cap_set_mode() takes le_flowctl only on a
  // socket bound to an LE address type (EINVAL before bind).
  if (local.psm != 0) {
    if (opts.mode)
      if (auto ec = set_mode(fd, *opts.mode)) return fail(ec);
    if (opts.receive_mtu)
      if (auto ec = set_receive_mtu(fd, *opts.receive_mtu)) return fail(ec);
  }
  if (::listen(fd, opts.backlog) != 0) return fail(errno_code());
  Acceptor acceptor(io);
  std::error_code ec;
  acceptor.assign(Protocol(af_bluetooth, btproto_l2cap), fd, ec);
  if (ec) return fail(ec);
  return std::unique_ptr<Listener>(new Listener(std::move(acceptor)));
}

expected<std::unique_ptr<Listener>> Listener::open_att(asio::io_context& io, const Address& local, AddressType type) {
  return open(io, Endpoint{local, type, 0, att_cid});
}

void Listener::async_accept(std::function<void(std::error_code, Accepted)> handler) {
  auto peer = std::make_shared<Protocol::endpoint>();
  acceptor_.async_accept(*peer, [peer, handler = std::move(handler)](std::error_code ec, Socket socket) mutable {
    Accepted a{std::move(socket), Endpoint{}};
    if (!ec && !decode_sockaddr(peer->data(), peer->size(), a.peer))
      ec = errno_code(EAFNOSUPPORT);
    handler(ec, std::move(a));
  });
}

void Listener::close() {
  std::error_code ignored;
  acceptor_.close(ignored);
}

}  // namespace bcms::l2cap
