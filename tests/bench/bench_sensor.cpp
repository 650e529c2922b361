// Decoded readings per second for each sensor decoder a collector runs on
// every advertisement or notification: GSS records (to Readings), the
// original BCMS's passive service data, BTHome v2 plain and encrypted
// (AES-CCM via libcrypto), iBeacon and Eddystone-TLM.  The counter
// "readings/s" counts Readings produced (for beacons: frames decoded).
#include <benchmark/benchmark.h>

#include "protocol/sensor/beacon.hpp"
#include "protocol/sensor/bthome_crypto.hpp"
#include "protocol/sensor/gatt_readings.hpp"

using namespace bcms;
using namespace bcms::sensor;

namespace {

void rate(benchmark::State& state, std::size_t readings) {
  state.counters["readings/s"] = benchmark::Counter(static_cast<double>(readings), benchmark::Counter::kIsRate);
}

void characteristic(benchmark::State& state, std::uint16_t uuid, const bytes& value) {
  std::size_t n = 0;
  for (auto _ : state) {
    auto r = decode_characteristic(uuid, value);
    if (!r) state.SkipWithError("decode failed");
    n += r->size();
    benchmark::DoNotOptimize(r);
  }
  rate(state, n);
}

const Key128 kKey{0x23, 0x1d, 0x39, 0xc1, 0xd7, 0xcc, 0x1a, 0xb1, 0xae, 0xe2, 0x24, 0xcd, 0x09, 0x6d, 0xb9, 0x32};
const Address kMac{{0xA5, 0x80, 0x8F, 0xE6, 0x48, 0x54}};
// packet id, battery, temperature, humidity, pressure, motion
const bytes kBthomeObjects{0x00, 0x09, 0x01, 0x5D, 0x02, 0xCA, 0x09, 0x03, 0xBF, 0x13, 0x04, 0x13, 0x8A, 0x01, 0x21, 0x01};

void BM_HeartRateMeasurement(benchmark::State& s) {
  characteristic(s, 0x2A37, {0x1F, 0x2C, 0x01, 0xE8, 0x03, 0x00, 0x04, 0x00, 0x02});
}
void BM_BloodPressureMeasurement(benchmark::State& s) {
  characteristic(s, 0x2A35, {0x1E, 0x79, 0x00, 0x51, 0x00, 0x5F, 0x00, 0xE8, 0x07, 0x03, 0x0F, 0x0A, 0x1E, 0x2D,
                             0x48, 0x00, 0x02, 0x04, 0x00});
}
void BM_TemperatureMeasurement(benchmark::State& s) {
  characteristic(s, 0x2A1C, {0x06, 0x6C, 0x01, 0x00, 0xFF, 0xE8, 0x07, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06});
}
void BM_WeightMeasurement(benchmark::State& s) { characteristic(s, 0x2A9D, {0x0C, 0x14, 0x37, 0x01, 0xE6, 0x00, 0xD6, 0x06}); }
void BM_PlxContinuous(benchmark::State& s) { characteristic(s, 0x2A5F, {0x00, 0x62, 0x00, 0x48, 0x00}); }
void BM_GlucoseMeasurement(benchmark::State& s) {
  characteristic(s, 0x2A18, {0x0B, 0x07, 0x00, 0xE8, 0x07, 0x01, 0x02, 0x03, 0x04, 0x05, 0xF6, 0xFF, 0x5F, 0xB0, 0x11,
                             0x00, 0x01});
}
void BM_EssTemperature(benchmark::State& s) { characteristic(s, 0x2A6E, {0x9A, 0x09}); }

void BM_PassiveServiceData(benchmark::State& state) {
  const bytes v{0x9A, 0x09};
  std::size_t n = 0;
  for (auto _ : state) {
    auto r = decode_passive_service_data(0x2A6E, v);
    n += r.has_value();
    benchmark::DoNotOptimize(r);
  }
  rate(state, n);
}

void BM_BthomePlain(benchmark::State& state) {
  bytes sd{0x40};
  sd.insert(sd.end(), kBthomeObjects.begin(), kBthomeObjects.end());
  std::size_t n = 0;
  for (auto _ : state) {
    auto p = decode_bthome(sd);
    if (!p) state.SkipWithError("decode failed");
    auto r = readings(*p);
    n += r.size();
    benchmark::DoNotOptimize(r);
  }
  rate(state, n);
}

// Decrypt + decode; the receiver's replay check is per device state, so
// each iteration decrypts the same sealed packet without it.
void BM_BthomeEncrypted(benchmark::State& state) {
  const bytes sd = bthome_encrypt(kKey, kMac, 0x40, 1, kBthomeObjects);
  std::size_t n = 0;
  for (auto _ : state) {
    auto h = parse_bthome_header(sd);
    std::uint32_t counter = 0;
    auto plain = bthome_decrypt(kKey, kMac, *h, counter);
    if (!plain) state.SkipWithError("decrypt failed");
    auto objects = decode_bthome_objects(*plain);
    auto r = readings(make_bthome_packet(*h, std::move(*objects), counter));
    n += r.size();
    benchmark::DoNotOptimize(r);
  }
  rate(state, n);
}

void BM_IBeacon(benchmark::State& state) {
  const bytes d{0x02, 0x15, 0xE2, 0xC5, 0x6D, 0xB5, 0xDF, 0xFB, 0x48, 0xD2, 0xB0, 0x60,
                0xD0, 0xF5, 0xA7, 0x10, 0x96, 0xE0, 0x00, 0x01, 0x01, 0x02, 0xC5};
  std::size_t n = 0;
  for (auto _ : state) {
    auto b = decode_ibeacon(apple_company_id, d);
    n += b.has_value();
    benchmark::DoNotOptimize(b);
  }
  rate(state, n);
}

void BM_EddystoneTlm(benchmark::State& state) {
  const bytes d{0x20, 0x00, 0x0B, 0xB8, 0x17, 0x80, 0x00, 0x00, 0x03, 0xE8, 0x00, 0x00, 0x8C, 0xA0};
  std::size_t n = 0;
  for (auto _ : state) {
    auto e = decode_eddystone(d);
    auto r = readings(std::get<EddystoneTlm>(*e));
    n += r.size();
    benchmark::DoNotOptimize(r);
  }
  rate(state, n);
}

}  // namespace

BENCHMARK(BM_HeartRateMeasurement);
BENCHMARK(BM_BloodPressureMeasurement);
BENCHMARK(BM_TemperatureMeasurement);
BENCHMARK(BM_WeightMeasurement);
BENCHMARK(BM_PlxContinuous);
BENCHMARK(BM_GlucoseMeasurement);
BENCHMARK(BM_EssTemperature);
BENCHMARK(BM_PassiveServiceData);
BENCHMARK(BM_BthomePlain);
BENCHMARK(BM_BthomeEncrypted);
BENCHMARK(BM_IBeacon);
BENCHMARK(BM_EddystoneTlm);
BENCHMARK_MAIN();
