// l2cap::Channel over socketpair(AF_UNIX, SOCK_SEQPACKET): the same
// message semantics as an L2CAP CoC socket (one message = one SDU, a
// receiver that stops reading makes the sender's socket not writable,
// MSG_TRUNC on a short buffer, EOF / EPIPE when the peer closes).  Both ends
// are Channels unless the test needs a raw peer.
#include <doctest/doctest.h>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <cerrno>
#include <chrono>
#include <functional>
#include <optional>
#include <vector>

#include "src/l2cap/channel.hpp"
#include "src/l2cap/coc.hpp"

using namespace bcms;
using namespace bcms::l2cap;
using namespace std::chrono_literals;

namespace {

struct Pair {
  asio::io_context io;
  int fd[2] = {-1, -1};
  Pair() {
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fd) != 0) throw std::system_error(errno, std::system_category());
  }
  Socket socket(int i) {
    Socket s(io, Protocol(AF_UNIX, 0), fd[i]);
    fd[i] = -1;  // the Socket owns it now
    return s;
  }
  std::shared_ptr<Channel> channel(int i, std::uint16_t send_mtu, std::uint16_t receive_mtu,
                                   std::size_t max_queued = 64 * 1024) {
    Channel::Options o;
    o.send_mtu = send_mtu;
    o.receive_mtu = receive_mtu;
    o.max_queued_bytes = max_queued;
    auto c = Channel::create(socket(i), o);
    REQUIRE(c);
    return *c;
  }
  ~Pair() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  /// Runs the loop until `done()` or `limit` passes; the result of done().
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 2000ms) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io.restart();
      io.run_for(5ms);
    }
    return true;
  }
  void spin(std::chrono::milliseconds d) {
    io.restart();
    io.run_for(d);
  }
};

/// SDU number `i` of `size` octets: its index in the first four octets,
/// then a pattern that depends on both.
bytes sdu(std::uint32_t i, std::size_t size) {
  bytes b(size);
  for (std::size_t k = 0; k < size; ++k) b[k] = static_cast<std::uint8_t>((i * 31 + k * 7) & 0xff);
  for (std::size_t k = 0; k < 4 && k < size; ++k) b[k] = static_cast<std::uint8_t>(i >> (8 * k));
  return b;
}

/// A small send buffer (the kernel doubles it): a few SDUs fill it, and a
/// peer that does not read makes the socket not writable, as a CoC peer
/// that gives no credits does.
void shrink_sndbuf(int fd) {
  const int small = 4096;
  REQUIRE(::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)) == 0);
}

bool writable(int fd) {
  pollfd p{fd, POLLOUT, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & POLLOUT);
}

}  // namespace

TEST_CASE("SDU boundaries are kept, in order, in both directions") {
  Pair p;
  auto a = p.channel(0, 700, 700);
  auto b = p.channel(1, 700, 700);
  std::vector<bytes> got_b, got_a;
  b->start([&](std::error_code ec, byte_span s) {
    CHECK_FALSE(ec);
    got_b.emplace_back(s.begin(), s.end());
  });
  a->start([&](std::error_code ec, byte_span s) {
    CHECK_FALSE(ec);
    got_a.emplace_back(s.begin(), s.end());
  });
  const std::vector<std::size_t> sizes{1, 100, 700, 5, 300, 699, 2};
  for (std::uint32_t i = 0; i < sizes.size(); ++i) REQUIRE_FALSE(a->send(sdu(i, sizes[i])));
  REQUIRE_FALSE(b->send(sdu(99, 700)));
  REQUIRE(p.run_until([&] { return got_b.size() == sizes.size() && got_a.size() == 1; }));
  for (std::uint32_t i = 0; i < sizes.size(); ++i) CHECK(got_b[i] == sdu(i, sizes[i]));
  CHECK(got_a[0] == sdu(99, 700));
  CHECK(a->stats().sdus_out == sizes.size());
  CHECK(b->stats().sdus_in == sizes.size());
  CHECK(b->stats().bytes_in == 1 + 100 + 700 + 5 + 300 + 699 + 2);
  CHECK(b->stats().truncated == 0);
  CHECK(a->send_mtu() == 700);
}

TEST_CASE("the MTUs come from BT_SNDMTU/BT_RCVMTU when not given: a socketpair has none") {
  Pair p;
  CHECK_FALSE(Channel::create(p.socket(0)));
  Channel::Options o;
  o.send_mtu = 23;
  CHECK_FALSE(Channel::create(p.socket(1), o));  // receive MTU still missing
}

