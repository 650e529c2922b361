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

std::unique_ptr<Session> Session::connect(const Target& t, int& exit_code) {
  std::unique_ptr<Session> s(new Session());
  // Bound to the ATT CID: the kernel makes it a fixed channel (bound
  // without one, connect() to CID 4 fails with EINVAL).
  auto sock = l2cap::open_bound(s->io_, l2cap::Endpoint{t.local, AddressType::le_public, 0, l2cap::att_cid});
  if (!sock) {
    std::fprintf(stderr, "cannot open an L2CAP socket: %s%s\n", sock.error().message().c_str(),
                 sock.error() == std::errc::address_family_not_supported ? " (no Bluetooth in this kernel)" : "");
    exit_code = sock.error() == std::errc::address_family_not_supported ? kUnavailable : kRefused;
    return nullptr;
  }
  const int fd = sock->native_handle();
  if (t.security > att::SecurityLevel::low) {
    // Before connect: the kernel encrypts (or pairs) as the link comes up.
    if (auto ec = l2cap::set_security(fd, t.security)) {
      std::fprintf(stderr, "cannot set the security level: %s\n", ec.message().c_str());
      exit_code = kRefused;
      return nullptr;
    }
  }
  std::optional<std::error_code> result;
  l2cap::async_connect(*sock, l2cap::Endpoint{t.peer.addr, t.peer.type, 0, l2cap::att_cid}, t.timeout,
                       [&](std::error_code ec) { result = ec; });
  while (!result && s->io_.run_one()) {
  }
  if (!result || *result) {
    const std::error_code ec = result.value_or(asio::error::operation_aborted);
    std::fprintf(stderr, "connecting to %s failed: %s\n", t.peer.to_string().c_str(), ec.message().c_str());
    exit_code = ec == std::errc::timed_out || ec == asio::error::timed_out ? kTimeout : kRefused;
    return nullptr;
  }
  s->io_.restart();
  att::ConnState st;
  st.id = 1;
  st.peer = t.peer;
  s->security_ = std::make_unique<att::SocketLinkSecurity>(fd);
  st.security = s->security_.get();
  att::AttBearer::Options o;
  o.raise_security = false;  // a client raises on its own errors (below)
  s->bearer_ = att::AttBearer::create(std::move(*sock), std::move(st), o);
  Session* raw = s.get();
  s->bearer_->on_closed([raw](std::error_code why) {
    raw->closed_ = true;
    raw->closed_why_ = why;
  });
  s->client_ = std::make_unique<att::GattClient>(s->bearer_);
  s->bearer_->start();
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
  client_.reset();
  if (bearer_) bearer_->close();
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
