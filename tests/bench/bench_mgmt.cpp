// Device Found decode through the receive path: decode_frame ->
// decode_event (table lookup, size check, typed decoder into the Event
// variant), for a frame with 31 octets of advertising data.  Baseline in
// the same run: a memcpy of the same 51-octet frame, so the ratio can be
// quoted.  Decoding allocates nothing (the EIR data is a view).
#include <benchmark/benchmark.h>

#include <cstring>
#include <variant>

#include "protocol/mgmt/dispatch.hpp"
#include "protocol/mgmt/frame.hpp"

using namespace bcms;
using namespace bcms::mgmt;

namespace {

bytes device_found_frame() {
  // header: code 0x0012, index 0, length 45; addr, LE public, RSSI -60,
  // flags 0, EIR length 31, then 31 octets of AD.
  bytes f = {0x12, 0x00, 0x00, 0x00, 0x2D, 0x00, 0x22, 0x11, 0x00, 0xEE, 0xFF, 0xC0, 0x01, 0xC4,
             0x00, 0x00, 0x00, 0x00, 0x1F, 0x00, 0x02, 0x01, 0x06, 0x0C, 0x09, 'b',  'c',  'm',
             's',  '-',  's',  'e',  'n',  's',  'o',  'r',  0x04, 0x16, 0x0F, 0x18, 0x5A, 0x09,
             0xFF, 0x4C, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06};
  return f;
}

void BM_DeviceFound_FrameDispatch(benchmark::State& state) {
  const bytes frame = device_found_frame();
  for (auto _ : state) {
    auto f = decode_frame(frame);
    auto ev = decode_event(*f);
    benchmark::DoNotOptimize(std::get<DeviceFoundEvent>(*ev).eir_data.size());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DeviceFound_FrameDispatch);

void BM_DeviceFound_FrameTyped(benchmark::State& state) {
  const bytes frame = device_found_frame();
  for (auto _ : state) {
    auto f = decode_frame(frame);
    auto ev = DeviceFoundEvent::decode(f->params);
    benchmark::DoNotOptimize(ev->eir_data.size());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DeviceFound_FrameTyped);

void BM_Baseline_MemcpyFrame(benchmark::State& state) {
  const bytes frame = device_found_frame();
  std::uint8_t buf[64];
  for (auto _ : state) {
    benchmark::DoNotOptimize(frame.data());
    std::memcpy(buf, frame.data(), frame.size());
    benchmark::DoNotOptimize(buf);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Baseline_MemcpyFrame);

}  // namespace

BENCHMARK_MAIN();
