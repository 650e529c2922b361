// The collector (src/collector): passive collection from Device Found
// event parameters built here byte by byte (mgmt-api.txt "Device Found
// Event"; advertising data, Core v5.4 Vol 3 Part C 11), and the active
// procedures against a REAL GattServer (att::Peripheral with the
// blood-pressure database shape of cli/examples/blood_pressure.cpp plus
// Battery and Date Time) over socketpair(AF_UNIX, SOCK_SEQPACKET).
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <optional>

#include "protocol/gatt/environment.hpp"
#include "protocol/gatt/health.hpp"
#include "protocol/gatt/sfloat.hpp"
#include "protocol/gatt/time.hpp"
#include "protocol/sensor/bthome_crypto.hpp"
#include "src/att/peripheral.hpp"
#include "src/collector/collector.hpp"
#include "src/gap/bonds.hpp"
#include "src/storage/storage.hpp"
#include "tests/engine/gap_kernel.hpp"
#include "tests/unit/storage_fixture.hpp"

using namespace bcms;
using namespace bcms::collector;
using namespace std::chrono_literals;

namespace {

bytes B(std::initializer_list<int> v) {
  bytes b;
  for (int x : v) b.push_back(static_cast<std::uint8_t>(x));
  return b;
}
bytes cat(bytes a, const bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

const Address kDev = Address::parse("54:48:E6:8F:80:A5").value();
const Address kOther = Address::parse("11:22:33:44:55:66").value();
const Key128 kKey{0x23, 0x1d, 0x39, 0xc1, 0xd7, 0xcc, 0x1a, 0xb1, 0xae, 0xe2, 0x24, 0xcd, 0x09, 0x6d, 0xb9, 0x32};

/// One AD structure: Service Data - 16-bit UUID (0x16).
bytes service_data(std::uint16_t uuid, const bytes& data) {
  bytes s{static_cast<std::uint8_t>(data.size() + 3), 0x16, static_cast<std::uint8_t>(uuid),
          static_cast<std::uint8_t>(uuid >> 8)};
  return cat(s, data);
}
bytes complete_name(std::string_view n) {
  bytes s{static_cast<std::uint8_t>(n.size() + 1), 0x09};
  s.insert(s.end(), n.begin(), n.end());
  return s;
}

/// Device Found parameters: Address (6, little-endian), Address_Type (1),
/// RSSI (1), Flags (4), EIR_Data_Length (2), EIR_Data.
bytes device_found(const Address& a, std::uint8_t type, const bytes& eir) {
  bytes p(a.b.begin(), a.b.end());
  p.push_back(type);
  p.push_back(0xC4);  // -60 dBm
  p.insert(p.end(), {0, 0, 0, 0});
  p.push_back(static_cast<std::uint8_t>(eir.size()));
  p.push_back(static_cast<std::uint8_t>(eir.size() >> 8));
  return cat(p, eir);
}

/// A collector on a loop with a hand-driven steady clock and a fixed wall clock.
struct Passive {
  asio::io_context io;
  std::chrono::steady_clock::time_point now{std::chrono::seconds(1000)};
  std::chrono::system_clock::time_point wall{std::chrono::seconds(1'796'000'000)};
  std::vector<Collected> got;
  Collector c;
  explicit Passive(Collector::Options o = {})
      : c(io.get_executor(), [this](const Collected& r) { got.push_back(r); }, o,
          Clock{[this] { return now; }, [this] { return wall; }}) {}
  void found(const Address& a, const bytes& eir, std::uint8_t type = 1) {
    REQUIRE_FALSE(c.on_device_found(device_found(a, type, eir)));
  }
  std::vector<std::pair<std::string, double>> values() const {
    std::vector<std::pair<std::string, double>> v;
    for (const auto& g : got) v.emplace_back(std::string(g.reading.type), g.reading.value);
    return v;
  }
};

}  // namespace

TEST_CASE("passive: the original's service data mapping (0x2A6E temperature, 0x180F battery)") {
  Passive p;
  p.found(kDev, cat(service_data(0x2A6E, B({0x9A, 0x09})), service_data(0x180F, B({0x55}))));
  REQUIRE(p.got.size() == 2);
  CHECK(p.got[0].device == Peer{kDev, AddressType::le_public});
  CHECK(p.got[0].reading.type == "temperature");
  CHECK(p.got[0].reading.value == 2458);  // unscaled, as the original took it
  CHECK(p.got[0].source == "service_data");
  CHECK(p.got[0].time == p.wall);
  CHECK(p.got[1].reading.type == "battery_level");
  CHECK(p.got[1].reading.value == 85);
  // Negative temperature (signed) and an unknown UUID (ignored).
  p.now += 3s;
  p.found(kDev, cat(service_data(0x2A6E, B({0xF6, 0xFF})), service_data(0x1234, B({1}))));
  REQUIRE(p.got.size() == 3);
  CHECK(p.got[2].reading.value == -10);
  // A malformed Device Found is the codec's error.
  CHECK(p.c.on_device_found(B({1, 2, 3})));
}

TEST_CASE("passive: at most one sample per device and type per 2 s") {
  Passive p;
  const bytes temp = service_data(0x2A6E, B({0x10, 0x00}));
  p.found(kDev, temp);
  p.now += 1s;
  p.found(kDev, temp);                                   // 1 s later: dropped
  p.found(kOther, temp);                                 // another device: kept
  p.found(kDev, service_data(0x180F, B({0x50})));        // another type: kept
  p.now += 999ms;
  p.found(kDev, temp);                                   // 1.999 s after the first: dropped
  p.now += 1ms;
  p.found(kDev, temp);                                   // 2 s: kept
  CHECK(p.got.size() == 4);
  CHECK(p.c.stats().sampled_out == 2);
  CHECK(p.got[0].device.addr == kDev);
  CHECK(p.got[1].device.addr == kOther);
  CHECK(p.got[2].reading.type == "battery_level");
  CHECK(p.got[3].reading.type == "temperature");
}

TEST_CASE("passive: the sampling period is an option") {
  Passive p(Collector::Options{.sample_period = 0s});
  const bytes temp = service_data(0x2A6E, B({0x10, 0x00}));
  p.found(kDev, temp);
  p.found(kDev, temp);
  CHECK(p.got.size() == 2);
}

TEST_CASE("passive: BTHome v2 plain, packet id de-duplication") {
  Passive p;
  // info 0x40 (v2, plain), 0x00 packet id 5, 0x01 battery 93 %, 0x02 temperature 25.06 °C.
  const bytes pkt5 = service_data(0xFCD2, B({0x40, 0x00, 0x05, 0x01, 0x5D, 0x02, 0xCA, 0x09}));
  p.found(kDev, pkt5);
  REQUIRE(p.got.size() == 2);
  CHECK(p.got[0].source == "bthome");
  CHECK(p.got[0].reading.type == "battery_level");
  CHECK(p.got[0].reading.value == 93);
  CHECK(p.got[1].reading.type == "temperature");
  CHECK(p.got[1].reading.value == doctest::Approx(25.06));
  CHECK(p.got[1].reading.unit == "°C");
  p.now += 2500ms;
  p.found(kDev, pkt5);  // the same packet id, after the sampling period: still a repeat
  CHECK(p.got.size() == 2);
  CHECK(p.c.passive_stats().bthome_duplicates == 1);
  p.found(kDev, service_data(0xFCD2, B({0x40, 0x00, 0x06, 0x02, 0xCB, 0x09})));
  REQUIRE(p.got.size() == 3);
  CHECK(p.got[2].reading.value == doctest::Approx(25.07));
  CHECK(p.c.passive_stats().bthome_packets == 2);
}

TEST_CASE("passive: BTHome v2 encrypted with a bind key; repeats and replays rejected") {
  Passive p;
  p.c.set_bind_key(kDev, kKey);
  auto encrypted = [](std::uint32_t counter, const bytes& objects) {
    return service_data(0xFCD2, sensor::bthome_encrypt(kKey, kDev, 0x40, counter, objects));
  };
  const bytes first = encrypted(5, B({0x02, 0x66, 0x08}));   // 21.50 °C
  const bytes second = encrypted(6, B({0x02, 0x98, 0x08}));  // 22.00 °C
  p.found(kDev, first);
  REQUIRE(p.got.size() == 1);
  CHECK(p.got[0].reading.type == "temperature");
  CHECK(p.got[0].reading.value == doctest::Approx(21.50));
  p.now += 100ms;
  p.found(kDev, first);  // the same advertisement again: a repeat, not a reading
  CHECK(p.c.passive_stats().bthome_repeats == 1);
  p.now += 3s;
  p.found(kDev, second);
  REQUIRE(p.got.size() == 2);
  CHECK(p.got[1].reading.value == doctest::Approx(22.00));
  p.now += 3s;
  p.found(kDev, first);  // counter 5 after 6: replayed
  CHECK(p.got.size() == 2);
  CHECK(p.c.passive_stats().bthome_replays == 1);
  // The same counter with other content (a forged or replayed counter).
  p.found(kDev, encrypted(6, B({0x02, 0x00, 0x10})));
  CHECK(p.got.size() == 2);
  CHECK(p.c.passive_stats().bthome_replays == 2);
  // A wrong key's MIC fails; plaintext from this device is a downgrade.
  const Key128 wrong{};
  p.found(kDev, service_data(0xFCD2, sensor::bthome_encrypt(wrong, kDev, 0x40, 9, B({0x02, 0x00, 0x10}))));
  CHECK(p.c.passive_stats().bthome_auth_failures == 1);
  p.found(kDev, service_data(0xFCD2, B({0x40, 0x02, 0x00, 0x10})));
  CHECK(p.c.passive_stats().bthome_downgrades == 1);
  CHECK(p.got.size() == 2);
  // The authentic next counter is still accepted.
  p.found(kDev, encrypted(7, B({0x01, 0x40})));
  REQUIRE(p.got.size() == 3);
  CHECK(p.got[2].reading.type == "battery_level");
  CHECK(p.got[2].reading.value == 64);
}

TEST_CASE("passive: encrypted BTHome without a bind key gives nothing") {
  Passive p;
  p.found(kDev, service_data(0xFCD2, sensor::bthome_encrypt(kKey, kDev, 0x40, 1, B({0x02, 0x66, 0x08}))));
  CHECK(p.got.empty());
  CHECK(p.c.passive_stats().bthome_no_key == 1);
}

TEST_CASE("passive: Eddystone-TLM") {
  Passive p;
  // frame 0x20, version 0, VBATT 3000 mV, TEMP 25.5 °C (8.8), ADV_CNT 4, SEC_CNT 600 (60 s).
  p.found(kDev, service_data(0xFEAA, B({0x20, 0x00, 0x0B, 0xB8, 0x19, 0x80, 0, 0, 0, 4, 0, 0, 0x02, 0x58})));
  const auto v = p.values();
  REQUIRE(v.size() == 3);
  CHECK(v[0] == std::pair<std::string, double>{"battery_voltage", 3.0});
  CHECK(v[1] == std::pair<std::string, double>{"temperature", 25.5});
  CHECK(v[2] == std::pair<std::string, double>{"uptime", 60.0});
  CHECK(p.got[0].source == "eddystone");
}

TEST_CASE("passive: Device Found through a MgmtChannel subscription") {
  Passive p;
  auto [near, far] = test::seqpacket_pair();
  mgmt::MgmtChannel ch(mgmt::MgmtChannel::socket_type(p.io, asio::generic::raw_protocol(AF_UNIX, 0), near));
  test::FakePeer kernel(far);
  auto sub = p.c.attach(ch, 0);
  kernel.write(test::mgmt_packet(0x0012, 1, device_found(kOther, 2, service_data(0x180F, B({0x11})))));  // hci1
  kernel.write(test::mgmt_packet(0x0012, 0, device_found(kDev, 2, service_data(0x180F, B({0x22})))));
  kernel.write(test::mgmt_packet(0x0012, 0, B({1, 2, 3})));  // malformed: dropped by the channel
  test::run_until(p.io, [&] { return ch.stats().events >= 3; });
  p.io.poll();
  REQUIRE(p.got.size() == 1);
  CHECK(p.got[0].device == Peer{kDev, AddressType::le_random});
  CHECK(p.got[0].reading.value == 0x22);
  CHECK(ch.stats().events_dropped == 1);
}

TEST_CASE("profiles: names and advertised services pick the procedure") {
  const auto t = default_profiles();
  const std::uint16_t none[] = {0x1800};
  const std::uint16_t hr[] = {0x180D};
  const std::uint16_t bp[] = {0x1810};
  REQUIRE(match_profile(t, "A&D_UA-651BLE_8A2F", none));
  CHECK(match_profile(t, "A&D_UA-651BLE_8A2F", none)->name == "blood_pressure");
  CHECK(match_profile(t, "BLESmart_0000021F", none)->name == "blood_pressure");
  CHECK(match_profile(t, "X4 Smart 2", none)->name == "blood_pressure");
  CHECK(match_profile(t, "bcms-bpm", bp)->name == "blood_pressure");
  CHECK(match_profile(t, "Polar H10", hr)->name == "generic");
  CHECK(match_profile(t, "X4", none) == nullptr);
  CHECK(match_profile(t, "", none) == nullptr);
  CHECK(match_profile(t, "a&d_ua-651ble_1", none) == nullptr);  // prefixes are exact
  const auto& bpp = *match_profile(t, "BLESmart_1", none);
  CHECK(bpp.procedure.clock);
  CHECK(bpp.procedure.max_clock_skew == 60s);
  CHECK(bpp.procedure.subscribe == std::vector<std::uint16_t>{0x2A35});
}

// ---------------------------------------------------------------- active

namespace {

using att::Characteristic;
using att::Flags;

/// The blood-pressure example's database (cli/examples/blood_pressure.cpp)
/// with the Date Time a monitor keeps its clock in (the A&D UA-651BLE has
/// it in the Blood Pressure service) and a Battery service.
struct BloodPressureService : att::Service {
  BloodPressureService() : Service(gatt::blood_pressure_service) {}
  Characteristic& measurement = characteristic(gatt::blood_pressure_measurement_uuid, Flags::indicate);
  Characteristic& feature = characteristic(gatt::blood_pressure_feature_uuid, Flags::read, {.initial = {0x00, 0x00}});
  Characteristic& date_time = characteristic(gatt::date_time_uuid, Flags::read | Flags::write, {.initial = {}});
};
struct BatteryService : att::Service {
  BatteryService() : Service(gatt::battery_service) {}
  Characteristic& level = characteristic(gatt::battery_level_uuid, Flags::read, {.initial = {75}});
};
/// A device that keeps its clock in Current Time (CTS 0x1805) instead.
struct CurrentTimeService : att::Service {
  CurrentTimeService() : Service(gatt::current_time_service) {}
  Characteristic& current_time = characteristic(gatt::current_time_uuid, Flags::read | Flags::write, {.initial = {}});
};

constexpr std::int64_t kWall = 1'796'000'000;  // 2026-11-30 (the injected wall clock)

bytes measurement(int sys, int dias, int map, int pulse) {
  gatt::BloodPressureMeasurement m{.systolic = gatt::Sfloat::make(sys, 0).value(),
                                   .diastolic = gatt::Sfloat::make(dias, 0).value(),
                                   .mean_arterial = gatt::Sfloat::make(map, 0).value(),
                                   .timestamp = gatt::date_time_from_unix(kWall),
                                   .pulse_rate = gatt::Sfloat::make(pulse, 0).value()};
  return gatt::encode(m);
}

struct Active {
  struct BpNoClock : att::Service {
    BpNoClock() : Service(gatt::blood_pressure_service) {}
    Characteristic& measurement = characteristic(gatt::blood_pressure_measurement_uuid, Flags::indicate);
  };
  asio::io_context io;
  // The services outlive the peripheral that serves them.
  BatteryService battery;
  BloodPressureService bp;
  CurrentTimeService cts;
  BpNoClock bp_no_clock;
  att::Peripheral peripheral{io};
  std::vector<Collected> got;
  std::optional<att::ConnId> conn;
  int connects = 0;
  std::vector<bytes> to_indicate;
  std::size_t indicated = 0;
  std::function<void()> tick;
  std::vector<Profile> profiles;
  Collector c;

  static std::vector<Profile> short_profiles() {
    std::vector<Profile> p(default_profiles().begin(), default_profiles().end());
    for (auto& x : p) x.procedure.listen = 400ms;
    return p;
  }

  explicit Active(bool current_time = false, Collector::Options o = {})
      : profiles(short_profiles()),
        c(io.get_executor(), [this](const Collected& r) { got.push_back(r); }, with_profiles(o),
          Clock{[] { return std::chrono::steady_clock::now(); },
                [] { return std::chrono::system_clock::time_point(std::chrono::seconds(kWall)); }}) {
    peripheral.add(battery);
    bp.date_time.write(gatt::encode_date_time(gatt::date_time_from_unix(kWall)).value());
    if (current_time) {
      peripheral.add(cts);
      peripheral.add(bp_no_clock);  // the blood-pressure service without Date Time
    } else {
      peripheral.add(bp);
    }
    peripheral.register_services();
    c.set_connect([this](Peer peer) -> asio::awaitable<expected<std::shared_ptr<att::AttBearer>>> {
      ++connects;
      int sv[2];
      REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
      conn = peripheral.attach(att::AttBearer::Socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), sv[0]),
                               Peer{Address::parse("00:AA:01:00:00:00").value(), AddressType::le_public}, nullptr);
      att::ConnState st;
      st.id = 100;
      st.peer = peer;
      auto b = att::AttBearer::create(att::AttBearer::Socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), sv[1]),
                                      std::move(st), att::AttBearer::Options{});
      b->start();
      co_return b;
    });
  }
  Collector::Options with_profiles(Collector::Options o) {
    o.profiles = profiles;
    return o;
  }

