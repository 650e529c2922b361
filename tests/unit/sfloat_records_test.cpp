// GSS characteristic records served by the example peripherals: Heart
// Rate Measurement (HRS 3.1), Blood Pressure Measurement (BLS 3.1, SFLOAT
// fields), Temperature / Humidity (ESS, fixed point 0.01) and Battery
// Level (BAS 3.1).  Every vector is written out by hand from the field
// tables in protocol/gatt/*.hpp.
#include <doctest/doctest.h>

#include "protocol/codec_error.hpp"
#include "protocol/gatt/environment.hpp"
#include "protocol/gatt/health.hpp"

using namespace bcms;
using namespace bcms::gatt;

namespace {
bytes enc(const HeartRateMeasurement& m, std::size_t max = 20) {
  auto r = encode(m, max);
  REQUIRE(r.has_value());
  return *r;
}
Sfloat sf(std::int16_t m, std::int8_t e) { return Sfloat::make(m, e).value(); }
}  // namespace

TEST_CASE("HRS 3.1 Heart Rate Measurement: uint8 value, flags 0 (seed 001: struct.pack('<BB', 0, rate))") {
  CHECK(enc({.bpm = 120}) == bytes{0x00, 0x78});
  CHECK(enc({.bpm = 72}) == bytes{0x00, 0x48});
}

TEST_CASE("HRS 3.1 Heart Rate Measurement: sensor contact bits 1-2") {
  CHECK(enc({.bpm = 72, .sensor_contact = true}) == bytes{0x06, 0x48});
  CHECK(enc({.bpm = 72, .sensor_contact = false}) == bytes{0x04, 0x48});
}

TEST_CASE("HRS 3.1 Heart Rate Measurement: uint16 format (bit 0) when needed or asked") {
  CHECK(enc({.bpm = 300}) == bytes{0x01, 0x2C, 0x01});
  CHECK(enc({.bpm = 72, .wide = true}) == bytes{0x01, 0x48, 0x00});
}

TEST_CASE("HRS 3.1 Heart Rate Measurement: Energy Expended and RR-Intervals") {
  HeartRateMeasurement m{.bpm = 120, .energy_expended_kj = 1000, .rr_intervals = {800, 850}};
  CHECK(enc(m) == bytes{0x18, 0x78, 0xE8, 0x03, 0x20, 0x03, 0x52, 0x03});
  auto d = decode_heart_rate_measurement(enc(m));
  REQUIRE(d.has_value());
  CHECK(*d == m);
}

TEST_CASE("HRS 3.1.1.5 RR-Intervals that do not fit: the oldest are left out") {
  HeartRateMeasurement m{.bpm = 60, .rr_intervals = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}};
  // 20 octets: flags, value, then room for 9 intervals: 2..10.
  CHECK(enc(m) == bytes{0x10, 0x3C, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8, 0, 9, 0, 10, 0});
  CHECK(enc({.bpm = 60, .rr_intervals = {1}}, 3) == bytes{0x00, 0x3C});  // no room: bit 4 clear
  CHECK(encode(HeartRateMeasurement{.bpm = 60}, 1).error() == codec_errc::too_long);
}

TEST_CASE("HRS 3.1 Heart Rate Measurement decode: bounds and lengths") {
  auto a = decode_heart_rate_measurement(bytes{0x16, 0x48, 0x00, 0x04});
  REQUIRE(a.has_value());
  CHECK(a->bpm == 72);
  CHECK(a->sensor_contact == true);
  CHECK(a->rr_intervals == std::vector<std::uint16_t>{1024});
  CHECK(decode_heart_rate_measurement(bytes{0x16, 0x48}).error() == codec_errc::invalid_length);
  CHECK(decode_heart_rate_measurement(bytes{0x10, 0x48, 0x00}).error() == codec_errc::invalid_length);
  CHECK(decode_heart_rate_measurement(bytes{0x01, 0x2C}).error() == codec_errc::truncated);
  CHECK(decode_heart_rate_measurement(bytes{0x08, 0x2C, 0x01}).error() == codec_errc::truncated);
  CHECK(decode_heart_rate_measurement(bytes{0x00, 0x48, 0x00}).error() == codec_errc::trailing_bytes);
  CHECK(decode_heart_rate_measurement(bytes{}).error() == codec_errc::truncated);
  auto w = decode_heart_rate_measurement(bytes{0x01, 0x2C, 0x01});
  REQUIRE(w.has_value());
  CHECK(w->bpm == 300);
  CHECK(w->wide);
  CHECK_FALSE(w->sensor_contact.has_value());
}

TEST_CASE("BLS 3.1 Blood Pressure Measurement: mmHg with pulse rate") {
  BloodPressureMeasurement m{.systolic = sf(120, 0), .diastolic = sf(80, 0), .mean_arterial = sf(93, 0),
                             .pulse_rate = sf(72, 0)};
  CHECK(encode(m) == bytes{0x04, 0x78, 0x00, 0x50, 0x00, 0x5D, 0x00, 0x48, 0x00});
}

