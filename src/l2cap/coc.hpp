// Opening LE credit-based channels (Core v5.4 Vol 3 Part A 4.22-4.23,
// 10.1): the socket options the kernel wants before connect() or listen(),
// then the sockets that Channel (channel.hpp) takes.
//
//   connect: socket(); bind(local); setsockopt(BT_MODE, le_flowctl);
//            setsockopt(BT_RCVMTU, mtu); connect(remote with psm)
//            -> the kernel sends LE Credit Based Connection Request (creating
//            the LE link first when there is none); done when the Response
//            accepted it.
//   listen:  Listener::open(local with psm, {le_flowctl, mtu}) and accept().
//
// The kernel picks MPS and the initial credits; BT_SNDMTU of the connected
// socket is the peer's MTU.  BT_MODE is set after bind: the kernel accepts
// le_flowctl only on a socket bound to an LE address type.
#pragma once

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "src/l2cap/listener.hpp"
#include "src/l2cap/socket.hpp"

namespace bcms::l2cap {

/// The LE CoC MTU range: at least 23 octets (Part A 4.22), at most 65535.
inline constexpr std::uint16_t min_coc_mtu = 23;

using ConnectHandler = std::function<void(std::error_code, Socket)>;

/// Opens a socket bound to `local`, sets le_flowctl and `receive_mtu`, and
/// connects to `remote` (its psm); `done` runs once, from the loop, with
/// the connected socket, or the error (of a socket option, the connect
/// error, bcms::timeout_error()).
void connect_coc(asio::io_context& io, const Endpoint& local, const Endpoint& remote, std::uint16_t receive_mtu,
                 std::chrono::steady_clock::duration timeout, ConnectHandler done);

/// connect_coc with a completion token: void(std::error_code, Socket),
/// e.g. asio::use_awaitable with as_tuple.
template <class Token>
auto async_connect_coc(asio::io_context& io, const Endpoint& local, const Endpoint& remote,
                       std::uint16_t receive_mtu, std::chrono::steady_clock::duration timeout, Token&& token) {
  return asio::async_initiate<Token, void(std::error_code, Socket)>(
      [&io, local, remote, receive_mtu, timeout](auto handler) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        connect_coc(io, local, remote, receive_mtu, timeout, [h](std::error_code ec, Socket s) { (*h)(ec, std::move(s)); });
      },
      token);
}

/// A listener for LE credit-based channels on `local.psm`, announcing
/// `receive_mtu`.
expected<std::unique_ptr<Listener>> listen_coc(asio::io_context& io, const Endpoint& local,
                                               std::uint16_t receive_mtu);

}  // namespace bcms::l2cap