TEST_CASE("an SDU longer than the send MTU is refused and nothing of it is sent") {
  Pair p;
  auto a = p.channel(0, 100, 100);
  auto b = p.channel(1, 100, 1000);
  std::vector<bytes> got;
  b->start([&](std::error_code, byte_span s) { got.emplace_back(s.begin(), s.end()); });
  CHECK(a->send(sdu(1, 101)) == errc::sdu_too_long);
  CHECK(a->send(bytes{}) == errc::empty_sdu);
  std::error_code async_ec;
  bool async_done = false;
  a->send_when_room(sdu(2, 500), [&](std::error_code ec) {
    async_ec = ec;
    async_done = true;
  });
  CHECK(a->send(sdu(3, 100)) == std::error_code{});  // exactly the MTU
  REQUIRE(p.run_until([&] { return async_done && got.size() == 1; }));
  CHECK(async_ec == errc::sdu_too_long);
  p.spin(20ms);
  REQUIRE(got.size() == 1);
  CHECK(got[0] == sdu(3, 100));
  CHECK(a->stats().refused_too_long == 2);
  CHECK(a->stats().sdus_out == 1);
  CHECK(a->usable());  // a refusal does not end the channel
  CHECK(errc::sdu_too_long == std::error_code(errc::sdu_too_long));
  CHECK(std::error_code(errc::sdu_too_long).message().find("send MTU") != std::string::npos);
}

TEST_CASE("back-pressure: a peer that does not read stops the queue; everything arrives in order once it reads") {
  Pair p;
  const int a_fd = p.fd[0];
  shrink_sndbuf(a_fd);
  const std::size_t size = 1000, bound = 8 * size;
  const std::uint32_t total = 300;
  auto a = p.channel(0, 1000, 1000, bound);
  auto b = p.channel(1, 1000, 1000);

  // Fill: send() until the queue refuses.
  std::uint32_t next = 0;
  std::error_code ec;
  while (!(ec = a->send(sdu(next, size)))) {
    ++next;
    p.spin(1ms);  // let the in-flight send reach the socket
    REQUIRE(next < total);
  }
  CHECK(ec == errc::queue_full);
  CHECK(a->stats().refused_full == 1);
  CHECK(a->queued_bytes() <= bound);
  CHECK(a->queued_bytes() + size > bound);
  // The kernel, not our queue, stopped it: the socket is not writable.
  CHECK_FALSE(writable(a_fd));
  const auto out_when_full = a->stats().sdus_out;
  CHECK(out_when_full + 8 >= next);  // at most the bound's worth waits in the queue

  // The rest waits for room (async_send); completions come in order.
  std::vector<std::uint32_t> completed;
  std::vector<std::error_code> errors;
  for (std::uint32_t i = next; i < total; ++i)
    a->send_when_room(sdu(i, size), [&, i](std::error_code e) {
      if (e) errors.push_back(e);
      completed.push_back(i);
    });
  p.spin(100ms);
  CHECK(a->stats().sdus_out == out_when_full);  // nothing moved: the peer does not read
  CHECK(completed.empty());
  CHECK(a->stats().waited_for_room == total - next);
  CHECK(a->queued_bytes() <= bound);
  CHECK(a->usable());

  bool drained = false;
  a->on_drained([&](std::error_code e) {
    CHECK_FALSE(e);
    drained = true;
  });
  std::vector<bytes> got;
  b->start([&](std::error_code e, byte_span s) {
    CHECK_FALSE(e);
    got.emplace_back(s.begin(), s.end());
  });
  REQUIRE(p.run_until([&] { return got.size() == total && drained; }, 5000ms));
  for (std::uint32_t i = 0; i < total; ++i) REQUIRE(got[i] == sdu(i, size));
  CHECK(errors.empty());
  REQUIRE(completed.size() == total - next);
  for (std::size_t k = 0; k < completed.size(); ++k) CHECK(completed[k] == next + k);
  CHECK(a->stats().sdus_out == total);
  CHECK(a->stats().queued_high_water <= bound);
  CHECK(a->queued_bytes() == 0);
}

