// Where the BCMS RPC service listens and where the CLI connects:
//   "127.0.0.1:4567", "[::1]:4567", "localhost:4567"   TCP
//   "unix:/run/bcms/bcms.sock"                         a Unix stream socket
// One parser for the daemon's --rpc-listen and the CLI's --connect.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/expected.hpp"

namespace bcms::rpc {

inline constexpr std::string_view default_endpoint = "127.0.0.1:4567";

struct Endpoint {
  enum class Kind { tcp, unix_socket };
  Kind kind = Kind::tcp;
  std::string host;  // tcp: a name or a literal address (brackets removed)
  std::uint16_t port = 0;  // 0 when listening: the kernel picks one (Server::endpoints() says which)
  std::string path;  // unix_socket

  /// The error text names what is wrong ("rpc endpoint 'x': ...").
  static expected<Endpoint, std::string> parse(std::string_view text);
  /// tcp: true for "localhost" and literal loopback addresses (127/8, ::1);
  /// unix sockets are local.
  [[nodiscard]] bool is_local() const;
  [[nodiscard]] std::string to_string() const;
};

}  // namespace bcms::rpc
