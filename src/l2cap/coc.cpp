#include "src/l2cap/coc.hpp"

#include <cerrno>

namespace bcms::l2cap {

void connect_coc(asio::io_context& io, const Endpoint& local, const Endpoint& remote, std::uint16_t receive_mtu,
                 std::chrono::steady_clock::duration timeout, ConnectHandler done) {
  auto fail = [&io, &done](std::error_code ec) {
    asio::post(io, [&io, done = std::move(done), ec]() mutable { done(ec, Socket(io)); });
  };
  if (remote.psm == 0 || receive_mtu < min_coc_mtu) return fail(std::make_error_code(std::errc::invalid_argument));
  auto opened = open_bound(io, local);
  if (!opened) return fail(opened.error());
  auto socket = std::make_shared<Socket>(std::move(*opened));
  const int fd = socket->native_handle();
  // After bind: the kernel takes le_flowctl only on an LE-bound socket.  A
  // kernel without BT_MODE (ENOPROTOOPT: enable_ecred off) makes every LE
  // socket with a PSM le_flowctl at bind/connect anyway.
  if (auto ec = set_mode(fd, Mode::le_flowctl); ec && ec.value() != ENOPROTOOPT) return fail(ec);
  if (auto ec = set_receive_mtu(fd, receive_mtu)) return fail(ec);
  async_connect(*socket, remote, timeout, [socket, done = std::move(done)](std::error_code ec) mutable {
    done(ec, std::move(*socket));
  });
}

expected<std::unique_ptr<Listener>> listen_coc(asio::io_context& io, const Endpoint& local,
                                               std::uint16_t receive_mtu) {
  if (local.psm == 0 || receive_mtu < min_coc_mtu) return unexpected(std::make_error_code(std::errc::invalid_argument));
  ListenOptions opts;
  opts.mode = Mode::le_flowctl;
  opts.receive_mtu = receive_mtu;
  return Listener::open(io, local, opts);
}

}  // namespace bcms::l2cap
