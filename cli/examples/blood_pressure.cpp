// bcms-example-blood-pressure: a blood pressure monitor (Blood Pressure
// Service 0x1810, BLS 1.1), the test peer later issues' collectors use:
//   0x2A35 Blood Pressure Measurement  indicate (IEEE-11073 SFLOAT fields,
//          mmHg, with Time Stamp and Pulse Rate), one measurement every
//          --interval-ms (default 5 s) to every subscribed client
//   0x2A49 Blood Pressure Feature      read (uint16, 0: no optional features)
//   0x2A08 Date Time                   read, write: the device clock, set to
//          2020-01-01 00:00:00 at start (a monitor whose clock was never
//          set), so a collector has to rewrite it; writes are logged
// and Battery Service 0x180F: 0x2A19 Battery Level, read (87 %).
// Measurements cycle through a small fixed table, so a collector can check
// what it decodes.
#include <ctime>

#include "cli/examples/example.hpp"
#include "protocol/gatt/environment.hpp"
#include "protocol/gatt/health.hpp"
#include "protocol/gatt/time.hpp"

using namespace bcms;
using namespace bcms::att;

namespace {

struct BloodPressure : Service {
  BloodPressure() : Service(gatt::blood_pressure_service) {}
  Characteristic& measurement = characteristic(gatt::blood_pressure_measurement_uuid, Flags::indicate);
  Characteristic& feature = characteristic(gatt::blood_pressure_feature_uuid, Flags::read, {.initial = {0x00, 0x00}});
  Characteristic& clock = characteristic(gatt::date_time_uuid, Flags::read | Flags::write,
                                         {.initial = gatt::encode_date_time({2020, 1, 1, 0, 0, 0}).value()});
};

struct Battery : Service {
  Battery() : Service(gatt::battery_service) {}
  Characteristic& level = characteristic(gatt::battery_level_uuid, Flags::read, {.initial = {87}});
};

struct Reading {
  std::int16_t systolic, diastolic, mean_arterial, pulse;
};
constexpr Reading kReadings[] = {{120, 80, 93, 72}, {118, 78, 91, 70}, {125, 83, 97, 75}, {130, 85, 100, 78}};

gatt::DateTime now_utc() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  return {static_cast<std::uint16_t>(tm.tm_year + 1900), static_cast<std::uint8_t>(tm.tm_mon + 1),
          static_cast<std::uint8_t>(tm.tm_mday),         static_cast<std::uint8_t>(tm.tm_hour),
          static_cast<std::uint8_t>(tm.tm_min),          static_cast<std::uint8_t>(tm.tm_sec)};
}

}  // namespace

int main(int argc, char** argv) {
  const examples::Example ex{
      .program = "bcms-example-blood-pressure",
      .summary = "a blood pressure monitor (Blood Pressure Service 0x1810) sending indications",
      .description =
          "Serves Blood Pressure Service 0x1810: Blood Pressure Measurement 0x2A35 (indicate; flags, systolic,\n"
          "diastolic and mean arterial pressure as IEEE-11073 16-bit SFLOAT in mmHg, Time Stamp (UTC), Pulse\n"
          "Rate SFLOAT) and Blood Pressure Feature 0x2A49 (read, 00 00).  Every --interval-ms each subscribed\n"
          "client gets the next reading of a fixed cycle (120/80/93 pulse 72, 118/78/91 pulse 70, ...) as an\n"
          "indication.  Advertises its name, 0x1810 and appearance 0x0380 (Generic Blood Pressure).",
      .default_name = "bcms-bpm",
      .appearance = 0x0380,
      .adv_uuid16 = {gatt::blood_pressure_service},
      .default_interval = std::chrono::milliseconds(5000),
  };
  BloodPressure bp;
  Battery battery;
  return examples::run(
      argc, argv, ex, nullptr,
      [&](examples::Context& c) -> examples::Tick {
        bp.clock.write_handler([&bp](const Connection& conn, byte_span v) -> WriteResult {
          auto t = gatt::decode_date_time(v);
          if (!t) return tl::unexpected(att_errc::value_not_allowed);
          std::printf("clock set by %s to %04u-%02u-%02u %02u:%02u:%02u\n", conn.peer.to_string().c_str(), t->year,
                      t->month, t->day, t->hours, t->minutes, t->seconds);
          std::fflush(stdout);
          bp.clock.write(bytes(v.begin(), v.end()));
          return {};
        });
        c.peripheral.add(bp);
        c.peripheral.add(battery);
        auto n = std::make_shared<std::size_t>(0);
        return [&, n] {
          const Reading& r = kReadings[(*n)++ % std::size(kReadings)];
          gatt::BloodPressureMeasurement m{.systolic = gatt::Sfloat::make(r.systolic, 0).value(),
                                           .diastolic = gatt::Sfloat::make(r.diastolic, 0).value(),
                                           .mean_arterial = gatt::Sfloat::make(r.mean_arterial, 0).value(),
                                           .timestamp = now_utc(),
                                           .pulse_rate = gatt::Sfloat::make(r.pulse, 0).value()};
          bp.measurement.write(gatt::encode(m), /*send_update=*/true);
        };
      });
}
