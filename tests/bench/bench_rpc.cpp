// RPC `list` round trip with 1,000 tracked devices on loopback TCP (goal:
// p50 < 100 us).  The server (rpc::Server on the real daemon::Service and
// registry, scripted mgmt kernel: tests/engine/rpc_fixture.hpp) runs its
// asio loop in a thread of its own, as the daemon would in its process;
// the client (the CLI's code path: rpc::connect, TwoPartyClient on the
// kj/asio bridge) waits for each answer in the benchmark thread.  Reported:
// p50 and p99 of the individual round trips, in microseconds.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <thread>

#include "tests/engine/rpc_fixture.hpp"

using namespace bcms;
using namespace bcms::test;

namespace {

struct ServerThread {
  explicit ServerThread(int devices) {
    std::promise<std::string> where;
    auto ready = where.get_future();
    thread = std::thread([this, devices, &where] {
      RpcRig rig;
      for (int i = 0; i < devices; ++i) {
        Address a{};
        a.b = {static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8), 0x33, 0x22, 0x11, 0xC0};
        rig.registry.report(Peer{a, AddressType::le_random}, -60, name_ad("sensor-" + std::to_string(i)));
      }
      rig.registry.flush();
      io = &rig.io;
      auto guard = asio::make_work_guard(rig.io);
      where.set_value(rig.where());
      rig.io.run();
    });
    endpoint = ready.get();
  }
  ~ServerThread() {
    io->stop();
    thread.join();
  }
  std::thread thread;
  asio::io_context* io = nullptr;
  std::string endpoint;
};

void BM_rpc_list_1000(benchmark::State& state) {
  const int devices = static_cast<int>(state.range(0));
  ServerThread server(devices);
  asio::io_context io;
  rpc::AsioEventPort port(io);
  RpcClient client(port, server.endpoint);
  std::vector<double> us;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    auto req = client.bcms.listRequest();
    req.setOnlyApproved(false);
    auto r = req.send().wait(port.wait_scope());
    const auto t1 = std::chrono::steady_clock::now();
    if (r.getDevices().size() != static_cast<unsigned>(devices)) {
      state.SkipWithError("wrong number of devices");
      break;
    }
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  if (us.empty()) return;
  std::sort(us.begin(), us.end());
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  state.counters["devices"] = devices;
}

}  // namespace

BENCHMARK(BM_rpc_list_1000)->Arg(1000)->Arg(10)->Unit(benchmark::kMicrosecond)->MinTime(2.0);
BENCHMARK_MAIN();