TEST_CASE("awaitable async_send and async_receive: a slow reader, nothing lost") {
  Pair p;
  auto a = p.channel(0, 512, 512, 2048);
  auto b = p.channel(1, 512, 512);
  const std::uint32_t total = 200;
  std::uint32_t sent = 0;
  std::vector<bytes> got;
  std::error_code end_ec;
  const auto token = asio::experimental::as_tuple(asio::use_awaitable);
  asio::co_spawn(p.io, [&]() -> asio::awaitable<void> {
    for (std::uint32_t i = 0; i < total; ++i) {
      bytes s = sdu(i, 1 + (i * 37) % 512);
      auto [e] = co_await a->async_send(std::move(s), token);
      if (e) co_return;
      ++sent;
    }
    a->close();
  }, asio::detached);
  asio::co_spawn(p.io, [&]() -> asio::awaitable<void> {
    asio::steady_timer t(p.io);
    for (;;) {
      if (got.size() % 50 == 0) {  // a reader that pauses now and then
        t.expires_after(20ms);
        auto [te] = co_await t.async_wait(token);
        (void)te;
      }
      auto [e, s] = co_await b->async_receive(token);
      if (e) {
        end_ec = e;
        co_return;
      }
      got.push_back(std::move(s));
    }
  }, asio::detached);
  REQUIRE(p.run_until([&] { return bool(end_ec); }, 5000ms));
  CHECK(sent == total);
  REQUIRE(got.size() == total);
  for (std::uint32_t i = 0; i < total; ++i) CHECK(got[i] == sdu(i, 1 + (i * 37) % 512));
  CHECK(end_ec == asio::error::eof);
}

TEST_CASE("an SDU longer than our receive buffer is detected (MSG_TRUNC), counted, and the next one is intact") {
  Pair p;
  auto a = p.channel(0, 200, 200);
  auto b = p.channel(1, 200, 50);
  std::vector<bytes> got;
  std::vector<std::error_code> st;
  b->start([&](std::error_code e, byte_span s) {
    st.push_back(e);
    got.emplace_back(s.begin(), s.end());
  });
  REQUIRE_FALSE(a->send(sdu(1, 80)));
  REQUIRE_FALSE(a->send(sdu(2, 20)));
  REQUIRE_FALSE(a->send(sdu(3, 50)));
  REQUIRE(p.run_until([&] { return got.size() == 3; }));
  CHECK(st[0] == errc::sdu_truncated);
  const bytes first = sdu(1, 80);
  CHECK(got[0] == bytes(first.begin(), first.begin() + 50));
  CHECK_FALSE(st[1]);
  CHECK(got[1] == sdu(2, 20));
  CHECK_FALSE(st[2]);
  CHECK(got[2] == sdu(3, 50));
  CHECK(b->stats().truncated == 1);
  CHECK(b->stats().sdus_in == 3);
  CHECK(b->usable());
}

TEST_CASE("peer closes mid-transfer: the sender's pending SDUs fail, the end is reported once") {
  Pair p;
  shrink_sndbuf(p.fd[0]);
  auto a = p.channel(0, 1000, 1000, 4000);
  const int b_fd = p.fd[1];
  p.fd[1] = -1;
  int closed_calls = 0;
  std::error_code closed_ec;
  a->on_closed([&](std::error_code e) {
    ++closed_calls;
    closed_ec = e;
  });
  a->start([](std::error_code, byte_span) {});  // reading too: the read sees EOF, the write EPIPE
  std::vector<std::error_code> results;
  for (std::uint32_t i = 0; i < 100; ++i) a->send_when_room(sdu(i, 1000), [&](std::error_code e) { results.push_back(e); });
  p.spin(50ms);
  // Read a few, then close in the middle of the transfer.
  bytes buf(1000);
  for (int k = 0; k < 3; ++k) {
    REQUIRE(::recv(b_fd, buf.data(), buf.size(), 0) == 1000);
    CHECK(buf == sdu(static_cast<std::uint32_t>(k), 1000));
  }
  ::close(b_fd);
  REQUIRE(p.run_until([&] { return results.size() == 100; }));
  p.spin(20ms);
  CHECK(closed_calls == 1);
  CHECK(closed_ec);
  CHECK(closed_ec != asio::error::operation_aborted);
  std::size_t ok = 0, failed = 0;
  for (auto& e : results) (e ? failed : ok) += 1;
  CHECK(failed > 0);
  CHECK(ok >= 3);
  // Successes come first, then only failures, all with the end's reason.
  for (std::size_t k = 0; k < ok; ++k) CHECK_FALSE(results[k]);
  for (std::size_t k = ok; k < results.size(); ++k) CHECK(results[k] == closed_ec);
  CHECK_FALSE(a->usable());
  CHECK(a->end_reason() == closed_ec);
  CHECK(a->send(sdu(1, 10)) == asio::error::not_connected);
  a->close();  // idempotent: no second report
  p.spin(10ms);
  CHECK(closed_calls == 1);
}

