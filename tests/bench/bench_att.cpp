// ATT Read Request round trips per second through AttBearer + GattServer
// over socketpair(AF_UNIX, SOCK_SEQPACKET), against a baseline in the same
// run: a raw asio echo on the same kind of socket (the transport and loop
// cost alone), and the pure request handler without a socket.
#include <benchmark/benchmark.h>

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <asio/io_context.hpp>

#include "src/att/bearer.hpp"
#include "tests/engine/gatt_test_db.hpp"

using namespace bcms::att;

namespace {

const bcms::bytes kRead{0x0A, 0x18, 0x00};  // ATT_READ_REQ, Battery Level

std::pair<int, int> make_pair_fds() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) std::abort();
  return {sv[0], sv[1]};
}

// Client side: send one PDU, run the loop until the answer is there.
bool round_trip(asio::io_context& io, int fd, const bcms::bytes& req) {
  std::array<std::uint8_t, 600> buf;
  if (::send(fd, req.data(), req.size(), 0) < 0) return false;
  for (;;) {
    ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n > 0) return true;
    if (io.run_one() == 0) return false;
  }
}

struct Echo {
  AttBearer::Socket s;
  std::array<std::uint8_t, 600> buf{};
  asio::socket_base::message_flags flags = 0;
  void start() {
    s.async_receive(asio::buffer(buf), flags, [this](std::error_code ec, std::size_t n) {
      if (ec) return;
      s.async_send(asio::buffer(buf.data(), n), 0, [this](std::error_code e2, std::size_t) {
        if (!e2) start();
      });
    });
  }
};

void BM_RawSocketpairEcho(benchmark::State& state) {
  asio::io_context io;
  auto [a, b] = make_pair_fds();
  Echo echo{AttBearer::Socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), a)};
  echo.start();
  for (auto _ : state)
    if (!round_trip(io, b, kRead)) state.SkipWithError("echo failed");
  state.counters["round_trips/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  ::close(b);
}
BENCHMARK(BM_RawSocketpairEcho);

void BM_AttReadRoundTrip(benchmark::State& state) {
  asio::io_context io;
  test::Hooks hooks;
  GattDb db;
  test::build_test_db(db, hooks);
  GattServer server(db);
  auto [a, b] = make_pair_fds();
  auto bearer = AttBearer::create(AttBearer::Socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), a), server,
                                  ConnState{});
  bearer->start();
  for (auto _ : state)
    if (!round_trip(io, b, kRead)) state.SkipWithError("read failed");
  state.counters["round_trips/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  bearer->close();
  ::close(b);
}
BENCHMARK(BM_AttReadRoundTrip);

void BM_ServerHandleRead(benchmark::State& state) {
  test::Hooks hooks;
  GattDb db;
  test::build_test_db(db, hooks);
  GattServer server(db);
  ConnState c;
  for (auto _ : state) benchmark::DoNotOptimize(server.handle(kRead, c));
  state.counters["requests/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ServerHandleRead);

void BM_ServerDiscoverCharacteristics(benchmark::State& state) {
  test::Hooks hooks;
  GattDb db;
  test::build_test_db(db, hooks);
  GattServer server(db);
  ConnState c;
  const bcms::bytes req{0x08, 0x01, 0x00, 0xFF, 0xFF, 0x03, 0x28};
  for (auto _ : state) benchmark::DoNotOptimize(server.handle(req, c));
}
BENCHMARK(BM_ServerDiscoverCharacteristics);

}  // namespace

BENCHMARK_MAIN();
