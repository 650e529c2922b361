// The kj/asio bridge (rpc/asio_event_port.hpp, rpc/asio_stream.hpp): kj
// promises, timers and streams driven by one asio::io_context on one thread.
#include <doctest/doctest.h>

#include <asio/local/connect_pair.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <numeric>
#include <thread>
#include <vector>

#include "rpc/asio_event_port.hpp"
#include "rpc/asio_stream.hpp"
#include "rpc/endpoint.hpp"

using namespace bcms::rpc;
using namespace std::chrono_literals;

TEST_CASE("a kj promise fulfilled from an asio handler runs its continuation in io.run()") {
  asio::io_context io;
  AsioEventPort port(io);
  auto paf = kj::newPromiseAndFulfiller<int>();
  int seen = 0;
  std::thread::id ran_on;
  auto p = paf.promise.then([&](int v) {
    seen = v;
    ran_on = std::this_thread::get_id();
  }).eagerlyEvaluate(nullptr);  // kj promises are lazy unless evaluated eagerly (as RPC's tasks are)
  asio::post(io, [&] { paf.fulfiller->fulfill(42); });
  io.run_for(1s);
  CHECK(seen == 42);
  CHECK(ran_on == std::this_thread::get_id());
}

TEST_CASE("kj timers fire from the asio loop, in order, not early") {
  asio::io_context io;
  AsioEventPort port(io);
  std::vector<int> order;
  auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration at30{};
  auto late = port.timer().afterDelay(30 * kj::MILLISECONDS).then([&] {
    order.push_back(30);
    at30 = std::chrono::steady_clock::now() - start;
  }).eagerlyEvaluate(nullptr);
  auto early = port.timer().afterDelay(10 * kj::MILLISECONDS).then([&] { order.push_back(10); }).eagerlyEvaluate(nullptr);
  // asio work meanwhile does not hold the timers up
  asio::steady_timer t(io, 5ms);
  t.async_wait([&](std::error_code) { order.push_back(5); });
  io.run_for(500ms);
  CHECK(order == std::vector<int>{5, 10, 30});
  CHECK(at30 >= 30ms);
}

TEST_CASE("a dropped kj timer never fires") {
  asio::io_context io;
  AsioEventPort port(io);
  bool fired = false;
  {
    auto p = port.timer().afterDelay(10 * kj::MILLISECONDS).then([&] { fired = true; }).eagerlyEvaluate(nullptr);
  }
  io.run_for(50ms);
  CHECK_FALSE(fired);
}

TEST_CASE("Promise::wait() on the port runs asio handlers until the promise resolves") {
  asio::io_context io;
  AsioEventPort port(io);
  auto paf = kj::newPromiseAndFulfiller<int>();
  asio::steady_timer t(io, 10ms);
  t.async_wait([&](std::error_code) { paf.fulfiller->fulfill(7); });
  CHECK(paf.promise.wait(port.wait_scope()) == 7);
}

TEST_CASE("work still queued when a Promise::wait() returns runs from the asio loop afterwards") {
  // kj tells the port only about empty -> runnable transitions.  Here one
  // asio handler completes both what a Promise::wait() waits for and
  // something else; the wait returns with the second event still queued,
  // and the loop must still run it once the program is back in asio (a
  // server sharing the thread with a waiting client stopped answering).
  asio::io_context io;
  AsioEventPort port(io);
  for (int round = 0; round < 3; ++round) {
    auto waited = kj::newPromiseAndFulfiller<int>();
    auto other = kj::newPromiseAndFulfiller<int>();
    auto before = kj::newPromiseAndFulfiller<int>();
    int seen = 0, seen_before = 0;
    auto eager = other.promise.then([&](int v) { seen = v; }).eagerlyEvaluate(nullptr);
    auto eager_before = before.promise.then([&](int v) { seen_before = v; }).eagerlyEvaluate(nullptr);
    // First some unrelated kj work from asio (kj becomes runnable: the port
    // posts its handler), then, later, the handler that completes both.
    asio::post(io, [&] { before.fulfiller->fulfill(3); });
    asio::steady_timer later(io, 10ms);
    later.async_wait([&](std::error_code) {
      waited.fulfiller->fulfill(1);
      other.fulfiller->fulfill(7);
    });
    CHECK(waited.promise.wait(port.wait_scope()) == 1);
    io.restart();
    io.run_for(50ms);
    CHECK(seen_before == 3);
    CHECK(seen == 7);
  }
}

