// Device profiles as data: which devices the collector connects to and
// what it does there.  Adding a device type is one row in the table of
// profiles.cpp; the procedure engine (procedure.hpp) only reads rows.
//
// A profile matches an advertisement by a name prefix (the Complete or
// Shortened Local Name) or by a 16-bit service UUID in the advertised
// UUID lists; the first matching row wins.  Its procedure says
//   reads      characteristics read once (Battery Level 0x2A19, ...),
//   clock      whether the device clock (Date Time 0x2A08, else Current
//              Time 0x2A2B) is read and rewritten when more than
//              `max_clock_skew` off (the original: 60 s),
//   subscribe  characteristics whose notifications / indications are
//              kept for `listen` (a characteristic that cannot notify or
//              indicate is read once instead),
// every value decoded with sensor::decode_characteristic.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace bcms::collector {

struct ProcedureSpec {
  std::vector<std::uint16_t> reads{};
  bool clock = false;
  std::chrono::seconds max_clock_skew{60};
  std::vector<std::uint16_t> subscribe{};
  std::chrono::milliseconds listen{10000};
};

struct Profile {
  std::string_view name;  // "blood_pressure", "generic"
  std::vector<std::string_view> name_prefixes{};
  std::vector<std::uint16_t> service_uuids{};
  ProcedureSpec procedure{};
};

/// The built-in table: the original's blood-pressure monitors by name
/// (`A&D_UA-651BLE_`, `BLESmart_`, `X4 Smart`, or any device advertising
/// Blood Pressure 0x1810), then a generic profile for devices advertising
/// Heart Rate 0x180D, Environmental Sensing 0x181A or Battery 0x180F.
std::span<const Profile> default_profiles();

/// The first profile matching `name` or one of `uuids`; nullptr when none.
const Profile* match_profile(std::span<const Profile> table, std::string_view name,
                             std::span<const std::uint16_t> uuids) noexcept;

}  // namespace bcms::collector
