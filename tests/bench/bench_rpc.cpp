// RPC `list` round trip with 1,000 tracked devices on loopback TCP (goal:
// p50 < 100 us).  The server (rpc::Server on the real daemon::Service and
// registry, scripted mgmt kernel: tests/engine/rpc_fixture.hpp) runs its
// asio loop in a thread of its own, as the daemon would in its process;
// the client (the CLI's code path: rpc::connect, TwoPartyClient on the
// kj/asio bridge) waits for each answer in the benchmark thread.  Reported:
// p50 and p99 of the individual round trips, in microseconds, and the CPU
// time per call of the server thread (server_cpu_us; the benchmark's own
// CPU column is the client's): on a loaded machine the wall-clock figures
// include waiting for a core, the CPU figures do not.
#include <benchmark/benchmark.h>

#include <pthread.h>
#include <time.h>

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
      ::pthread_getcpuclockid(::pthread_self(), &cpu_clock);
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
  /// CPU time the server thread has used so far.
  [[nodiscard]] double cpu_us() const {
    timespec ts{};
    ::clock_gettime(cpu_clock, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
  }
  std::thread thread;
  clockid_t cpu_clock{};
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
  const double server_cpu0 = server.cpu_us();
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    auto req = client.bcms.listRequest();
    req.setOnlyApproved(false);
    auto r = req.send().wait(port.wait_scope());
    const auto t1 = std::chrono::steady_clock::now();
    if (r.getDevices().size() != static_cast<unsigned>(devices)) {
      state.SkipWithError(("wrong number of devices: " + std::to_string(r.getDevices().size()) + " errors: " + std::to_string(r.getErrors().size()) + (r.getErrors().size() ? r.getErrors()[0].cStr() : "")).c_str());
      break;
    }
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  if (us.empty()) return;
  state.counters["server_cpu_us"] = (server.cpu_us() - server_cpu0) / static_cast<double>(us.size());
  std::sort(us.begin(), us.end());
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  state.counters["devices"] = devices;
}

}  // namespace

// Real time: by CPU time (the client's, a fraction of the round trip) the
// run would outlast list()'s 60 s window and the devices would age out.
BENCHMARK(BM_rpc_list_1000)->Arg(1000)->Arg(10)->Unit(benchmark::kMicrosecond)->UseRealTime()->MinTime(3.0);
BENCHMARK_MAIN();
