// Values of the sensor characteristics our examples serve: Environmental
// Sensing Service (ESS) Temperature, Humidity and Pressure, Battery Service (BAS)
// Battery Level.  Layouts from the GATT Specification Supplement (GSS), by
// characteristic name.  Fixed-point values are scaled integers,
// little-endian.  Pure codecs, no I/O.
#pragma once

#include <cstdint>
#include <optional>

#include "protocol/bytes.hpp"
#include "protocol/expected.hpp"

namespace bcms::gatt {

inline constexpr std::uint16_t environmental_sensing_service = 0x181A;
inline constexpr std::uint16_t temperature_uuid = 0x2A6E;
inline constexpr std::uint16_t humidity_uuid = 0x2A6F;
inline constexpr std::uint16_t pressure_uuid = 0x2A6D;
inline constexpr std::uint16_t battery_service = 0x180F;
inline constexpr std::uint16_t battery_level_uuid = 0x2A19;

/// Temperature (GSS "Temperature"): sint16, degrees Celsius with a
/// resolution of 0.01; range -273.15..327.67; 0x8000 = "value is not
/// known".  Example: 24.58 degC -> 2458 = 0x099A -> 9A 09.
inline constexpr std::uint16_t temperature_unknown = 0x8000;
/// Rounded to 0.01; codec_errc::invalid_value outside the range or NaN.
expected<bytes> encode_temperature(double celsius);
/// nullopt for "value is not known"; invalid_length unless 2 octets.
expected<std::optional<double>> decode_temperature(byte_span in);

/// Humidity (GSS "Humidity"): uint16, percent with a resolution of 0.01;
/// range 0..100.00; 0xFFFF = "value is not known".
inline constexpr std::uint16_t humidity_unknown = 0xFFFF;
expected<bytes> encode_humidity(double percent);
expected<std::optional<double>> decode_humidity(byte_span in);

/// Pressure (GSS "Pressure", ESS 3.1): uint32, pascals with a resolution
/// of 0.1.  Example: 101325.0 Pa -> 1013250 = 0x000F7602 -> 02 76 0F 00.
expected<bytes> encode_pressure(double pascals);
/// invalid_length unless 4 octets (truncated / trailing_bytes).
expected<double> decode_pressure(byte_span in);

/// Battery Level (GSS "Battery Level", BAS 3.1): uint8 percent, 0..100.
expected<bytes> encode_battery_level(unsigned percent);
expected<std::uint8_t> decode_battery_level(byte_span in);

}  // namespace bcms::gatt
