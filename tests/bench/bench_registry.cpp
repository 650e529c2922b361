// The daemon's registry: advertising reports absorbed per second (1,000
// devices round-robin, each report with a name to parse), list() with
// 1,000 tracked devices (what the RPC `list` does besides the transport),
// and the batched write of 100 remembered devices (one transaction, WAL,
// synchronous=FULL: the fsync is in the figure; the file is in /tmp).
#include <benchmark/benchmark.h>

#include <stdlib.h>

#include <asio/io_context.hpp>
#include <filesystem>

#include "src/daemon/registry.hpp"

using namespace bcms;
using namespace bcms::daemon;

namespace {

const Address kLocal = Address::parse("00:AA:01:00:00:00").value();

struct Fixture {
  asio::io_context io;
  std::filesystem::path dir;
  std::optional<storage::Storage> store;
  std::unique_ptr<Registry> reg;
  Clock::time_point t = Clock::now();
  std::vector<Peer> peers;
  bytes eir{0x05, 0x09, 'T', 'e', 's', 't', 0x02, 0x01, 0x06};

  explicit Fixture(std::size_t n) {
    char tmpl[] = "/tmp/bcms-bench-XXXXXX";
    dir = ::mkdtemp(tmpl);
    store.emplace(storage::Storage::open(dir / "bcms.db").value());
    reg = std::make_unique<Registry>(io.get_executor(), *store, kLocal, Registry::Options{}, [this] { return t; });
    for (std::size_t i = 0; i < n; ++i) {
      Peer p{Address{}, AddressType::le_public};
      p.addr.b = {static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8), 0x33, 0x44, 0x55, 0x66};
      peers.push_back(p);
      reg->report(p, -60, eir);
    }
  }
  ~Fixture() {
    reg.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

void BM_RegistryReport(benchmark::State& state) {
  Fixture f(1000);
  std::size_t i = 0;
  for (auto _ : state) {
    f.t += std::chrono::milliseconds(1);
    f.reg->report(f.peers[i++ % f.peers.size()], -55, f.eir);
  }
  state.counters["reports/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RegistryReport);

void BM_RegistryList1000(benchmark::State& state) {
  Fixture f(1000);
  for (auto _ : state) {
    auto v = f.reg->list(false);
    if (v.size() != 1000) state.SkipWithError("wrong size");
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_RegistryList1000)->Unit(benchmark::kMicrosecond);

void BM_RegistryCommit100(benchmark::State& state) {
  Fixture f(100);
  for (const auto& p : f.peers) (void)f.reg->approve(p);
  (void)f.reg->flush();
  for (auto _ : state) {
    state.PauseTiming();
    f.t += std::chrono::minutes(2);  // every remembered device's last seen is due
    for (const auto& p : f.peers) f.reg->report(p, -50, {});
    state.ResumeTiming();
    if (!f.reg->flush()) state.SkipWithError("flush failed");
  }
}
BENCHMARK(BM_RegistryCommit100)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