TEST_CASE("sender closes mid-transfer: the reader gets what was sent, then EOF once") {
  Pair p;
  auto a = p.channel(0, 300, 300);
  auto b = p.channel(1, 300, 300);
  int closed_calls = 0;
  std::error_code closed_ec;
  b->on_closed([&](std::error_code e) {
    ++closed_calls;
    closed_ec = e;
  });
  std::vector<bytes> got;
  b->start([&](std::error_code, byte_span s) { got.emplace_back(s.begin(), s.end()); });
  bool drained = false;
  for (std::uint32_t i = 0; i < 5; ++i) REQUIRE_FALSE(a->send(sdu(i, 300)));
  a->on_drained([&](std::error_code e) {
    drained = !e;
    a->close();
  });
  REQUIRE(p.run_until([&] { return closed_calls > 0; }));
  p.spin(20ms);
  CHECK(drained);
  CHECK(closed_calls == 1);
  CHECK(closed_ec == asio::error::eof);
  REQUIRE(got.size() == 5);
  for (std::uint32_t i = 0; i < 5; ++i) CHECK(got[i] == sdu(i, 300));
  // A receive after the end fails at once, without a second report.
  std::error_code late;
  b->receive_one([&](std::error_code e, byte_span) { late = e; });
  REQUIRE(p.run_until([&] { return bool(late); }));
  CHECK(late == asio::error::not_connected);
  CHECK(closed_calls == 1);
}

TEST_CASE("close() fails what is pending with operation_aborted and reports it once") {
  Pair p;
  shrink_sndbuf(p.fd[0]);
  auto a = p.channel(0, 1000, 1000, 2000);
  int closed_calls = 0;
  std::error_code closed_ec, recv_ec, send_ec;
  a->on_closed([&](std::error_code e) {
    ++closed_calls;
    closed_ec = e;
  });
  a->receive_one([&](std::error_code e, byte_span) { recv_ec = e; });
  for (std::uint32_t i = 0; i < 50; ++i) a->send_when_room(sdu(i, 1000), [&](std::error_code e) { if (e) send_ec = e; });
  p.spin(20ms);
  a->close();
  a->close();
  p.spin(20ms);
  CHECK(closed_calls == 1);
  CHECK(closed_ec == asio::error::operation_aborted);
  CHECK(recv_ec == asio::error::operation_aborted);
  CHECK(send_ec == asio::error::operation_aborted);
}

TEST_CASE("close_when_sent: the SDUs the kernel still holds reach the peer before the close; new ones are refused") {
  Pair p;
  shrink_sndbuf(p.fd[0]);
  auto a = p.channel(0, 1000, 1000, 64 * 1024);
  const int raw = p.fd[1];
  for (std::uint32_t i = 0; i < 10; ++i) CHECK_FALSE(a->send(sdu(i, 1000)));
  p.spin(20ms);  // the kernel took some: the socket buffer is full, the rest waits in our queue
  std::optional<std::error_code> done;
  a->close_when_sent(5s, [&](std::error_code e) { done = e; });
  CHECK(a->send(sdu(99, 10)) == asio::error::not_connected);
  p.spin(50ms);
  CHECK_FALSE(done);  // the peer has not read: the kernel still holds SDUs
  CHECK(a->usable());
  // The peer reads slowly; every SDU arrives, in order, then EOF.
  std::vector<bytes> got;
  bool eof = false;
  while (!eof && got.size() < 20) {
    p.spin(5ms);
    bytes b(2000);
    const ssize_t n = ::recv(raw, b.data(), b.size(), MSG_DONTWAIT);
    if (n > 0) got.emplace_back(b.begin(), b.begin() + n);
    if (n == 0) eof = true;
    if (n < 0 && done) eof = ::recv(raw, b.data(), b.size(), MSG_DONTWAIT) == 0;
  }
  REQUIRE(got.size() == 10);
  for (std::uint32_t i = 0; i < 10; ++i) CHECK(got[i] == sdu(i, 1000));
  CHECK(p.run_until([&] { return done.has_value(); }));
  CHECK(*done == std::error_code{});
  CHECK_FALSE(a->usable());
  CHECK(a->stats().closed_unsent_bytes == 0);
}

