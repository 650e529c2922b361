// Rigs for the GattClient engine tests: the client against our GattServer
// (Pair) or against a scripted peer on the other end of a socketpair
// (Scripted), both on one asio loop driven by run().
#pragma once

#include <doctest/doctest.h>

#include <poll.h>

#include <asio/co_spawn.hpp>
#include <functional>

#include "src/att/gatt_client.hpp"
#include "tests/engine/gatt_fixture.hpp"

namespace bcms::att::test {

inline AttBearer::Socket wrap(asio::io_context& io, int fd) {
  return AttBearer::Socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), fd);
}

/// Runs `aw` on `io` to completion, calling `tick` between loop turns (the
/// scripted peer).
template <class T>
T run(asio::io_context& io, asio::awaitable<T> aw, const std::function<void()>& tick = {}) {
  std::optional<T> result;
  asio::co_spawn(io, std::move(aw), [&](std::exception_ptr, T r) { result = std::move(r); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!result && std::chrono::steady_clock::now() < deadline) {
    io.poll();
    io.restart();
    if (tick) tick();
  }
  REQUIRE(result);
  return std::move(*result);
}

/// Turns the loop `n` times (or until `done`).
inline void spin(asio::io_context& io, int n, const std::function<bool()>& done = {}) {
  for (int i = 0; i < n && !(done && done()); ++i) {
    io.poll();
    io.restart();
  }
}

/// Client and our GattServer, one bearer each, on one loop.  Each side
/// has its own link security (the test decides what they agree on).
struct Pair {
  asio::io_context io;
  Hooks hooks;
  GattDb db;
  GattServer server{db};
  StaticLinkSecurity server_security, client_security;
  std::shared_ptr<AttBearer> server_bearer, client_bearer;
  std::unique_ptr<GattClient> client;
  explicit Pair(const std::function<void(ConnState& server, ConnState& client)>& setup = {}) {
    build_test_db(db, hooks);
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    ConnState s;
    s.id = 1;
    ConnState c;
    c.id = 2;
    if (setup) setup(s, c);
    server_bearer = AttBearer::create(wrap(io, sv[0]), server, std::move(s));
    client_bearer = AttBearer::create(wrap(io, sv[1]), std::move(c), AttBearer::Options{});
    client = std::make_unique<GattClient>(client_bearer);
    server_bearer->start();
    client_bearer->start();
  }
  ~Pair() {
    client.reset();
    client_bearer->close();
    server_bearer->close();
  }
};

/// Client against a script: `answer` maps each request to what the peer
/// sends back (several PDUs, none, or an empty PDU: hang up).
struct Scripted {
  asio::io_context io;
  int peer = -1;
  StaticLinkSecurity security;
  std::shared_ptr<AttBearer> bearer;
  std::unique_ptr<GattClient> client;
  std::function<std::vector<bytes>(const bytes&)> answer;
  std::vector<bytes> requests;
  /// `with_security`: the client's bearer has a raisable link (`security`).
  explicit Scripted(AttBearer::Options o = {}, bool with_security = false) {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    peer = sv[1];
    ConnState c;
    c.id = 1;
    if (with_security) c.security = &security;
    bearer = AttBearer::create(wrap(io, sv[0]), std::move(c), o);
    client = std::make_unique<GattClient>(bearer);
    bearer->start();
  }
  ~Scripted() {
    client.reset();
    bearer->close();
    if (peer >= 0) ::close(peer);
  }
  void send(const bytes& out) const {
    REQUIRE(::send(peer, out.data(), out.size(), 0) == static_cast<ssize_t>(out.size()));
  }
  void tick() {
    if (peer < 0) return;
    pollfd p{peer, POLLIN, 0};
    if (::poll(&p, 1, 1) <= 0) return;
    bytes b(1024);
    const auto n = ::recv(peer, b.data(), b.size(), MSG_DONTWAIT);
    if (n <= 0) return;
    b.resize(static_cast<std::size_t>(n));
    requests.push_back(b);
    if (!answer) return;
    for (const auto& out : answer(b)) {
      if (out.empty()) {  // hang up
        ::close(peer);
        peer = -1;
        return;
      }
      send(out);
    }
  }
  template <class T>
  T go(asio::awaitable<T> aw) {
    return run(io, std::move(aw), [this] { tick(); });
  }
  /// Requests of opcode `op` the peer received.
  [[nodiscard]] std::size_t count(std::uint8_t op) const {
    std::size_t n = 0;
    for (const auto& r : requests) n += r.at(0) == op;
    return n;
  }
};

/// An ATT Error Response to `req` (its opcode and first handle).
inline bytes error_for(const bytes& req, att_errc e) {
  return B({0x01, req.at(0), req.size() > 2 ? req[1] : 0, req.size() > 2 ? req[2] : 0, static_cast<int>(e)});
}

}  // namespace bcms::att::test
