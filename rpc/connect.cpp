#include "rpc/connect.hpp"

#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>

#include "rpc/asio_event_port.hpp"
#include "rpc/asio_stream.hpp"

namespace bcms::rpc {

expected<kj::Own<kj::AsyncIoStream>> connect(AsioEventPort& port, const Endpoint& endpoint) {
  std::error_code ec;
  if (endpoint.kind == Endpoint::Kind::unix_socket) {
    asio::local::stream_protocol::socket s(port.io());
    s.connect(asio::local::stream_protocol::endpoint(endpoint.path), ec);
    if (ec) return tl::unexpected(ec);
    return kj::Own<kj::AsyncIoStream>(kj::heap<UnixStream>(std::move(s)));
  }
  asio::ip::tcp::resolver resolver(port.io());
  auto results = resolver.resolve(endpoint.host, std::to_string(endpoint.port), ec);
  if (ec) return tl::unexpected(ec);
  asio::ip::tcp::socket s(port.io());
  asio::connect(s, results, ec);
  if (ec) return tl::unexpected(ec);
  s.set_option(asio::ip::tcp::no_delay(true), ec);
  return kj::Own<kj::AsyncIoStream>(kj::heap<TcpStream>(std::move(s)));
}

}  // namespace bcms::rpc