TEST_CASE("close_when_sent gives up after its timeout when the peer never reads, and counts what it dropped") {
  Pair p;
  shrink_sndbuf(p.fd[0]);
  auto a = p.channel(0, 1000, 1000);
  for (std::uint32_t i = 0; i < 3; ++i) CHECK_FALSE(a->send(sdu(i, 1000)));
  std::optional<std::error_code> done;
  a->close_when_sent(60ms, [&](std::error_code e) { done = e; });
  CHECK(p.run_until([&] { return done.has_value(); }));
  CHECK(*done == std::errc::timed_out);
  CHECK_FALSE(a->usable());
  CHECK(a->stats().closed_unsent_bytes >= 1000);
}

TEST_CASE("close_when_sent on a channel whose peer is gone ends with the channel's reason") {
  Pair p;
  auto a = p.channel(0, 1000, 1000);
  a->start([](std::error_code, byte_span) {});
  ::close(p.fd[1]);
  p.fd[1] = -1;
  CHECK(p.run_until([&] { return !a->usable(); }));
  std::optional<std::error_code> done;
  a->close_when_sent(1s, [&](std::error_code e) { done = e; });
  CHECK(p.run_until([&] { return done.has_value(); }));
  CHECK(*done == asio::error::not_connected);
}

TEST_CASE("one receive at a time: a second receive, or one while start() reads, is refused") {
  Pair p;
  auto a = p.channel(0, 100, 100);
  std::error_code first = asio::error::would_block, second;
  a->receive_one([&](std::error_code e, byte_span) { first = e; });
  a->receive_one([&](std::error_code e, byte_span) { second = e; });
  REQUIRE(p.run_until([&] { return bool(second); }));
  CHECK(second == errc::receive_pending);
  CHECK(first == asio::error::would_block);  // still pending
  auto b = p.channel(1, 100, 100);
  REQUIRE_FALSE(b->send(sdu(7, 10)));
  REQUIRE(p.run_until([&] { return first != asio::error::would_block; }));
  CHECK_FALSE(first);
  b->start([](std::error_code, byte_span) {});
  std::error_code third;
  b->receive_one([&](std::error_code e, byte_span) { third = e; });
  REQUIRE(p.run_until([&] { return bool(third); }));
  CHECK(third == errc::receive_pending);
}

TEST_CASE("two channels are independent: one blocked peer does not hold the other") {
  Pair p1;
  asio::io_context& io = p1.io;
  // A second socketpair on the same loop.
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
  Channel::Options o;
  o.send_mtu = 1000;
  o.receive_mtu = 1000;
  o.max_queued_bytes = 4000;
  shrink_sndbuf(p1.fd[0]);
  auto a1 = p1.channel(0, 1000, 1000, 4000);
  auto b1 = p1.channel(1, 1000, 1000);  // never reads
  auto a2 = *Channel::create(Socket(io, Protocol(AF_UNIX, 0), sv[0]), o);
  auto b2 = *Channel::create(Socket(io, Protocol(AF_UNIX, 0), sv[1]), o);
  std::size_t got2 = 0;
  b2->start([&](std::error_code, byte_span) { ++got2; });
  std::size_t done1 = 0, done2 = 0;
  for (std::uint32_t i = 0; i < 100; ++i) {
    a1->send_when_room(sdu(i, 1000), [&](std::error_code e) { if (!e) ++done1; });
    a2->send_when_room(sdu(i, 1000), [&](std::error_code e) { if (!e) ++done2; });
  }
  REQUIRE(p1.run_until([&] { return got2 == 100; }));
  CHECK(done2 == 100);
  CHECK(done1 < 100);  // channel 1 is held by its peer, channel 2 was not
  CHECK(a1->usable());
}

TEST_CASE("connect_coc and listen_coc refuse a missing PSM or an MTU below 23 before touching a socket") {
  asio::io_context io;
  std::error_code ec;
  bool done = false;
  connect_coc(io, Endpoint{}, Endpoint{{}, AddressType::le_public, 0, 0}, 100, 1s, [&](std::error_code e, Socket) {
    ec = e;
    done = true;
  });
  io.run_for(100ms);
  REQUIRE(done);
  CHECK(ec == std::errc::invalid_argument);
  done = false;
  connect_coc(io, Endpoint{}, Endpoint{{}, AddressType::le_public, 0x80, 0}, 22, 1s, [&](std::error_code e, Socket) {
    ec = e;
    done = true;
  });
  io.restart();
  io.run_for(100ms);
  REQUIRE(done);
  CHECK(ec == std::errc::invalid_argument);
  auto l = listen_coc(io, Endpoint{{}, AddressType::le_public, 0, 0}, 100);
  REQUIRE_FALSE(l);
  CHECK(l.error() == std::errc::invalid_argument);
}
