// bcms-example-env-sensor: the environmental sensor of seed 004 (aioble's
// "openmv-env": Environmental Sensing 0x181A with Temperature 0x2A6E and
// Humidity 0x2A6F, read + notify, appearance 0x0540 Generic Sensor), on
// bcms.  Values follow the GSS: Temperature sint16 in 0.01 degC
// (24.58 degC -> 9A 09), Humidity uint16 in 0.01 %.  A simulated sensor
// drifts around --temperature / --humidity; every --interval-ms the new
// values are written with send_update (notifying subscribers), as the
// seed's stream_temperature() does.
#include <algorithm>
#include <cmath>

#include "cli/examples/example.hpp"
#include "protocol/gatt/environment.hpp"

using namespace bcms;
using namespace bcms::att;

namespace {

struct Environment : Service {
  Environment() : Service(gatt::environmental_sensing_service) {}
  Characteristic& temperature =
      characteristic(gatt::temperature_uuid, Flags::read | Flags::notify, {.initial = {0x00, 0x00}});
  Characteristic& humidity =
      characteristic(gatt::humidity_uuid, Flags::read | Flags::notify, {.initial = {0x00, 0x00}});
};

}  // namespace

int main(int argc, char** argv) {
  const examples::Example ex{
      .program = "bcms-example-env-sensor",
      .summary = "an environmental sensor (Environmental Sensing 0x181A: temperature, humidity)",
      .description =
          "Serves Environmental Sensing 0x181A: Temperature 0x2A6E (read, notify; sint16, 0.01 degC) and\n"
          "Humidity 0x2A6F (read, notify; uint16, 0.01 %).  The values drift slowly around --temperature and\n"
          "--humidity and are notified every --interval-ms.  Advertises its name, 0x181A and appearance\n"
          "0x0540 (Generic Sensor), connectable.",
      .default_name = "bcms-env",
      .appearance = 0x0540,
      .adv_uuid16 = {gatt::environmental_sensing_service},
  };
  double base_t = 24.58, base_h = 45.0;
  Environment env;
  return examples::run(
      argc, argv, ex,
      [&](CLI::App& app) {
        app.add_option("--temperature", base_t, "Mean temperature, degC")->check(CLI::Range(-40.0, 85.0));
        app.add_option("--humidity", base_h, "Mean relative humidity, %")->check(CLI::Range(0.0, 100.0));
      },
      [&](examples::Context& c) -> examples::Tick {
        auto update = [&](double t, double h, bool notify) {
          if (auto v = gatt::encode_temperature(t)) env.temperature.write(std::move(*v), notify);
          if (auto v = gatt::encode_humidity(h)) env.humidity.write(std::move(*v), notify);
        };
        update(base_t, base_h, false);  // the first read gives the exact configured values
        c.peripheral.add(env);
        auto n = std::make_shared<unsigned>(0);
        return [&, update, n] {
          const double phase = ++*n / 30.0;
          const double h = std::clamp(base_h + 2.0 * std::cos(phase), 0.0, 100.0);
          update(base_t + 0.5 * std::sin(phase), h, true);
        };
      });
}
