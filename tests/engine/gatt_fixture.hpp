// A socketpair rig around AttBearer + GattServer over the database of
// gatt_test_db.hpp: the test plays the client on the other end.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <chrono>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

#include "src/att/bearer.hpp"
#include "src/att/gatt_server.hpp"
#include "tests/engine/gatt_test_db.hpp"

namespace bcms::att::test {

/// Octets written as a list of ints: B({0x0A, 0x03, 0x00}).
inline bytes B(std::initializer_list<int> v) {
  bytes b;
  for (int x : v) b.push_back(static_cast<std::uint8_t>(x));
  return b;
}

/// A bearer on one end of socketpair(AF_UNIX, SOCK_SEQPACKET); the test
/// plays the client on the other end.
struct Rig {
  asio::io_context io;
  Hooks hooks;
  GattDb db;
  std::unique_ptr<GattServer> server;
  StaticLinkSecurity security;
  std::shared_ptr<AttBearer> bearer;
  int peer = -1;

  explicit Rig(ServerOptions so = {}, AttBearer::Options bo = {}, bool start = true) {
    build_test_db(db, hooks);
    server = std::make_unique<GattServer>(db, so);
    if (start) connect(bo);
  }
  ~Rig() {
    if (bearer) bearer->close();
    if (peer >= 0) ::close(peer);
  }

  void connect(AttBearer::Options bo = {}, ConnState st = {}) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) throw std::system_error(errno, std::system_category());
    if (peer >= 0) ::close(peer);
    peer = sv[1];
    AttBearer::Socket s(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), sv[0]);
    st.security = &security;
    if (st.id == 0) st.id = 1;
    bearer = AttBearer::create(std::move(s), *server, std::move(st), bo);
    bearer->start();
  }

  void send(const bytes& pdu) const {
    if (::send(peer, pdu.data(), pdu.size(), 0) != static_cast<ssize_t>(pdu.size())) throw std::runtime_error("send");
  }
  /// Runs the loop until the client end has a PDU, or `wait` passes.
  std::optional<bytes> receive(std::chrono::milliseconds wait = std::chrono::milliseconds(1000)) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      io.poll();
      io.restart();
      pollfd p{peer, POLLIN, 0};
      if (::poll(&p, 1, 1) > 0 && (p.revents & (POLLIN | POLLHUP))) {
        bytes b(2048);
        ssize_t n = ::recv(peer, b.data(), b.size(), MSG_DONTWAIT);
        if (n > 0) {
          b.resize(static_cast<std::size_t>(n));
          return b;
        }
        if (n == 0) return std::nullopt;  // bearer closed
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    }
  }
  std::optional<bytes> exchange(const bytes& req) {
    send(req);
    return receive();
  }
  /// True when the bearer's end is closed (the client reads EOF).
  bool peer_sees_eof(std::chrono::milliseconds wait = std::chrono::milliseconds(1000)) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      io.poll();
      io.restart();
      pollfd p{peer, POLLIN, 0};
      if (::poll(&p, 1, 1) > 0) {
        bytes b(2048);
        if (::recv(peer, b.data(), b.size(), MSG_DONTWAIT) == 0) return true;
      }
      if (std::chrono::steady_clock::now() >= deadline) return false;
    }
  }
  void spin(std::chrono::milliseconds d) {
    const auto deadline = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < deadline) {
      io.poll();
      io.restart();
      ::usleep(1000);
    }
  }
};

}  // namespace bcms::att::test
