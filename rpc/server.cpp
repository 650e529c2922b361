#include "rpc/server.hpp"

#include <capnp/rpc-twoparty.h>
#include <sys/stat.h>

#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <filesystem>
#include <stdexcept>
#include <type_traits>

#include "rpc/asio_event_port.hpp"
#include "rpc/asio_stream.hpp"
#include "rpc/bcms_impl.hpp"

namespace bcms::rpc {

namespace {

[[noreturn]] void fail(const Endpoint& e, const std::string& why) {
  throw std::runtime_error("rpc: cannot listen on " + e.to_string() + ": " + why);
}

asio::ip::address listen_address(const Endpoint& e) {
  if (e.host == "localhost") return asio::ip::address_v4::loopback();
  std::error_code ec;
  auto a = asio::ip::make_address(e.host, ec);
  if (ec) fail(e, "the host must be a literal IP address or localhost");
  return a;
}

}  // namespace

struct Server::Impl {
  Impl(AsioEventPort& p, daemon::Service& service) : port(p), rpc(make_bcms(service, p.io())) {}

  AsioEventPort& port;
  capnp::TwoPartyServer rpc;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> tcp;
  std::vector<std::unique_ptr<asio::local::stream_protocol::acceptor>> unix_sockets;
  std::vector<std::string> unix_paths;  // removed on destruction
  std::uint64_t accepted = 0;
  std::shared_ptr<Impl*> self = std::make_shared<Impl*>(this);

  template <class Acceptor, class Stream>
  void accept(Acceptor& acceptor) {
    acceptor.async_accept([this, &acceptor, alive = self](std::error_code ec, typename Stream::socket_type socket) {
      if (*alive == nullptr || ec == asio::error::operation_aborted) return;
      if (!ec) {
        ++accepted;
        if constexpr (std::is_same_v<Acceptor, asio::ip::tcp::acceptor>) {
          std::error_code ignored;
          socket.set_option(asio::ip::tcp::no_delay(true), ignored);  // small request/answer messages
        }
        rpc.accept(kj::heap<Stream>(std::move(socket)));
      }
      accept<Acceptor, Stream>(acceptor);  // errors such as EMFILE: keep listening
    });
  }
};

Server::Server(AsioEventPort& port, daemon::Service& service, Options options)
    : impl_(std::make_unique<Impl>(port, service)) {
  for (const auto& text : options.listen) {
    auto parsed = Endpoint::parse(text);
    if (!parsed) throw std::runtime_error("rpc: " + parsed.error());
    const Endpoint& e = *parsed;
    if (e.kind == Endpoint::Kind::tcp) {
      auto addr = listen_address(e);
      if (!addr.is_loopback() && !options.allow_remote)
        fail(e, "not a loopback address, and the service has no authentication; "
                "allow it explicitly (rpc allow_remote) to serve other hosts");
      auto acc = std::make_unique<asio::ip::tcp::acceptor>(port.io());
      std::error_code ec;
      asio::ip::tcp::endpoint ep(addr, e.port);
      acc->open(ep.protocol(), ec);
      if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
      if (!ec) acc->bind(ep, ec);
      if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
      if (ec) fail(e, ec.message());
      impl_->tcp.push_back(std::move(acc));
    } else {
      namespace fs = std::filesystem;
      std::error_code fec;
      if (fs::is_socket(fs::symlink_status(e.path, fec))) {
        // Someone answering there is another daemon: never take its socket.
        asio::local::stream_protocol::socket probe(port.io());
        std::error_code pec;
        probe.connect(asio::local::stream_protocol::endpoint(e.path), pec);
        if (!pec) fail(e, "another process is listening there");
        fs::remove(e.path, fec);  // stale: left by a daemon that was killed
      }
      auto acc = std::make_unique<asio::local::stream_protocol::acceptor>(port.io());
      std::error_code ec;
      asio::local::stream_protocol::endpoint ep(e.path);
      acc->open(ep.protocol(), ec);
      // The socket file is created with the mode asked for, not wider for
      // a moment (one thread: the umask is ours while bind runs).
      mode_t old = ::umask(~static_cast<mode_t>(options.unix_mode) & 0777);
      if (!ec) acc->bind(ep, ec);
      ::umask(old);
      if (!ec && ::chmod(e.path.c_str(), static_cast<mode_t>(options.unix_mode)) != 0)
        ec = std::error_code(errno, std::system_category());
      if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
      if (ec) fail(e, ec.message());
      impl_->unix_paths.push_back(e.path);
      impl_->unix_sockets.push_back(std::move(acc));
    }
  }
  for (auto& a : impl_->tcp) impl_->accept<asio::ip::tcp::acceptor, TcpStream>(*a);
  for (auto& a : impl_->unix_sockets) impl_->accept<asio::local::stream_protocol::acceptor, UnixStream>(*a);
}

Server::~Server() {
  *impl_->self = nullptr;
  std::error_code ignored;
  for (auto& a : impl_->tcp) a->close(ignored);
  for (auto& a : impl_->unix_sockets) a->close(ignored);
  for (auto& p : impl_->unix_paths) std::filesystem::remove(p, ignored);
}

std::vector<Endpoint> Server::endpoints() const {
  std::vector<Endpoint> out;
  for (auto& a : impl_->tcp) {
    auto ep = a->local_endpoint();
    out.push_back({Endpoint::Kind::tcp, ep.address().to_string(), ep.port(), {}});
  }
  for (auto& p : impl_->unix_paths) out.push_back({Endpoint::Kind::unix_socket, {}, 0, p});
  return out;
}

std::uint64_t Server::accepted() const noexcept { return impl_->accepted; }

}  // namespace bcms::rpc
