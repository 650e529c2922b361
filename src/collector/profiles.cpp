#include "src/collector/profiles.hpp"

#include <algorithm>

#include "protocol/gatt/environment.hpp"
#include "protocol/gatt/health.hpp"

namespace bcms::collector {

namespace {

using namespace std::chrono_literals;

const std::vector<Profile>& table() {
  static const std::vector<Profile> t{
      {.name = "blood_pressure",
       .name_prefixes = {"A&D_UA-651BLE_", "BLESmart_", "X4 Smart"},
       .service_uuids = {gatt::blood_pressure_service},
       .procedure = {.reads = {gatt::battery_level_uuid},
                     .clock = true,
                     .max_clock_skew = 60s,
                     .subscribe = {gatt::blood_pressure_measurement_uuid},
                     .listen = 10000ms}},
      {.name = "generic",
       .service_uuids = {gatt::heart_rate_service, gatt::environmental_sensing_service, gatt::battery_service},
       .procedure = {.reads = {gatt::battery_level_uuid},
                     .subscribe = {gatt::heart_rate_measurement_uuid, gatt::temperature_uuid, gatt::humidity_uuid,
                                   gatt::pressure_uuid},
                     .listen = 10000ms}},
  };
  return t;
}

}  // namespace

std::span<const Profile> default_profiles() { return table(); }

const Profile* match_profile(std::span<const Profile> profiles, std::string_view name,
                             std::span<const std::uint16_t> uuids) noexcept {
  for (const Profile& p : profiles) {
    for (std::string_view prefix : p.name_prefixes)
      if (!name.empty() && name.starts_with(prefix)) return &p;
    for (std::uint16_t u : p.service_uuids)
      if (std::find(uuids.begin(), uuids.end(), u) != uuids.end()) return &p;
  }
  return nullptr;
}

}  // namespace bcms::collector
