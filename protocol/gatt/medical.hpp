// Values of the personal-health characteristics a collector reads or
// receives as notifications/indications: Temperature Measurement (Health
// Thermometer Service, HTS 3.1), Weight Measurement (Weight Scale Service,
// WSS 3.1), PLX Spot-check and Continuous Measurement (Pulse Oximeter
// Service, PLXS 3.1 / 3.2) and Glucose Measurement (Glucose Service, GLS
// 3.1).  Field layouts from the GATT Specification Supplement (GSS), by
// characteristic name.  Decoders only (a collector never sends these);
// every field is bounds-checked; RFU flag bits are ignored as the GSS
// asks of a receiver; bytes after the last present field are
// codec_errc::trailing_bytes.  Pure codecs, no I/O.
#pragma once

#include <cstdint>
#include <optional>

#include "protocol/bytes.hpp"
#include "protocol/expected.hpp"
#include "protocol/gatt/sfloat.hpp"
#include "protocol/gatt/time.hpp"

namespace bcms::gatt {

inline constexpr std::uint16_t temperature_measurement_uuid = 0x2A1C;
inline constexpr std::uint16_t weight_measurement_uuid = 0x2A9D;
inline constexpr std::uint16_t plx_spot_check_uuid = 0x2A5E;
inline constexpr std::uint16_t plx_continuous_uuid = 0x2A5F;
inline constexpr std::uint16_t glucose_measurement_uuid = 0x2A18;

// ------------------------------------------------------------ Temperature
/// Temperature Measurement (GSS "Temperature Measurement", HTS 3.1):
///
///   Flags (uint8)
///     bit 0    units: 0 = Celsius, 1 = Fahrenheit
///     bit 1    Time Stamp present
///     bit 2    Temperature Type present
///     bit 3-7  RFU
///   Temperature Measurement Value   FLOAT (medfloat32), 4 octets
///   Time Stamp                      Date Time, 7 octets   (if bit 1)
///   Temperature Type                uint8                 (if bit 2)
///     1 armpit, 2 body (general), 3 ear, 4 finger, 5 gastro-intestinal
///     tract, 6 mouth, 7 rectum, 8 toe, 9 tympanum; others RFU
struct TemperatureMeasurement {
  bool fahrenheit = false;
  Float32 value{};
  std::optional<DateTime> timestamp{};
  std::optional<std::uint8_t> type{};
};
expected<TemperatureMeasurement> decode_temperature_measurement(byte_span in);

// ------------------------------------------------------------ Weight
/// Weight Measurement (GSS "Weight Measurement", WSS 3.1):
///
///   Flags (uint8)
///     bit 0    units: 0 = SI (kg, m), 1 = Imperial (lb, in)
///     bit 1    Time Stamp present
///     bit 2    User ID present
///     bit 3    BMI and Height present
///     bit 4-7  RFU
///   Weight       uint16, 0.005 kg or 0.01 lb; 0xFFFF = measurement unsuccessful
///   Time Stamp   Date Time                    (if bit 1)
///   User ID      uint8, 0xFF = unknown user   (if bit 2)
///   BMI          uint16, 0.1 kg/m2            (if bit 3)
///   Height       uint16, 0.001 m or 0.1 in    (if bit 3)
struct WeightMeasurement {
  bool imperial = false;
  std::uint16_t weight_raw = 0;
  std::optional<DateTime> timestamp{};
  std::optional<std::uint8_t> user_id{};
  std::optional<std::uint16_t> bmi_raw{};
  std::optional<std::uint16_t> height_raw{};

