// rpc::Server: the BCMS Cap'n Proto service (bcms_impl.hpp) on sockets of
// the daemon's asio loop.
//
// Listens on 127.0.0.1:4567 by default (the original's port), and on any
// further endpoints configured: "HOST:PORT" or "unix:PATH".  A TCP address
// that is not loopback is refused unless Options::allow_remote is set
// (the service has no authentication: anyone who can connect can pair and
// unpair).  A Unix socket is created with Options::unix_mode (0660 by
// default; 0600 for root only), a stale socket file at the path replaced.
// Each accepted connection is one Cap'n Proto two-party RPC session
// (TwoPartyServer) over an AsioStream, bootstrap capability BCMS.
//
// Construction throws std::runtime_error naming the endpoint when an
// endpoint is malformed, refused or cannot be bound (start-up errors).
#pragma once

#include <asio/io_context.hpp>

#include <memory>
#include <string>
#include <vector>

#include "rpc/endpoint.hpp"

namespace bcms::daemon {
class Service;
}

namespace bcms::rpc {

class AsioEventPort;

class Server {
 public:
  struct Options {
    std::vector<std::string> listen{std::string(default_endpoint)};
    /// Serve non-loopback TCP addresses (explicit configuration only).
    bool allow_remote = false;
    unsigned unix_mode = 0660;
  };

  /// `port` (the kj loop on `port.io()`) and `service` are borrowed.
  Server(AsioEventPort& port, daemon::Service& service, Options options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Where it listens, with the ports the kernel chose for port 0.
  [[nodiscard]] std::vector<Endpoint> endpoints() const;
  /// Connections accepted since start.
  [[nodiscard]] std::uint64_t accepted() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bcms::rpc
