#include "cli/gatt/session.hpp"

#include <asio/co_spawn.hpp>
#include <asio/signal_set.hpp>
#include <cerrno>
#include <cstdio>

#include "protocol/att/att_error.hpp"
#include "src/l2cap/socket.hpp"

namespace bcms::cli::gatt {

int failed(const std::string& what, std::error_code ec) {
  std::fprintf(stderr, "%s failed: %s\n", what.c_str(), ec.message().c_str());
  if (ec == std::errc::timed_out || ec == asio::error::timed_out || ec == asio::error::eof ||
      ec == asio::error::operation_aborted || ec == asio::error::not_connected ||
      ec == std::errc::connection_reset || ec == std::errc::host_unreachable)
    return kTimeout;
  return kRefused;
}

Link::~Link() {
  client.reset();
  if (bearer) bearer->close();
}

void async_open(asio::io_context& io, const Target& t,
                std::function<void(std::unique_ptr<Link>, std::optional<OpenFailure>)> done) {
  // Bound to the ATT CID: the kernel makes it a fixed channel (bound
  // without one, connect() to CID 4 fails with EINVAL).
  auto sock = l2cap::open_bound(io, l2cap::Endpoint{t.local, AddressType::le_public, 0, l2cap::att_cid});
  if (!sock) {
    const bool no_bt = sock.error() == std::errc::address_family_not_supported;
    done(nullptr, OpenFailure{"cannot open an L2CAP socket: " + sock.error().message() +
                                  (no_bt ? " (no Bluetooth in this kernel)" : ""),
                              no_bt ? kUnavailable : kRefused});
    return;
  }
  if (t.security > att::SecurityLevel::low) {
    if (auto ec = l2cap::set_security(sock->native_handle(), t.security)) {
      done(nullptr, OpenFailure{"cannot set the security level: " + ec.message(), kRefused});
      return;
    }
  }
  auto socket = std::make_shared<l2cap::Socket>(std::move(*sock));
  const std::string peer = t.peer.to_string();
  l2cap::async_connect(*socket, l2cap::Endpoint{t.peer.addr, t.peer.type, 0, l2cap::att_cid}, t.timeout,
                       [socket, peer, t, done = std::move(done)](std::error_code ec) {
                         if (ec) {
                           const bool timed_out = ec == std::errc::timed_out || ec == asio::error::timed_out;
                           done(nullptr, OpenFailure{"connecting to " + peer + " failed: " + ec.message(),
                                                     timed_out ? kTimeout : kRefused});
                           return;
                         }
                         auto link = std::make_unique<Link>();
                         const int fd = socket->native_handle();
                         att::ConnState st;
                         st.id = 1;
                         st.peer = t.peer;
                         link->security = std::make_unique<att::SocketLinkSecurity>(fd);
                         st.security = link->security.get();
                         att::AttBearer::Options o;
                         o.raise_security = false;  // the client raises on its own refusals (GattClient)
                         link->bearer = att::AttBearer::create(std::move(*socket), std::move(st), o);
                         link->client = std::make_unique<att::GattClient>(link->bearer);
                         done(std::move(link), std::nullopt);
                       });
}

std::unique_ptr<Session> Session::connect(const Target& t, int& exit_code) {
  std::unique_ptr<Session> s(new Session());
  std::optional<OpenFailure> failure;
  bool finished = false;
  async_open(s->io_, t, [&](std::unique_ptr<Link> link, std::optional<OpenFailure> f) {
    finished = true;
    s->link_ = std::move(link);
    failure = std::move(f);
  });
  while (!finished && s->io_.run_one()) {
  }
  if (!finished || failure) {
    std::fprintf(stderr, "%s\n", failure ? failure->text.c_str() : "connecting failed");
    exit_code = failure ? failure->exit_code : kRefused;
    return nullptr;
  }
  s->io_.restart();
  Session* raw = s.get();
  s->client_ = s->link_->client.get();
  s->link_->bearer->on_closed([raw](std::error_code why) {
    raw->closed_ = true;
    raw->closed_why_ = why;
  });
  s->link_->bearer->start();
  if (t.mtu) {
    const int rc = s->run([&t](att::GattClient& c) -> asio::awaitable<int> {
      auto m = co_await c.exchange_mtu(*t.mtu);
      if (!m) co_return failed("Exchange MTU", m.error());
      co_return kOk;
    });
    if (rc != kOk) {
      exit_code = rc;
      return nullptr;
    }
  }
  exit_code = kOk;
  return s;
}

Session::~Session() {
  link_.reset();
  io_.poll();
}

int Session::run(std::function<asio::awaitable<int>(att::GattClient&)> procedure) {
  std::optional<int> rc;
  asio::co_spawn(io_, procedure(*client_), [&rc](std::exception_ptr e, int r) { rc = e ? kRefused : r; });
  while (!rc && io_.run_one()) {
  }
  io_.restart();
  return rc.value_or(kTimeout);
}

int Session::run_until_signal() {
  asio::signal_set signals(io_, SIGINT, SIGTERM);
  bool stop = false;
  signals.async_wait([&stop](std::error_code, int) { stop = true; });
  while (!stop && !closed_ && io_.run_one()) {
  }
  if (closed_ && !stop) {
    std::fprintf(stderr, "disconnected: %s\n", closed_why_.message().c_str());
    return kTimeout;
  }
  return kOk;
}

}  // namespace bcms::cli::gatt