  static constexpr std::uint16_t unsuccessful = 0xFFFF;
  /// kg or lb; nullopt when the measurement was unsuccessful.
  [[nodiscard]] std::optional<double> weight() const noexcept;
  [[nodiscard]] std::optional<double> bmi() const noexcept;
  /// m or in.
  [[nodiscard]] std::optional<double> height() const noexcept;
};
expected<WeightMeasurement> decode_weight_measurement(byte_span in);

// ------------------------------------------------------------ Pulse oximeter
/// SpO2 (percent) and pulse rate (beats per minute), SFLOAT each.
struct SpO2Pr {
  Sfloat spo2{};
  Sfloat pulse_rate{};
};

/// PLX Spot-check Measurement (GSS "PLX Spot-check Measurement", PLXS 3.1):
///
///   Flags (uint8)
///     bit 0    Timestamp present
///     bit 1    Measurement Status present
///     bit 2    Device and Sensor Status present
///     bit 3    Pulse Amplitude Index present
///     bit 4    Device Clock is not set
///     bit 5-7  RFU
///   SpO2PR-Spot-Check            SpO2 SFLOAT, PR SFLOAT
///   Timestamp                    Date Time        (if bit 0)
///   Measurement Status           uint16           (if bit 1)
///   Device and Sensor Status     uint24           (if bit 2)
///   Pulse Amplitude Index        SFLOAT, percent  (if bit 3)
struct PlxSpotCheck {
  SpO2Pr reading{};
  std::optional<DateTime> timestamp{};
  std::optional<std::uint16_t> measurement_status{};
  std::optional<std::uint32_t> device_sensor_status{};
  std::optional<Sfloat> pulse_amplitude_index{};
  bool clock_not_set = false;
};
expected<PlxSpotCheck> decode_plx_spot_check(byte_span in);

/// PLX Continuous Measurement (GSS "PLX Continuous Measurement", PLXS 3.2):
///
///   Flags (uint8)
///     bit 0    SpO2PR-Fast present
///     bit 1    SpO2PR-Slow present
///     bit 2    Measurement Status present
///     bit 3    Device and Sensor Status present
///     bit 4    Pulse Amplitude Index present
///     bit 5-7  RFU
///   SpO2PR-Normal                SpO2 SFLOAT, PR SFLOAT
///   SpO2PR-Fast                  SpO2, PR         (if bit 0)
///   SpO2PR-Slow                  SpO2, PR         (if bit 1)
///   Measurement Status           uint16           (if bit 2)
///   Device and Sensor Status     uint24           (if bit 3)
///   Pulse Amplitude Index        SFLOAT, percent  (if bit 4)
struct PlxContinuous {
  SpO2Pr normal{};
  std::optional<SpO2Pr> fast{};
  std::optional<SpO2Pr> slow{};
  std::optional<std::uint16_t> measurement_status{};
  std::optional<std::uint32_t> device_sensor_status{};
  std::optional<Sfloat> pulse_amplitude_index{};
};
expected<PlxContinuous> decode_plx_continuous(byte_span in);

// ------------------------------------------------------------ Glucose
/// Glucose Measurement (GSS "Glucose Measurement", GLS 3.1):
///
///   Flags (uint8)
///     bit 0    Time Offset present
///     bit 1    Glucose Concentration, Type and Sample Location present
///     bit 2    concentration units: 0 = kg/L, 1 = mol/L
///     bit 3    Sensor Status Annunciation present
///     bit 4    Context Information follows
///     bit 5-7  RFU
///   Sequence Number              uint16
///   Base Time                    Date Time
///   Time Offset                  sint16, minutes  (if bit 0)
///   Glucose Concentration        SFLOAT           (if bit 1)
///   Type-Sample Location         uint8: Type in bits 0-3, Sample
///                                Location in bits 4-7 (if bit 1)
///   Sensor Status Annunciation   uint16           (if bit 3)
struct GlucoseMeasurement {
  std::uint16_t sequence = 0;
  DateTime base_time{};
  std::optional<std::int16_t> time_offset_minutes{};
  std::optional<Sfloat> concentration{};
  bool mol_per_l = false;
  std::uint8_t type = 0;             // 1 capillary whole blood, ... (GLS 3.1.1.4)
  std::uint8_t sample_location = 0;  // 1 finger, 2 AST, 3 earlobe, 4 control solution, 15 not available
  std::optional<std::uint16_t> sensor_status{};
  bool context_follows = false;
};
expected<GlucoseMeasurement> decode_glucose_measurement(byte_span in);

}  // namespace bcms::gatt