  /// One loop turn, then the device side: the next queued measurement is
  /// indicated as soon as a client subscribed.
  void turn() {
    io.poll();
    io.restart();
    if (indicated < to_indicate.size()) {
      auto& ch = bp.measurement.value_handle() ? bp.measurement : bp_no_clock.measurement;
      if (ch.notify_all(to_indicate[indicated]) > 0) ++indicated;
    }
    if (tick) tick();
  }

  expected<ProcedureReport> collect(const Profile& profile, std::chrono::seconds limit = 5s) {
    std::optional<expected<ProcedureReport>> r;
    asio::co_spawn(io, c.collect(Peer{kDev, AddressType::le_public}, profile),
                   [&](std::exception_ptr e, expected<ProcedureReport> x) {
                     REQUIRE_FALSE(e);
                     r = std::move(x);
                   });
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!r && std::chrono::steady_clock::now() < deadline) turn();
    REQUIRE(r);
    return std::move(*r);
  }
  const Profile& bp_profile() const { return profiles[0]; }

  std::vector<double> field(std::string_view type, std::string_view f) const {
    std::vector<double> v;
    for (const auto& g : got)
      if (g.reading.type == type && g.reading.field == f) v.push_back(g.reading.value);
    return v;
  }
};

}  // namespace

TEST_CASE("active: blood pressure: battery read, a clock within 60 s left alone, every indication kept") {
  Active a;
  a.bp.date_time.write(gatt::encode_date_time(gatt::date_time_from_unix(kWall + 30)).value());
  const bytes before = a.bp.date_time.value();
  // Two equal measurements: both are kept (no sampling on a connection).
  a.to_indicate = {measurement(120, 80, 93, 72), measurement(118, 78, 91, 70), measurement(120, 80, 93, 72)};
  auto r = a.collect(a.bp_profile());
  REQUIRE(r);
  CHECK(a.indicated == 3);
  CHECK(r->values_received == 3);
  CHECK(r->failures == 0);
  REQUIRE(r->clock_offset);
  CHECK(*r->clock_offset == 30s);
  CHECK_FALSE(r->clock_written);
  CHECK(a.bp.date_time.value() == before);
  CHECK(a.field("battery_level", "level") == std::vector<double>{75});
  CHECK(a.field("blood_pressure", "sys") == std::vector<double>{120, 118, 120});
  CHECK(a.field("blood_pressure", "dias") == std::vector<double>{80, 78, 80});
  CHECK(a.field("blood_pressure", "map") == std::vector<double>{93, 91, 93});
  CHECK(a.field("heart_rate", "rate") == std::vector<double>{72, 70, 72});
  REQUIRE_FALSE(a.got.empty());
  CHECK(a.got[0].source == "gatt");
  CHECK(a.got[1].reading.unit == "mmHg");
  CHECK(a.got[0].device == Peer{kDev, AddressType::le_public});
  // The procedure closed the link and wrote the CCCD back first.
  CHECK(a.peripheral.connections().empty());
  CHECK(a.bp.measurement.notify_all(measurement(1, 1, 1, 1)) == 0);
}

