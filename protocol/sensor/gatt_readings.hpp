// From decoded characteristic values (protocol/gatt) to Readings, and the
// passive service-data mapping of the original BCMS.
//
// Data types and fields (reading.hpp): heart_rate {rate} bpm,
// blood_pressure {sys, dias, map} mmHg or kPa, cuff_pressure {level},
// temperature {level} °C or °F, battery_level {level} %, humidity {level}
// %, pressure {level} Pa, weight {level} kg or lb, bmi {level} kg/m²,
// height {level} m or in, spo2 {level} %, pulse_amplitude_index {level} %,
// glucose {level} kg/L or mol/L, energy_expended {level} kJ, rr_interval
// {level} s.  SFLOAT/FLOAT values that are not numbers (NaN, NRes,
// reserved, ±INFINITY) and "value is not known" give no Reading: the
// typed decoders keep them for whoever needs them.
#pragma once

#include <cstdint>

#include "protocol/bytes.hpp"
#include "protocol/expected.hpp"
#include "protocol/gatt/health.hpp"
#include "protocol/gatt/medical.hpp"
#include "protocol/sensor/reading.hpp"

namespace bcms::sensor {

Readings readings(const gatt::HeartRateMeasurement& m);
Readings readings(const gatt::BloodPressureMeasurement& m);
/// Intermediate Cuff Pressure: cuff_pressure {level} from the systolic field.
Readings cuff_pressure_readings(const gatt::BloodPressureMeasurement& m);
Readings readings(const gatt::TemperatureMeasurement& m);
Readings readings(const gatt::WeightMeasurement& m);
Readings readings(const gatt::PlxSpotCheck& m);
Readings readings(const gatt::PlxContinuous& m);
Readings readings(const gatt::GlucoseMeasurement& m);

/// Decodes the value of a characteristic by its 16-bit UUID into
/// Readings: 0x2A37, 0x2A35, 0x2A36, 0x2A1C, 0x2A19, 0x2A9D, 0x2A5E,
/// 0x2A5F, 0x2A18, 0x2A6E, 0x2A6F, 0x2A6D.  The decoder's error for a bad
/// value; codec_errc::unknown_opcode for another UUID.
expected<Readings> decode_characteristic(std::uint16_t uuid, byte_span value);

/// Passive data exactly as the original BCMS took it from advertisement
/// service data (keyed by 16-bit UUID): the whole service data as one
/// little-endian integer, unscaled, so `unit` is "":
///
///   0x2A37  heart_rate {rate}      signed
///   0x2A6D  pressure {level}       unsigned
///   0x2A6E  temperature {level}    signed
///   0x180F  battery_level {level}  signed
///   0x2A46  alert {id}             UTF-8 text
///
/// Python's int.from_bytes takes any length; here 1..8 octets
/// (codec_errc::truncated when empty, too_long above 8); the alert text
/// must be well-formed UTF-8 (invalid_value).  Another UUID is
/// unknown_opcode.
expected<Reading> decode_passive_service_data(std::uint16_t uuid, byte_span data);

}  // namespace bcms::sensor
