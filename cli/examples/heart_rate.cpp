// bcms-example-heart-rate: the heart-rate peripheral of seed 001
// (bluez-peripheral's HeartRateService + NoIoAgent + "Heart Monitor"
// advertisement with 0x180D and appearance 0x0340), on bcms: no
// bluetoothd, no D-Bus.
//
// Serves Heart Rate Service 0x180D (HRS 1.0):
//   0x2A37 Heart Rate Measurement  notify (+ read, as in the seed)
//   0x2A38 Body Sensor Location    read (--location, default 1 = chest)
//   0x2A39 Heart Rate Control Point write: 0x01 resets Energy Expended,
//          anything else is refused with ATT error 0x80 (HRS 3.3.1)
// and a vendor service for the pairing tests:
//   b2c30001-7a3d-4d6e-9f10-5c1a8e2d4b60 (service)
//   b2c30002-... "encrypted-only" read: Insufficient Encryption (0x0F)
//          until the link is encrypted (pair, or reconnect bonded)
//   b2c30003-... "scratch": read, write, reliable write, authenticated
//          signed writes; up to 512 octets, initially 120 (longer than any
//          ATT_MTU - 1 below 121: long reads, prepared writes, signed writes)
// and with --extra-service a third vendor service b2c30010-... (one
// readable characteristic b2c30011-...): a different database for the
// same device (Service Changed tests).
#include <cstdio>
#include <string>

#include "cli/examples/example.hpp"
#include "protocol/gatt/health.hpp"

using namespace bcms;
using namespace bcms::att;

namespace {

constexpr const char* kSecretService = "b2c30001-7a3d-4d6e-9f10-5c1a8e2d4b60";
constexpr const char* kSecretChar = "b2c30002-7a3d-4d6e-9f10-5c1a8e2d4b60";
constexpr const char* kScratchChar = "b2c30003-7a3d-4d6e-9f10-5c1a8e2d4b60";
constexpr const char* kExtraService = "b2c30010-7a3d-4d6e-9f10-5c1a8e2d4b60";
constexpr const char* kExtraChar = "b2c30011-7a3d-4d6e-9f10-5c1a8e2d4b60";

bytes scratch_initial() {  // "bcms long value 000 ... 100 " (120 octets)
  std::string s = "bcms long value ";
  for (int i = 0; s.size() < 120; i += 4) s += std::to_string(1000 + i).substr(1) + ' ';
  s.resize(120);
  return {s.begin(), s.end()};
}

struct HeartRate : Service {
  HeartRate() : Service(gatt::heart_rate_service) {}
  Characteristic& measurement =
      characteristic(gatt::heart_rate_measurement_uuid, Flags::notify | Flags::read, {.initial = {0x00, 0x00}});
  Characteristic& location = characteristic(gatt::body_sensor_location_uuid, Flags::read, {.initial = {0x01}});
  Characteristic& control = characteristic(gatt::heart_rate_control_point_uuid, Flags::write, {.max_len = 1});
};

struct Secret : Service {
  Secret() : Service(Uuid::parse(kSecretService).value()) {}
  Characteristic& value = characteristic(Uuid::parse(kSecretChar).value(), Flags::read | Flags::encrypt_read,
                                         {.initial = {'b', 'c', 'm', 's', ' ', 's', 'e', 'c', 'r', 'e', 't'}});
  Characteristic& scratch =
      characteristic(Uuid::parse(kScratchChar).value(),
                     Flags::read | Flags::write | Flags::reliable_write | Flags::authenticated_signed_writes,
                     {.initial = scratch_initial()});
};

struct Extra : Service {
  Extra() : Service(Uuid::parse(kExtraService).value()) {}
  Characteristic& value = characteristic(Uuid::parse(kExtraChar).value(), Flags::read, {.initial = {'x'}});
};

}  // namespace

int main(int argc, char** argv) {
  const examples::Example ex{
      .program = "bcms-example-heart-rate",
      .summary = "a Heart Rate Sensor (Heart Rate Service 0x180D) for BLE centrals",
      .description =
          "Serves Heart Rate Service 0x180D: Heart Rate Measurement 0x2A37 (notify, read; uint8 bpm, sensor\n"
          "contact, energy expended, RR-intervals), Body Sensor Location 0x2A38 (read), Heart Rate Control\n"
          "Point 0x2A39 (write 01: reset energy expended); plus a vendor characteristic\n"
          "b2c30002-7a3d-4d6e-9f10-5c1a8e2d4b60 readable only over an encrypted link (pairing tests), and\n"
          "b2c30003-... (read, write, reliable and signed writes, 120 octets: long reads and writes).\n"
          "--extra-service adds a vendor service b2c30010-... (a changed database, for Service Changed).\n"
          "Advertises its name, 0x180D and appearance 0x0340 (Generic Heart Rate Sensor), connectable.\n"
          "Pairing: Just Works by default (--agent); bonds are stored (--db) and loaded into the kernel at\n"
          "start, so bonded centrals reconnect encrypted without pairing again.",
      .default_name = "Heart Monitor",
      .appearance = 0x0340,
      .adv_uuid16 = {gatt::heart_rate_service},
  };
  int location = 1;
  bool extra_service = false;
  HeartRate hr;
  Secret secret;
  Extra extra;
  return examples::run(
      argc, argv, ex,
      [&](CLI::App& app) {
        app.add_option("--location", location, "Body Sensor Location (0 other, 1 chest, 2 wrist, ... 6 foot)")
            ->check(CLI::Range(0, 6));
        app.add_flag("--extra-service", extra_service, "Also serve the vendor service b2c30010-... (Service Changed tests)");
      },
      [&](examples::Context& c) -> examples::Tick {
        hr.location.write({static_cast<std::uint8_t>(location)});
        auto energy = std::make_shared<std::uint16_t>(0);
        hr.control.write_handler([energy](const Connection& conn, byte_span v) -> WriteResult {
          if (v.size() != 1 || v[0] != gatt::hr_control_reset_energy_expended)
            return tl::unexpected(static_cast<att_errc>(gatt::hr_control_not_supported_error));
          *energy = 0;
          std::printf("control point: energy expended reset by %s\n", conn.peer.to_string().c_str());
          std::fflush(stdout);
          return {};
        });
        c.peripheral.add(hr);
        c.peripheral.add(secret);
        if (extra_service) c.peripheral.add(extra);
        auto step = std::make_shared<unsigned>(0);
        return [&, energy, step] {
          // 60..100 bpm and back; RR-interval = 60 / bpm seconds in 1/1024 s.
          const unsigned s = (*step)++ % 80;
          const auto bpm = static_cast<std::uint16_t>(60 + (s < 40 ? s : 80 - s));
          *energy = static_cast<std::uint16_t>(*energy + 1);
          gatt::HeartRateMeasurement m{.bpm = bpm, .sensor_contact = true, .energy_expended_kj = *energy,
                                       .rr_intervals = {static_cast<std::uint16_t>(60 * 1024 / bpm)}};
          if (auto v = gatt::encode(m)) hr.measurement.write(std::move(*v), /*send_update=*/true);
        };
      });
}

