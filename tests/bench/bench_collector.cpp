// Readings per second through the collector into the outbox (issue 10:
// the outbox must never be the bottleneck, >= 10,000 readings/s).
//
// The daemon's path, on one asio io_context: mgmt Device Found event
// parameters (mgmt-api.txt "Device Found Event") into
// Collector::on_device_found (what its mgmt subscription calls: event
// decode, AD parse, passive decode, the 2 s sampling, the active-mode
// profile match), its readings through daemon::OutboxFeed (the runtime's
// grouping per device and second) into a real OutboxWriter (100 ms window,
// batches of 1000) on a real SQLite outbox (WAL, synchronous = NORMAL) in
// a temporary directory.  One report per loop turn, as the mgmt channel
// delivers them.  Not included: the registry's share of the runtime's
// deliver() (bench_registry) and the socket read.
//
// The stream: 1,000 devices (public addresses), 500 sending BTHome v2
// plain service data 0xFCD2 (packet id, battery, temperature, humidity:
// three readings) and 500 the original's 0x2A6E temperature (one
// reading); Flags in every advertisement.  A round is every device's
// advertisement `repeats` times (an advertiser repeats a packet; each
// device once, then all again); between rounds the injected clocks move
// 2 s, the packet ids move one on and the values change.  So a round of
// 1000 x repeats reports gives 2,000 readings (= outbox samples): the
// first copy of a BTHome packet 3, of a 0x2A6E one 1; later copies of a
// BTHome packet are dropped as duplicates (packet id), of a 0x2A6E one by
// the 2 s sampling.  repeats 1: every report gives readings (2 per
// report, the outbox's worst case); repeats 4: 0.5 readings per report.
//
//   BM_CollectorToOutbox  end to end; readings/s counts samples committed
//                         (rows) within the timed loop; all of them are
//                         checked to be in the outbox after a final flush
//   BM_CollectorAlone     baseline: the same reports, readings into a sink
//                         that only counts them
//   BM_OutboxAlone        baseline: the readings the collector delivered
//                         for one round (recorded before the timed loop),
//                         replayed round after round with the wall clock
//                         moved on, through OutboxFeed + OutboxWriter; the
//                         same loop turns as end to end
//
// Counters: "readings/s" (wall, UseRealTime), "cpu_ns/reading" (process
// CPU time of the timed loop / readings), "readings/report".
#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <asio/io_context.hpp>
#include <optional>

#include "gen/mgmt_types.hpp"
#include "protocol/ad/builder.hpp"
#include "protocol/sensor/bthome.hpp"
#include "src/collector/collector.hpp"
#include "src/daemon/iot/outbox.hpp"
#include "src/daemon/iot/outbox_writer.hpp"
#include "src/daemon/runtime/outbox_feed.hpp"
#include "tests/engine/iot_fixture.hpp"

using namespace bcms;
using namespace std::chrono_literals;

