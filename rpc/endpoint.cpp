#include "rpc/endpoint.hpp"

#include <asio/ip/address.hpp>

#include <charconv>

namespace bcms::rpc {

expected<Endpoint, std::string> Endpoint::parse(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return tl::unexpected(std::string("rpc endpoint '") + std::string(text) + "': " + std::string(why));
  };
  Endpoint e;
  if (text.starts_with("unix:")) {
    e.kind = Kind::unix_socket;
    e.path = std::string(text.substr(5));
    if (e.path.empty()) return bad("no socket path after 'unix:'");
    return e;
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("expected HOST:PORT or unix:PATH");
  std::string_view host = text.substr(0, colon), port = text.substr(colon + 1);
  if (host.starts_with('[')) {
    if (!host.ends_with(']')) return bad("unbalanced '[' in the host");
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return bad("an IPv6 address is written in brackets: [::1]:4567");
  }
  if (host.empty()) return bad("no host before the port");
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value > 65535)
    return bad("the port is not a number from 0 to 65535");
  e.host = std::string(host);
  e.port = static_cast<std::uint16_t>(value);
  return e;
}

bool Endpoint::is_local() const {
  if (kind == Kind::unix_socket) return true;
  if (host == "localhost") return true;
  std::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  return !ec && addr.is_loopback();
}

std::string Endpoint::to_string() const {
  if (kind == Kind::unix_socket) return "unix:" + path;
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

}  // namespace bcms::rpc
