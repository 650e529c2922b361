// bcms-example-battery: a Battery Service peripheral (BAS 1.0): Battery
// Level 0x2A19, uint8 percent, read + notify.  The level starts at
// --level and drops by one every --interval-ms (default 5 s), back to
// 100 after 0, notifying subscribers on every change.
#include "cli/examples/example.hpp"
#include "protocol/gatt/environment.hpp"

using namespace bcms;
using namespace bcms::att;

namespace {

struct Battery : Service {
  Battery() : Service(gatt::battery_service) {}
  Characteristic& level = characteristic(gatt::battery_level_uuid, Flags::read | Flags::notify, {.initial = {100}});
};

}  // namespace

int main(int argc, char** argv) {
  const examples::Example ex{
      .program = "bcms-example-battery",
      .summary = "a battery-powered device (Battery Service 0x180F)",
      .description =
          "Serves Battery Service 0x180F: Battery Level 0x2A19 (read, notify; uint8, 0..100 %).  The level\n"
          "starts at --level and drops by 1 every --interval-ms, wrapping from 0 to 100; subscribers are\n"
          "notified of every change.  Advertises its name and 0x180F, connectable.",
      .default_name = "bcms-battery",
      .appearance = 0x0000,
      .adv_uuid16 = {gatt::battery_service},
      .default_interval = std::chrono::milliseconds(5000),
  };
  unsigned start = 100;
  Battery bat;
  return examples::run(
      argc, argv, ex,
      [&](CLI::App& app) { app.add_option("--level", start, "Initial battery level, %")->check(CLI::Range(0u, 100u)); },
      [&](examples::Context& c) -> examples::Tick {
        auto level = std::make_shared<unsigned>(start);
        if (auto v = gatt::encode_battery_level(*level)) bat.level.write(std::move(*v));
        c.peripheral.add(bat);
        return [&, level] {
          *level = *level == 0 ? 100 : *level - 1;
          if (auto v = gatt::encode_battery_level(*level)) bat.level.write(std::move(*v), /*send_update=*/true);
        };
      });
}