TEST_CASE("active: the resolved hook runs once per procedure, after discovery and before the first read") {
  Active a;
  a.to_indicate = {measurement(120, 80, 93, 72)};
  std::vector<std::pair<Peer, std::size_t>> calls;  // device, readings delivered by then
  a.c.set_on_resolved([&](const Peer& p) { calls.emplace_back(p, a.got.size()); });
  auto r = a.collect(a.bp_profile());
  REQUIRE(r);
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].first == Peer{kDev, AddressType::le_public});
  CHECK(calls[0].second == 0);  // the battery read came after it
  CHECK(a.field("battery_level", "level") == std::vector<double>{75});
}

TEST_CASE("active: no resolved hook when discovery fails (the link dropped before it)") {
  Active a;
  int calls = 0;
  a.c.set_on_resolved([&](const Peer&) { ++calls; });
  a.c.set_connect([&a](Peer peer) -> asio::awaitable<expected<std::shared_ptr<att::AttBearer>>> {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    ::close(sv[0]);  // the peer is gone before the first request
    att::ConnState st;
    st.id = 101;
    st.peer = peer;
    auto b = att::AttBearer::create(att::AttBearer::Socket(a.io, asio::generic::seq_packet_protocol(AF_UNIX, 0), sv[1]),
                                    std::move(st), att::AttBearer::Options{});
    b->start();
    co_return b;
  });
  auto r = a.collect(a.bp_profile());
  CHECK_FALSE(r);
  CHECK(calls == 0);
}

