// The outbox and the submitter: readings per second into the outbox (the
// collector's side: the sampling rule, buffering and one committed
// transaction per burst, synchronous = FULL, on this machine's disk),
// and samples per second submitted to bcms-test-backend over loopback
// (registration done, batches of 500, the outbox's deletes included).
// Counters: "readings/s" and "samples/s".
#include <benchmark/benchmark.h>

#include <asio/io_context.hpp>

#include "src/daemon/iot/outbox.hpp"
#include "src/daemon/iot/outbox_writer.hpp"
#include "src/daemon/iot/submitter.hpp"
#include "tests/backend/process.hpp"
#include "tests/engine/iot_fixture.hpp"

using namespace bcms;
using namespace bcms::iot;

namespace {

// One burst = `burst` devices each sending a heart rate (one reading,
// one sample) in the same loop turn, committed at the end of the turn
// (window 0); successive bursts 2 s apart so the sampling rule lets every
// one through.
void BM_OutboxBurst(benchmark::State& state) {
  const auto burst = static_cast<int>(state.range(0));
  const bool power_safe = state.range(1) != 0;
  testing::TempDir dir;
  auto ob = Outbox::open(dir.path() / "outbox.db", OutboxOptions{10'000'000, std::chrono::seconds(180),
                                                                  std::chrono::milliseconds(2000), power_safe});
  if (!ob) {
    state.SkipWithError("open failed");
    return;
  }
  asio::io_context io;
  OutboxWriter writer(io.get_executor(), *ob, {}, WriterOptions{std::chrono::milliseconds(0), 1000, std::chrono::milliseconds(1000)});
  std::vector<std::string> devices;
  for (int i = 0; i < burst; ++i) {
    char a[18];
    std::snprintf(a, sizeof a, "C0:00:00:00:%02X:%02X", (i >> 8) & 0xFF, i & 0xFF);
    devices.emplace_back(a);
  }
  const sensor::Reading r[] = {{"heart_rate", "rate", 67, "bpm", {}}};
  std::int64_t t = 1'700'000'000;
  std::size_t n = 0;
  for (auto _ : state) {
    t += 2;
    for (const auto& d : devices) n += writer.add(d, Clock::time_point(std::chrono::seconds(t)), r);
    io.restart();
    io.poll();  // the end of the loop turn: one flush
  }
  if (ob->buffered() != 0) state.SkipWithError("not flushed");
  state.counters["readings/s"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
}
// Args: burst size, power_safe (synchronous FULL: an fsync per commit).
BENCHMARK(BM_OutboxBurst)->ArgsProduct({{1, 10, 100, 1000}, {0, 1}})->UseRealTime();

// The collector's worst case: one reading per loop turn (each mgmt
// Device Found event is its own turn), through OutboxWriter with its
// default window (100 ms) and batch cap (1000); time includes the commits.
void BM_OutboxStream(benchmark::State& state) {
  testing::TempDir dir;
  auto ob = Outbox::open(dir.path() / "outbox.db", OutboxOptions{10'000'000, std::chrono::seconds(180),
                                                                  std::chrono::milliseconds(2000), false});
  if (!ob) {
    state.SkipWithError("open failed");
    return;
  }
  asio::io_context io;
  OutboxWriter writer(io.get_executor(), *ob);
  std::vector<std::string> devices;
  for (int i = 0; i < 1000; ++i) {
    char a[18];
    std::snprintf(a, sizeof a, "C0:00:00:00:%02X:%02X", (i >> 8) & 0xFF, i & 0xFF);
    devices.emplace_back(a);
  }
  const sensor::Reading r[] = {{"heart_rate", "rate", 67, "bpm", {}}};
  std::int64_t t = 1'700'000'000;
  std::size_t n = 0, i = 0;
  for (auto _ : state) {
    if (i % devices.size() == 0) t += 2;
    n += writer.add(devices[i++ % devices.size()], Clock::time_point(std::chrono::seconds(t)), r);
    io.restart();
    io.poll();  // one loop turn per reading; a window that ended commits here
  }
  (void)writer.flush_now();
  if (ob->size() != n) state.SkipWithError("not all committed");
  state.counters["readings/s"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_OutboxStream)->UseRealTime();

// Samples through the submitter to the test backend: each iteration
// stores `total` samples of 10 devices, then runs rounds until the
// outbox is empty.
void BM_SubmitToTestBackend(benchmark::State& state) {
  const int total = static_cast<int>(state.range(0));
  testing::IotFixture fx;
  auto ob = Outbox::open(fx.dir.path() / "outbox.db");
  if (!ob) {
    state.SkipWithError("open failed");
    return;
  }
  Backend api(fx.http, fx.backend_options());
  Submitter sub(fx.io.get_executor(), api, *ob, SubmitterOptions{});
  std::int64_t t = 1'700'000'000;
  std::size_t sent = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (int i = 0; i < total; ++i) {
      char a[18];
      std::snprintf(a, sizeof a, "C0:00:00:00:00:%02X", i % 10);
      ob->add(Sample{a, "heart_rate", t + i / 10 * 2, "{\"rate\":67}", 0});
    }
    t += total;
    (void)ob->flush();
    state.ResumeTiming();
    while (ob->size() > 0) {
      if (!testing::run_co(fx.io, sub.round())) {
        state.SkipWithError("round failed");
        return;
      }
    }
    sent += static_cast<std::size_t>(total);
  }
  state.counters["samples/s"] = benchmark::Counter(static_cast<double>(sent), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SubmitToTestBackend)->Arg(5000)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