TEST_CASE("BLS 3.1 Blood Pressure Measurement: with Time Stamp (GSS Date Time)") {
  BloodPressureMeasurement m{.systolic = sf(120, 0), .diastolic = sf(80, 0), .mean_arterial = sf(93, 0),
                             .timestamp = DateTime{2024, 3, 15, 10, 30, 45}, .pulse_rate = sf(72, 0)};
  const bytes wire{0x06, 0x78, 0x00, 0x50, 0x00, 0x5D, 0x00, 0xE8, 0x07, 0x03, 0x0F, 0x0A, 0x1E, 0x2D, 0x48, 0x00};
  CHECK(encode(m) == wire);
  auto d = decode_blood_pressure_measurement(wire);
  REQUIRE(d.has_value());
  CHECK(*d == m);
}

TEST_CASE("BLS 3.1 Blood Pressure Measurement: kPa, User ID, Measurement Status") {
  BloodPressureMeasurement m{.kpa = true, .systolic = sf(160, -1), .diastolic = sf(107, -1),
                             .mean_arterial = sf(124, -1), .user_id = 0x01, .status = 0x0001};
  const bytes wire{0x19, 0xA0, 0xF0, 0x6B, 0xF0, 0x7C, 0xF0, 0x01, 0x01, 0x00};
  CHECK(encode(m) == wire);
  auto d = decode_blood_pressure_measurement(wire);
  REQUIRE(d.has_value());
  CHECK(d->kpa);
  CHECK(d->systolic.to_double() == doctest::Approx(16.0));
  CHECK(d->user_id == 0x01);
  CHECK(d->status == 0x0001);
}

TEST_CASE("BLS 3.1 Blood Pressure Measurement decode: truncated and trailing") {
  CHECK(decode_blood_pressure_measurement(bytes{0x06, 0x78, 0x00, 0x50, 0x00, 0x5D, 0x00, 0xE8, 0x07}).error() ==
        codec_errc::truncated);
  CHECK(decode_blood_pressure_measurement(bytes{0x00, 0x78, 0x00, 0x50, 0x00, 0x5D}).error() ==
        codec_errc::truncated);
  CHECK(decode_blood_pressure_measurement(bytes{0x00, 0x78, 0x00, 0x50, 0x00, 0x5D, 0x00, 0x01}).error() ==
        codec_errc::trailing_bytes);
  CHECK(decode_blood_pressure_measurement(bytes{0x10, 0x78, 0x00, 0x50, 0x00, 0x5D, 0x00, 0x01}).error() ==
        codec_errc::truncated);
}

TEST_CASE("ESS Temperature: sint16 in 0.01 degC (seed 004: 24.58 -> 9A 09)") {
  CHECK(encode_temperature(24.58).value() == bytes{0x9A, 0x09});
  CHECK(encode_temperature(-10.5).value() == bytes{0xE6, 0xFB});
  CHECK(encode_temperature(-273.15).value() == bytes{0x4D, 0x95});
  CHECK(encode_temperature(327.67).value() == bytes{0xFF, 0x7F});
  CHECK(encode_temperature(-273.16).error() == codec_errc::invalid_value);
  CHECK(encode_temperature(327.68).error() == codec_errc::invalid_value);
  CHECK(*decode_temperature(bytes{0x9A, 0x09}).value() == doctest::Approx(24.58));
  CHECK(*decode_temperature(bytes{0xE6, 0xFB}).value() == doctest::Approx(-10.5));
  CHECK_FALSE(decode_temperature(bytes{0x00, 0x80}).value().has_value());  // not known
  CHECK(decode_temperature(bytes{0x9A}).error() == codec_errc::truncated);
  CHECK(decode_temperature(bytes{0x9A, 0x09, 0x00}).error() == codec_errc::trailing_bytes);
}

TEST_CASE("ESS Humidity: uint16 in 0.01 %") {
  CHECK(encode_humidity(45.0).value() == bytes{0x94, 0x11});
  CHECK(encode_humidity(100.0).value() == bytes{0x10, 0x27});
  CHECK(encode_humidity(0.0).value() == bytes{0x00, 0x00});
  CHECK(encode_humidity(-0.01).error() == codec_errc::invalid_value);
  CHECK(encode_humidity(100.01).error() == codec_errc::invalid_value);
  CHECK(*decode_humidity(bytes{0x94, 0x11}).value() == doctest::Approx(45.0));
  CHECK_FALSE(decode_humidity(bytes{0xFF, 0xFF}).value().has_value());
  CHECK(decode_humidity(bytes{0x11, 0x27}).error() == codec_errc::invalid_value);  // 100.01
}

TEST_CASE("BAS 3.1 Battery Level: uint8 0..100") {
  CHECK(encode_battery_level(100).value() == bytes{0x64});
  CHECK(encode_battery_level(0).value() == bytes{0x00});
  CHECK(encode_battery_level(101).error() == codec_errc::invalid_value);
  CHECK(decode_battery_level(bytes{0x64}).value() == 100);
  CHECK(decode_battery_level(bytes{0x65}).error() == codec_errc::invalid_value);
  CHECK(decode_battery_level(bytes{}).error() == codec_errc::truncated);
  CHECK(decode_battery_level(bytes{0x01, 0x02}).error() == codec_errc::trailing_bytes);
}