namespace {

constexpr int kDevices = 1000;

double cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The reports of the stream (see the top), one at a time; the clocks the
// collector is given.
class Stream {
 public:
  std::chrono::steady_clock::time_point steady{std::chrono::seconds(1000)};
  std::chrono::system_clock::time_point wall{std::chrono::seconds(1'796'000'000)};

  explicit Stream(int repeats) : repeats_(static_cast<std::size_t>(repeats)) {
    for (int i = 0; i < kDevices; ++i) {
      const Address a{{static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8), 0x00, 0x00, 0x00, 0xC0}};
      const bool bthome = i % 2 == 0;
      // BTHome v2 (bthome.io/format): device info 0x40 (v2, plain), then
      // objects 0x00 packet id, 0x01 battery %, 0x02 temperature sint16
      // x0.01 °C, 0x03 humidity uint16 x0.01 %.  0x2A6E: Temperature,
      // sint16 x0.01 °C (GSS), the original's passive mapping.
      const bytes sd = bthome ? bytes{sensor::bthome_info::version_2, 0x00, 0, 0x01, 0, 0x02, 0, 0, 0x03, 0, 0}
                              : bytes{0, 0};
      auto eir = ad::AdBuilder().flags(0x06).service_data(bthome ? sensor::bthome_uuid : 0x2A6E, sd).build();
      if (!eir) throw std::runtime_error(eir.error().message());
      bytes params;
      if (mgmt::encode(mgmt::DeviceFoundEvent{a, AddressType::le_public, -60, 0, DataView(*eir)}, params))
        throw std::runtime_error("Device Found encode");
      // Where the service data (after the UUID) is in the parameters.
      const auto at = std::ranges::search(params, sd).begin() - params.begin();
      devices_.push_back({std::move(params), static_cast<std::size_t>(at), bthome});
    }
    patch();
  }

  byte_span next() {
    if (next_ == devices_.size() * repeats_) {
      next_ = 0;
      ++round_;
      steady += 2s;
      wall += 2s;
      patch();
    }
    return devices_[next_++ % devices_.size()].params;
  }
  [[nodiscard]] std::size_t reports_per_round() const { return devices_.size() * repeats_; }

 private:
  struct Device {
    bytes params;
    std::size_t sd;  // offset of the service data
    bool bthome;
  };
  // This round's packet ids and values.
  void patch() {
    for (std::size_t i = 0; i < devices_.size(); ++i) {
      auto& d = devices_[i];
      auto put16 = [&](std::size_t at, unsigned v) {
        d.params[d.sd + at] = static_cast<std::uint8_t>(v);
        d.params[d.sd + at + 1] = static_cast<std::uint8_t>(v >> 8);
      };
      const unsigned vary = static_cast<unsigned>((round_ + i) % 500);
      if (d.bthome) {
        d.params[d.sd + 2] = static_cast<std::uint8_t>(round_);  // packet id
        d.params[d.sd + 4] = static_cast<std::uint8_t>(50 + vary % 50);
        put16(6, 2000 + vary);
        put16(9, 4000 + vary);
      } else {
        put16(0, 2000 + vary);
      }
    }
  }
  std::size_t repeats_;
  std::vector<Device> devices_;
  std::size_t next_ = 0;
  std::uint32_t round_ = 0;
};

// As the runtime's: active (every advertisement also goes through the
// profile match; none of these matches, so nothing connects), on the
// stream's clocks.
std::unique_ptr<collector::Collector> daemon_collector(asio::io_context& io, const Stream& s, collector::Sink sink) {
  collector::Collector::Options o;
  o.active = true;
  auto c = std::make_unique<collector::Collector>(io.get_executor(), std::move(sink), o,
                                                  collector::Clock{[&s] { return s.steady; }, [&s] { return s.wall; }});
  c->set_connect([](Peer) -> asio::awaitable<expected<std::shared_ptr<att::AttBearer>>> {
    co_return unexpected(std::make_error_code(std::errc::not_supported));
  });
  return c;
}

void counters(benchmark::State& state, std::size_t readings, std::size_t reports, double cpu) {
  state.counters["readings/s"] = benchmark::Counter(static_cast<double>(readings), benchmark::Counter::kIsRate);
  state.counters["cpu_ns/reading"] = readings ? cpu * 1e9 / static_cast<double>(readings) : 0.0;
  state.counters["readings/report"] = reports ? static_cast<double>(readings) / static_cast<double>(reports) : 0.0;
}

// The daemon's outbox path: a real outbox file, its writer, the feed.
struct OutboxPath {
  testing::TempDir dir;
  std::optional<iot::Outbox> outbox;
  std::optional<iot::OutboxWriter> writer;
  std::optional<daemon::OutboxFeed> feed;

