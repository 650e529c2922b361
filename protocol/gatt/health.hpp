// Values of the health characteristics our examples serve: Heart Rate
// (Heart Rate Service 1.0, HRS) and Blood Pressure (Blood Pressure
// Service 1.1, BLS).  Field layouts from the GATT Specification
// Supplement (GSS), by characteristic name.  Pure codecs, no I/O; every
// decoder is bounds-checked.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "protocol/bytes.hpp"
#include "protocol/expected.hpp"
#include "protocol/gatt/sfloat.hpp"
#include "protocol/gatt/time.hpp"

namespace bcms::gatt {

// ------------------------------------------------------------ Heart Rate
inline constexpr std::uint16_t heart_rate_service = 0x180D;
inline constexpr std::uint16_t heart_rate_measurement_uuid = 0x2A37;
inline constexpr std::uint16_t body_sensor_location_uuid = 0x2A38;
inline constexpr std::uint16_t heart_rate_control_point_uuid = 0x2A39;

/// Heart Rate Measurement (GSS "Heart Rate Measurement", HRS 3.1):
///
///   Flags (uint8)
///     bit 0    Heart Rate Value Format: 0 = uint8, 1 = uint16
///     bit 1    Sensor Contact detected (meaningful only with bit 2)
///     bit 2    Sensor Contact feature supported
///     bit 3    Energy Expended present
///     bit 4    RR-Interval present
///     bit 5-7  reserved (0 when sent; ignored when received)
///   Heart Rate Measurement Value   uint8 or uint16, beats per minute
///   Energy Expended                uint16, kilojoules (if bit 3)
///   RR-Interval                    uint16 x n, 1/1024 s (if bit 4)
struct HeartRateMeasurement {
  std::uint16_t bpm = 0;
  /// Send the value as uint16 even when it fits in a uint8.
  bool wide = false;
  /// nullopt: sensor contact not supported; else detected or not.
  std::optional<bool> sensor_contact{};
  std::optional<std::uint16_t> energy_expended_kj{};
  std::vector<std::uint16_t> rr_intervals{};  // units of 1/1024 s, oldest first
  friend bool operator==(const HeartRateMeasurement&, const HeartRateMeasurement&) = default;
};

namespace hrm_flag {
inline constexpr std::uint8_t value_uint16 = 0x01;
inline constexpr std::uint8_t contact_detected = 0x02;
inline constexpr std::uint8_t contact_supported = 0x04;
inline constexpr std::uint8_t energy_expended = 0x08;
inline constexpr std::uint8_t rr_interval = 0x10;
}  // namespace hrm_flag

/// Encodes into at most max_len octets (ATT_MTU - 3 for a notification).
/// When the RR-Intervals do not all fit, the oldest are left out (HRS
/// 3.1.1.5 leaves the choice to the server; the newest matter most);
/// codec_errc::too_long only when not even the fixed fields fit.
expected<bytes> encode(const HeartRateMeasurement& m, std::size_t max_len = 20);
/// Decoded from the wire; `wide` tells which format was used.
expected<HeartRateMeasurement> decode_heart_rate_measurement(byte_span in);

/// Body Sensor Location (GSS "Body Sensor Location", HRS 3.2): uint8.
enum class BodySensorLocation : std::uint8_t { other = 0, chest = 1, wrist = 2, finger = 3, hand = 4,
                                                ear_lobe = 5, foot = 6 };

/// Heart Rate Control Point (HRS 3.3): uint8 command; 0x01 resets Energy
/// Expended.  Any other value is answered with the service's ATT error
/// 0x80 "Heart Rate Control Point not supported" (HRS 3.3.1, 1.6).
inline constexpr std::uint8_t hr_control_reset_energy_expended = 0x01;
inline constexpr std::uint8_t hr_control_not_supported_error = 0x80;

// ------------------------------------------------------------ Blood Pressure
inline constexpr std::uint16_t blood_pressure_service = 0x1810;
inline constexpr std::uint16_t blood_pressure_measurement_uuid = 0x2A35;
inline constexpr std::uint16_t intermediate_cuff_pressure_uuid = 0x2A36;
inline constexpr std::uint16_t blood_pressure_feature_uuid = 0x2A49;

/// Blood Pressure Measurement (GSS "Blood Pressure Measurement", BLS 3.1):
///
///   Flags (uint8)
///     bit 0  units: 0 = mmHg, 1 = kPa
///     bit 1  Time Stamp present
///     bit 2  Pulse Rate present
///     bit 3  User ID present
///     bit 4  Measurement Status present
///   Systolic, Diastolic, Mean Arterial Pressure   SFLOAT each
///   Time Stamp           Date Time, 7 octets   (if bit 1)
///   Pulse Rate           SFLOAT, bpm           (if bit 2)
///   User ID              uint8, 0xFF unknown   (if bit 3)
///   Measurement Status   uint16 bit field      (if bit 4)
struct BloodPressureMeasurement {
  bool kpa = false;
  Sfloat systolic{};
  Sfloat diastolic{};
  Sfloat mean_arterial{};
  std::optional<DateTime> timestamp{};
  std::optional<Sfloat> pulse_rate{};
  std::optional<std::uint8_t> user_id{};
  std::optional<std::uint16_t> status{};
  friend bool operator==(const BloodPressureMeasurement&, const BloodPressureMeasurement&) = default;
};

namespace bpm_flag {
inline constexpr std::uint8_t units_kpa = 0x01;
inline constexpr std::uint8_t timestamp = 0x02;
inline constexpr std::uint8_t pulse_rate = 0x04;
inline constexpr std::uint8_t user_id = 0x08;
inline constexpr std::uint8_t status = 0x10;
}  // namespace bpm_flag

/// Blood Pressure Feature (GSS "Blood Pressure Feature"): uint16 bits.
namespace bp_feature {
inline constexpr std::uint16_t body_movement_detection = 0x0001;
inline constexpr std::uint16_t cuff_fit_detection = 0x0002;
inline constexpr std::uint16_t irregular_pulse_detection = 0x0004;
inline constexpr std::uint16_t pulse_rate_range_detection = 0x0008;
inline constexpr std::uint16_t measurement_position_detection = 0x0010;
inline constexpr std::uint16_t multiple_bond = 0x0020;
}  // namespace bp_feature

bytes encode(const BloodPressureMeasurement& m);
expected<BloodPressureMeasurement> decode_blood_pressure_measurement(byte_span in);

/// Intermediate Cuff Pressure (GSS "Intermediate Cuff Pressure", BLS 3.2):
/// the Blood Pressure Measurement layout, where `systolic` carries the
/// current cuff pressure and diastolic and mean arterial pressure are
/// NaN (0x07FF) as BLS 3.2 requires (not checked: the value is what the
/// sensor sent).
inline expected<BloodPressureMeasurement> decode_intermediate_cuff_pressure(byte_span in) {
  return decode_blood_pressure_measurement(in);
}

}  // namespace bcms::gatt