TEST_CASE("active: the device clock is rewritten when more than 60 s off") {
  const std::int64_t device_times[] = {kWall - 61, kWall + 61, kWall + 3600 * 24};
  for (std::int64_t t : device_times) {
    CAPTURE(t - kWall);
    Active a;
    a.bp.date_time.write(gatt::encode_date_time(gatt::date_time_from_unix(t)).value());
    auto r = a.collect(a.bp_profile());
    REQUIRE(r);
    CHECK(*r->clock_offset == std::chrono::seconds(t - kWall));
    CHECK(r->clock_written);
    CHECK(a.bp.date_time.value() == gatt::encode_date_time(gatt::date_time_from_unix(kWall)).value());
  }
  SUBCASE("exactly 60 s off is within the limit") {
    Active a;
    a.bp.date_time.write(gatt::encode_date_time(gatt::date_time_from_unix(kWall - 60)).value());
    auto r = a.collect(a.bp_profile());
    REQUIRE(r);
    CHECK_FALSE(r->clock_written);
  }
  SUBCASE("a clock that is not set (year 0) is set") {
    Active a;
    a.bp.date_time.write(B({0, 0, 0, 0, 0, 0, 0}));
    auto r = a.collect(a.bp_profile());
    REQUIRE(r);
    CHECK_FALSE(r->clock_offset);
    CHECK(r->clock_written);
    CHECK(a.bp.date_time.value() == gatt::encode_date_time(gatt::date_time_from_unix(kWall)).value());
  }
}