TEST_CASE("AsioStream: a large write and reads of at least min bytes; EOF after shutdownWrite") {
  asio::io_context io;
  AsioEventPort port(io);
  asio::local::stream_protocol::socket a(io), b(io);
  asio::local::connect_pair(a, b);
  UnixStream left(std::move(a)), right(std::move(b));

  std::vector<kj::byte> out(4 << 20);  // far more than the socket buffers: the write must wait
  std::iota(out.begin(), out.end(), kj::byte(0));
  std::vector<kj::byte> in(out.size());
  auto written = left.write(out.data(), out.size()).then([&] { left.shutdownWrite(); });
  std::size_t got = 0;
  // Reads of at least 1000 bytes until EOF.
  kj::Function<kj::Promise<void>()> read_more = [&]() -> kj::Promise<void> {
    return right.tryRead(in.data() + got, 1000, in.size() - got).then([&](size_t n) -> kj::Promise<void> {
      got += n;
      if (n == 0 || got == in.size()) return kj::READY_NOW;
      CHECK(n >= 1000);
      return read_more();
    });
  };
  auto all = read_more();
  written.wait(port.wait_scope());
  all.wait(port.wait_scope());
  CHECK(got == out.size());
  CHECK(in == out);
  // After the peer's shutdownWrite: EOF, 0 bytes.
  kj::byte one;
  CHECK(right.tryRead(&one, 1, 1).wait(port.wait_scope()) == 0);
}

TEST_CASE("AsioStream: a read dropped before data arrives leaves the next read intact") {
  asio::io_context io;
  AsioEventPort port(io);
  asio::local::stream_protocol::socket a(io), b(io);
  asio::local::connect_pair(a, b);
  UnixStream left(std::move(a)), right(std::move(b));
  {
    kj::byte stale[8];
    auto dropped = right.tryRead(stale, 1, sizeof stale);  // waits for readability, then is dropped
    io.poll();
  }
  const char msg[] = "hello";
  left.write(msg, 5).wait(port.wait_scope());
  char buf[8] = {};
  CHECK(right.tryRead(buf, 5, 5).wait(port.wait_scope()) == 5);
  CHECK(std::string(buf) == "hello");
}

TEST_CASE("AsioStream: a write to a closed peer fails as DISCONNECTED") {
  asio::io_context io;
  AsioEventPort port(io);
  asio::local::stream_protocol::socket a(io), b(io);
  asio::local::connect_pair(a, b);
  UnixStream left(std::move(a));
  b.close();
  std::vector<kj::byte> data(1 << 20, 1);
  auto result = kj::runCatchingExceptions([&] { left.write(data.data(), data.size()).wait(port.wait_scope()); });
  REQUIRE(result != nullptr);
  KJ_IF_MAYBE (e, result) CHECK(e->getType() == kj::Exception::Type::DISCONNECTED);
}

TEST_CASE("Endpoint: HOST:PORT, [v6]:PORT, unix:PATH; loopback recognised; malformed refused with the reason") {
  auto tcp = Endpoint::parse("127.0.0.1:4567");
  REQUIRE(tcp);
  CHECK(tcp->host == "127.0.0.1");
  CHECK(tcp->port == 4567);
  CHECK(tcp->is_local());
  auto v6 = Endpoint::parse("[::1]:99");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->is_local());
  CHECK(v6->to_string() == "[::1]:99");
  CHECK(Endpoint::parse("localhost:1")->is_local());
  CHECK_FALSE(Endpoint::parse("0.0.0.0:4567")->is_local());
  CHECK_FALSE(Endpoint::parse("192.168.1.2:4567")->is_local());
  auto u = Endpoint::parse("unix:/run/bcms.sock");
  REQUIRE(u);
  CHECK(u->kind == Endpoint::Kind::unix_socket);
  CHECK(u->path == "/run/bcms.sock");
  for (const char* bad : {"4567", "127.0.0.1:", "127.0.0.1:-1", "127.0.0.1:70000", ":4567", "::1:4567", "unix:",
                          "127.0.0.1:45x"}) {
    auto e = Endpoint::parse(bad);
    CHECK_MESSAGE(!e, bad);
    if (!e) CHECK(e.error().find(bad) != std::string::npos);
  }
}
