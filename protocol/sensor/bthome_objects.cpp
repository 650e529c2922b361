// The BTHome v2 object table (https://bthome.io/format/, "Sensor data",
// "Binary sensor data", "Events", "Device information"; cross-checked
// with bthome-ble's MEAS_TYPES).  Data, not code: id, name, format,
// length, factor, unit.  Names are the Reading types; where BTHome uses
// one name for a number and a binary sensor, the binary one says what it
// detects ("moisture" % vs "moisture_detected"), and battery is
// "battery_level" as the original BCMS names it.
#include <algorithm>
#include <array>

#include "protocol/sensor/bthome.hpp"

namespace bcms::sensor {
namespace {

using F = BthomeFormat;

constexpr std::uint8_t decimals_of(double factor) {
  std::uint8_t d = 0;
  for (double f = factor; f < 0.999999 && d < 9; f *= 10) ++d;
  return d;
}

constexpr BthomeObjectType o(std::uint8_t id, std::string_view name, F format, std::uint8_t length, double factor,
                             std::string_view unit) {
  return {id, name, format, length, factor, unit, decimals_of(factor)};
}
constexpr BthomeObjectType u(std::uint8_t id, std::string_view name, std::uint8_t len, double factor,
                             std::string_view unit) {
  return o(id, name, F::uint, len, factor, unit);
}
constexpr BthomeObjectType s(std::uint8_t id, std::string_view name, std::uint8_t len, double factor,
                             std::string_view unit) {
  return o(id, name, F::sint, len, factor, unit);
}
constexpr BthomeObjectType b(std::uint8_t id, std::string_view name) { return o(id, name, F::binary, 1, 1, ""); }

constexpr std::array kTable{
    // ---- sensor data
    u(0x00, "packet_id", 1, 1, ""),
    u(0x01, "battery_level", 1, 1, "%"),
    s(0x02, "temperature", 2, 0.01, "°C"),
    u(0x03, "humidity", 2, 0.01, "%"),
    u(0x04, "pressure", 3, 0.01, "hPa"),
    u(0x05, "illuminance", 3, 0.01, "lx"),
    u(0x06, "mass", 2, 0.01, "kg"),
    u(0x07, "mass", 2, 0.01, "lb"),
    s(0x08, "dewpoint", 2, 0.01, "°C"),
    u(0x09, "count", 1, 1, ""),
    u(0x0A, "energy", 3, 0.001, "kWh"),
    u(0x0B, "power", 3, 0.01, "W"),
    u(0x0C, "voltage", 2, 0.001, "V"),
    u(0x0D, "pm2_5", 2, 1, "µg/m³"),
    u(0x0E, "pm10", 2, 1, "µg/m³"),
    // ---- binary sensors
    b(0x0F, "generic_boolean"),
    b(0x10, "power_on"),
    b(0x11, "opening"),
    // ---- sensor data
    u(0x12, "co2", 2, 1, "ppm"),
    u(0x13, "tvoc", 2, 1, "µg/m³"),
    u(0x14, "moisture", 2, 0.01, "%"),
    // ---- binary sensors
    b(0x15, "battery_low"),
    b(0x16, "battery_charging"),
    b(0x17, "carbon_monoxide"),
    b(0x18, "cold"),
    b(0x19, "connectivity"),
    b(0x1A, "door"),
    b(0x1B, "garage_door"),
    b(0x1C, "gas_detected"),
    b(0x1D, "heat"),
    b(0x1E, "light"),
    b(0x1F, "lock"),
    b(0x20, "moisture_detected"),
    b(0x21, "motion"),
    b(0x22, "moving"),
    b(0x23, "occupancy"),
    b(0x24, "plug"),
    b(0x25, "presence"),
    b(0x26, "problem"),
    b(0x27, "running"),
    b(0x28, "safety"),
    b(0x29, "smoke"),
    b(0x2A, "sound"),
    b(0x2B, "tamper"),
    b(0x2C, "vibration"),
    b(0x2D, "window"),
    // ---- sensor data
    u(0x2E, "humidity", 1, 1, "%"),
    u(0x2F, "moisture", 1, 1, "%"),
    // ---- events
    o(0x3A, "button", F::button_event, 1, 1, ""),
    o(0x3C, "dimmer", F::dimmer_event, 2, 1, ""),
    // ---- sensor data
    u(0x3D, "count", 2, 1, ""),
    u(0x3E, "count", 4, 1, ""),
    s(0x3F, "rotation", 2, 0.1, "°"),
    u(0x40, "distance", 2, 1, "mm"),
    u(0x41, "distance", 2, 0.1, "m"),
    u(0x42, "duration", 3, 0.001, "s"),
    u(0x43, "current", 2, 0.001, "A"),
    u(0x44, "speed", 2, 0.01, "m/s"),
    s(0x45, "temperature", 2, 0.1, "°C"),
    u(0x46, "uv_index", 1, 0.1, ""),
    u(0x47, "volume", 2, 0.1, "L"),
    u(0x48, "volume", 2, 1, "mL"),
    u(0x49, "volume_flow_rate", 2, 0.001, "m³/h"),
    u(0x4A, "voltage", 2, 0.1, "V"),
    u(0x4B, "gas", 3, 0.001, "m³"),
    u(0x4C, "gas", 4, 0.001, "m³"),
    u(0x4D, "energy", 4, 0.001, "kWh"),
    u(0x4E, "volume", 4, 0.001, "L"),
    u(0x4F, "water", 4, 0.001, "L"),
    u(0x50, "timestamp", 4, 1, "s"),
    u(0x51, "acceleration", 2, 0.001, "m/s²"),
    u(0x52, "gyroscope", 2, 0.001, "°/s"),
    o(0x53, "text", F::text, 0, 1, ""),
    o(0x54, "raw", F::raw, 0, 1, ""),
    u(0x55, "volume_storage", 4, 0.001, "L"),
    u(0x56, "conductivity", 2, 1, "µS/cm"),
    s(0x57, "temperature", 1, 1, "°C"),
    s(0x58, "temperature", 1, 0.35, "°C"),
    s(0x59, "count", 1, 1, ""),
    s(0x5A, "count", 2, 1, ""),
    s(0x5B, "count", 4, 1, ""),
    s(0x5C, "power", 4, 0.01, "W"),
    s(0x5D, "current", 2, 0.001, "A"),
    u(0x5E, "direction", 2, 0.01, "°"),
    u(0x5F, "precipitation", 2, 0.1, "mm"),
    u(0x60, "channel", 1, 1, ""),
    u(0x61, "rotational_speed", 2, 1, "rpm"),
    s(0x62, "speed", 4, 0.000001, "m/s"),
    s(0x63, "acceleration", 4, 0.000001, "m/s²"),
    u(0x64, "light_level", 1, 1, ""),
    // ---- device information
    u(0xF0, "device_type_id", 2, 1, ""),
    u(0xF1, "firmware_version", 4, 1, ""),
    u(0xF2, "firmware_version", 3, 1, ""),
};

constexpr bool sorted_unique() {
  for (std::size_t i = 1; i < kTable.size(); ++i)
    if (kTable[i - 1].id >= kTable[i].id) return false;
  return true;
}
static_assert(sorted_unique(), "the BTHome object table must be sorted by id, each id once");

constexpr std::array<std::int16_t, 256> kIndex = [] {
  std::array<std::int16_t, 256> idx{};
  idx.fill(-1);
  for (std::size_t i = 0; i < kTable.size(); ++i) idx[kTable[i].id] = static_cast<std::int16_t>(i);
  return idx;
}();

}  // namespace

std::span<const BthomeObjectType> bthome_object_types() noexcept { return kTable; }

const BthomeObjectType* bthome_object_type(std::uint8_t id) noexcept {
  const auto i = kIndex[id];
  return i < 0 ? nullptr : &kTable[static_cast<std::size_t>(i)];
}

}  // namespace bcms::sensor