  explicit OutboxPath(asio::io_context& io) {
    // The daemon's options, but a size bound the run cannot reach (no
    // deletes measured).
    iot::OutboxOptions oo;
    oo.max_samples = 10'000'000;
    std::string why;
    auto ob = iot::Outbox::open(dir.path() / "outbox.db", oo, &why);
    if (!ob) throw std::runtime_error("outbox: " + why);
    outbox.emplace(std::move(*ob));
    writer.emplace(io.get_executor(), *outbox);  // default window (100 ms) and batch (1000)
    feed.emplace(io.get_executor(), *writer);
  }
  // As the runtime's deliver(): the device's address as text.
  void add(const collector::Collected& c) { feed->add(c.device.addr.to_string(), c.time, c.reading); }
  // Everything buffered committed; false when it failed.
  bool finish() {
    feed->flush();
    return writer->flush_now().has_value();
  }
};

void turn(asio::io_context& io) {
  io.restart();
  io.poll();
}

// The timed loop of the collector's benchmarks: one report per loop turn.
struct Timed {
  std::size_t reports = 0;
  double cpu = 0;  // process CPU seconds
};
Timed run_reports(benchmark::State& state, collector::Collector& c, Stream& stream, asio::io_context& io) {
  Timed t;
  const double cpu0 = cpu_seconds();
  for (auto _ : state) {
    if (c.on_device_found(stream.next())) state.SkipWithError("Device Found decode");
    ++t.reports;
    turn(io);
  }
  t.cpu = cpu_seconds() - cpu0;
  return t;
}

void BM_CollectorToOutbox(benchmark::State& state) {
  Stream stream(static_cast<int>(state.range(0)));
  asio::io_context io;
  OutboxPath out(io);
  auto c = daemon_collector(io, stream, [&](const collector::Collected& r) { out.add(r); });
  const Timed t = run_reports(state, *c, stream, io);
  const std::size_t committed = out.outbox->size();  // within the timed loop
  if (!out.finish() || out.outbox->size() != c->stats().delivered || out.outbox->counters().sampled_out != 0)
    state.SkipWithError("not every reading committed as a sample");
  counters(state, committed, t.reports, t.cpu);
  state.counters["delivered"] = static_cast<double>(c->stats().delivered);
}

void BM_CollectorAlone(benchmark::State& state) {
  Stream stream(static_cast<int>(state.range(0)));
  asio::io_context io;
  std::size_t readings = 0;
  auto c = daemon_collector(io, stream, [&](const collector::Collected& r) {
    ++readings;
    benchmark::DoNotOptimize(r);
  });
  const Timed t = run_reports(state, *c, stream, io);
  counters(state, readings, t.reports, t.cpu);
}

void BM_OutboxAlone(benchmark::State& state) {
  // One round of the collector's output, per report.
  Stream stream(static_cast<int>(state.range(0)));
  std::vector<std::vector<collector::Collected>> round(stream.reports_per_round());
  {
    asio::io_context io;
    std::size_t k = 0;
    auto c = daemon_collector(io, stream, [&](const collector::Collected& r) { round[k].push_back(r); });
    for (; k < round.size(); ++k)
      if (c->on_device_found(stream.next())) state.SkipWithError("Device Found decode");
  }
  asio::io_context io;
  OutboxPath out(io);
  std::size_t reports = 0, offered = 0;
  std::chrono::system_clock::duration shift{};
  const double cpu0 = cpu_seconds();
  for (auto _ : state) {
    const auto k = reports++ % round.size();
    if (k == 0 && reports > 1) shift += 2s;
    for (auto r : round[k]) {
      r.time += shift;
      out.add(r);
      ++offered;
    }
    turn(io);
  }
  const double cpu = cpu_seconds() - cpu0;
  const std::size_t committed = out.outbox->size();
  if (!out.finish() || out.outbox->size() != offered) state.SkipWithError("not every reading committed as a sample");
  counters(state, committed, reports, cpu);
}

// Arg: repeats (copies of each packet received).
BENCHMARK(BM_CollectorToOutbox)->Arg(1)->Arg(4)->UseRealTime();
BENCHMARK(BM_CollectorAlone)->Arg(1)->Arg(4)->UseRealTime();
BENCHMARK(BM_OutboxAlone)->Arg(1)->Arg(4)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