TEST_CASE("active: a device with Current Time 0x2A2B instead of Date Time") {
  Active a(/*current_time=*/true);
  a.cts.current_time.write(gatt::encode_current_time(gatt::current_time_from_unix(kWall - 300)).value());
  a.to_indicate = {measurement(125, 83, 97, 75)};
  auto r = a.collect(a.bp_profile());
  REQUIRE(r);
  CHECK(*r->clock_offset == -300s);
  CHECK(r->clock_written);
  auto written = gatt::decode_current_time(a.cts.current_time.value());
  REQUIRE(written);
  CHECK(written->date_time == gatt::date_time_from_unix(kWall));
  CHECK(a.field("blood_pressure", "sys") == std::vector<double>{125});
}

TEST_CASE("active: a disconnect while listening ends the procedure with an error, readings so far kept") {
  Active a;
  a.to_indicate = {measurement(120, 80, 93, 72)};
  Profile p = a.bp_profile();
  p.procedure.listen = 30s;  // would hang the test if the disconnect went unnoticed
  a.tick = [&] {
    if (a.indicated == 1 && a.field("blood_pressure", "sys").size() == 1 && a.conn) a.peripheral.disconnect(*a.conn);
  };
  const auto t0 = std::chrono::steady_clock::now();
  auto r = a.collect(p);
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  REQUIRE_FALSE(r);
  CHECK(r.error() == asio::error::not_connected);
  CHECK(a.field("blood_pressure", "sys") == std::vector<double>{120});
}

TEST_CASE("active: a disconnect during a read that is never answered ends the procedure, no hang") {
  Active a;
  bool asked = false;
  a.battery.level.read_handler([&](const att::Connection&, att::ReadDone) { asked = true; });  // never answers
  a.tick = [&] {
    if (asked && a.conn) {
      a.peripheral.disconnect(*a.conn);
      a.conn.reset();
    }
  };
  const auto t0 = std::chrono::steady_clock::now();
  auto r = a.collect(a.bp_profile());
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  CHECK(asked);
  REQUIRE_FALSE(r);
  CHECK(a.got.empty());
}

TEST_CASE("active: an advertisement matching a profile starts its procedure, once per device") {
  Active a(false, Collector::Options{.active = true, .reconnect_after = 60s});
  a.to_indicate = {measurement(130, 85, 100, 78)};
  a.c.on_device_found(device_found(kOther, 1, complete_name("SomeThing")));
  CHECK(a.connects == 0);
  REQUIRE_FALSE(a.c.on_device_found(device_found(kDev, 1, complete_name("A&D_UA-651BLE_8A2F"))));
  CHECK(a.c.active_procedures() == 1);
  a.c.on_device_found(device_found(kDev, 1, complete_name("A&D_UA-651BLE_8A2F")));  // already busy
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (a.c.active_procedures() > 0 && std::chrono::steady_clock::now() < deadline) a.turn();
  CHECK(a.c.active_procedures() == 0);
  CHECK(a.connects == 1);
  CHECK(a.c.stats().procedures_started == 1);
  CHECK(a.c.stats().procedures_failed == 0);
  CHECK(a.field("blood_pressure", "sys") == std::vector<double>{130});
  CHECK(a.field("battery_level", "level") == std::vector<double>{75});
  a.c.on_device_found(device_found(kDev, 1, complete_name("A&D_UA-651BLE_8A2F")));  // within reconnect_after
  CHECK(a.c.active_procedures() == 0);
  CHECK(a.connects == 1);
}

TEST_CASE("active: a bonded device's database comes from the discovery cache on the next collection") {
  Active a;
  test::ScriptedKernel kernel{a.io};
  mgmt::MgmtChannel ch{kernel.channel_socket()};
  storage::test::TempDir dir;
  auto store = storage::Storage::open(dir / "bonds.db");
  REQUIRE(store);
  const Address local = Address::parse("00:AA:02:00:00:00").value();
  REQUIRE(store->store_ltk(local, storage::LongTermKey{Peer{kDev, AddressType::le_public}, 0, false, 16, 0, 0, {}}));
  gap::BondManager bonds(ch, 0, *store, local);
  a.c.set_cache(&bonds);
  a.to_indicate = {measurement(120, 80, 93, 72)};
  auto first = a.collect(a.bp_profile());
  REQUIRE(first);
  CHECK_FALSE(first->cache_hit);
  a.to_indicate.push_back(measurement(118, 78, 91, 70));
  auto second = a.collect(a.bp_profile());
  REQUIRE(second);
  CHECK(second->cache_hit);
  CHECK(second->values_received == 1);
  CHECK(a.field("blood_pressure", "sys") == std::vector<double>{120, 118});
  CHECK(a.field("battery_level", "level") == std::vector<double>{75, 75});
}
