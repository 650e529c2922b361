// Decoders of the characteristic values a collector receives, byte-exact
// against the field definitions of the GATT Specification Supplement
// (GSS) and the service specifications (HRS, BLS, HTS, WSS, PLXS, GLS,
// CTS, ESS, BAS).  Each vector is written out by hand from those field
// tables (also quoted next to the types in protocol/gatt/*.hpp).
#include <doctest/doctest.h>

#include <cmath>

#include "protocol/codec_error.hpp"
#include "protocol/gatt/environment.hpp"
#include "protocol/gatt/health.hpp"
#include "protocol/gatt/medical.hpp"
#include "protocol/gatt/time.hpp"

using namespace bcms;
using namespace bcms::gatt;

namespace {
const std::error_code truncated = codec_errc::truncated;
const std::error_code trailing = codec_errc::trailing_bytes;
const std::error_code invalid = codec_errc::invalid_value;
}  // namespace

// ------------------------------------------------------------ 0x2A37
TEST_CASE("GSS Heart Rate Measurement 0x2A37 (HRS 3.1): every flag set, uint16 rate, RR in 1/1024 s") {
  // flags 0x1F: uint16, contact detected+supported, energy, RR
  const bytes v{0x1F, 0x2C, 0x01, 0xE8, 0x03, 0x00, 0x04, 0x00, 0x02};
  auto m = decode_heart_rate_measurement(v);
  REQUIRE(m);
  CHECK(m->wide);
  CHECK(m->bpm == 300);
  CHECK(m->sensor_contact == true);
  CHECK(m->energy_expended_kj == 1000);
  REQUIRE(m->rr_intervals.size() == 2);
  CHECK(m->rr_intervals[0] == 1024);  // 1.0 s
  CHECK(m->rr_intervals[1] == 512);   // 0.5 s
}

TEST_CASE("GSS Heart Rate Measurement 0x2A37: uint8 rate, contact supported but not detected, no contact feature") {
  auto a = decode_heart_rate_measurement(bytes{0x04, 0x48});
  REQUIRE(a);
  CHECK(a->bpm == 72);
  CHECK_FALSE(a->wide);
  CHECK(a->sensor_contact == false);
  auto b = decode_heart_rate_measurement(bytes{0x02, 0x48});  // bit 1 without bit 2: not supported
  REQUIRE(b);
  CHECK_FALSE(b->sensor_contact.has_value());
  CHECK(decode_heart_rate_measurement(bytes{0x01, 0x48}).error() == truncated);
  CHECK(decode_heart_rate_measurement(bytes{0x08, 0x48, 0x01}).error() == truncated);
  CHECK(decode_heart_rate_measurement(bytes{0x10, 0x48, 0x01}).error() == codec_errc::invalid_length);
}

// ------------------------------------------------------------ 0x2A35 / 0x2A36
TEST_CASE("GSS Blood Pressure Measurement 0x2A35 (BLS 3.1): mmHg, time stamp, pulse, user, status") {
  const bytes v{0x1E,                                            // flags: ts, pulse, user, status; mmHg
                0x79, 0x00, 0x51, 0x00, 0x5F, 0x00,              // 121, 81, 95 (exponent 0)
                0xE8, 0x07, 0x03, 0x0F, 0x0A, 0x1E, 0x2D,        // 2024-03-15 10:30:45
                0x48, 0x00,                                      // pulse 72
                0x02,                                            // user 2
                0x04, 0x00};                                     // status: irregular pulse
  auto m = decode_blood_pressure_measurement(v);
  REQUIRE(m);
  CHECK_FALSE(m->kpa);
  CHECK(m->systolic.to_double() == 121.0);
  CHECK(m->diastolic.to_double() == 81.0);
  CHECK(m->mean_arterial.to_double() == 95.0);
  CHECK(m->timestamp == DateTime{2024, 3, 15, 10, 30, 45});
  CHECK(m->pulse_rate->to_double() == 72.0);
  CHECK(m->user_id == 2);
  CHECK(m->status == 0x0004);
}

TEST_CASE("GSS Blood Pressure Measurement 0x2A35: kPa with exponent -1 and the SFLOAT specials") {
  // 16.1 kPa = 161e-1 -> 0xF0A1; NaN 0x07FF; NRes 0x0800
  auto m = decode_blood_pressure_measurement(bytes{0x01, 0xA1, 0xF0, 0xFF, 0x07, 0x00, 0x08});
  REQUIRE(m);
  CHECK(m->kpa);
  CHECK(m->systolic.to_double() == doctest::Approx(16.1));
  CHECK(m->diastolic.special() == SfloatSpecial::nan);
  CHECK(std::isnan(m->diastolic.to_double()));
  CHECK(m->mean_arterial.special() == SfloatSpecial::nres);
  auto inf = decode_blood_pressure_measurement(bytes{0x00, 0xFE, 0x07, 0x02, 0x08, 0x00, 0x00});
  REQUIRE(inf);
  CHECK(inf->systolic.to_double() == INFINITY);
  CHECK(inf->diastolic.to_double() == -INFINITY);
  CHECK(decode_blood_pressure_measurement(bytes{0x00, 0x79, 0x00, 0x51, 0x00, 0x5F}).error() == truncated);
  CHECK(decode_blood_pressure_measurement(bytes{0x02, 0x79, 0x00, 0x51, 0x00, 0x5F, 0x00, 0xE8}).error() == truncated);
}

TEST_CASE("GSS Intermediate Cuff Pressure 0x2A36 (BLS 3.2): current cuff pressure, others NaN") {
  auto m = decode_intermediate_cuff_pressure(bytes{0x00, 0x8C, 0x00, 0xFF, 0x07, 0xFF, 0x07});
  REQUIRE(m);
  CHECK(m->systolic.to_double() == 140.0);
  CHECK(m->diastolic.special() == SfloatSpecial::nan);
  CHECK(m->mean_arterial.special() == SfloatSpecial::nan);
}

// ------------------------------------------------------------ 0x2A1C
TEST_CASE("GSS Temperature Measurement 0x2A1C (HTS 3.1): FLOAT Celsius, time stamp, type") {
  // 36.4 = 364e-1: exponent 0xFF, mantissa 0x00016C -> 6C 01 00 FF
  const bytes v{0x06, 0x6C, 0x01, 0x00, 0xFF, 0xE8, 0x07, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06};
  auto m = decode_temperature_measurement(v);
  REQUIRE(m);
  CHECK_FALSE(m->fahrenheit);
  CHECK(m->value.mantissa() == 364);
  CHECK(m->value.exponent() == -1);
  CHECK(m->value.to_double() == doctest::Approx(36.4));
  CHECK(m->timestamp == DateTime{2024, 1, 2, 3, 4, 5});
  CHECK(m->type == 6);  // mouth
}

TEST_CASE("GSS Temperature Measurement 0x2A1C: Fahrenheit, negative mantissa, FLOAT specials") {
  // -4.05 F = -405e-2: mantissa 0xFFFE6B, exponent 0xFE
  auto m = decode_temperature_measurement(bytes{0x01, 0x6B, 0xFE, 0xFF, 0xFE});
  REQUIRE(m);
  CHECK(m->fahrenheit);
  CHECK(m->value.to_double() == doctest::Approx(-4.05));
  CHECK_FALSE(m->timestamp.has_value());
  auto nan = decode_temperature_measurement(bytes{0x00, 0xFF, 0xFF, 0x7F, 0x00});
  REQUIRE(nan);
  CHECK(nan->value.special() == Float32Special::nan);
  CHECK(decode_temperature_measurement(bytes{0x00, 0x00, 0x00, 0x80, 0x00})->value.special() == Float32Special::nres);
  CHECK(decode_temperature_measurement(bytes{0x00, 0xFE, 0xFF, 0x7F, 0x00})->value.to_double() == INFINITY);
  CHECK(decode_temperature_measurement(bytes{0x00, 0x02, 0x00, 0x80, 0x00})->value.to_double() == -INFINITY);
  CHECK(decode_temperature_measurement(bytes{0x04, 0x6C, 0x01, 0x00, 0xFF}).error() == truncated);
  CHECK(decode_temperature_measurement(bytes{0x00, 0x6C, 0x01, 0x00, 0xFF, 0x00}).error() == trailing);
}

// ------------------------------------------------------------ 0x2A19
TEST_CASE("GSS Battery Level 0x2A19 (BAS 3.1): uint8 percent 0..100") {
  CHECK(decode_battery_level(bytes{0x5D}).value() == 93);
  CHECK(decode_battery_level(bytes{0x65}).error() == invalid);
  CHECK(decode_battery_level(bytes{}).error() == truncated);
}

// ------------------------------------------------------------ 0x2A08 / 0x2A2B
TEST_CASE("GSS Date Time 0x2A08: decode, encode, ranges") {
  const bytes v{0xE8, 0x07, 0x02, 0x1D, 0x17, 0x3B, 0x3B};  // 2024-02-29 23:59:59
  auto t = decode_date_time(v);
  REQUIRE(t);
  CHECK(*t == DateTime{2024, 2, 29, 23, 59, 59});
  CHECK(encode_date_time(*t).value() == v);
  CHECK(decode_date_time(bytes{0, 0, 0, 0, 0, 0, 0}).value() == DateTime{});  // every field "not known"
  CHECK(decode_date_time(bytes{0xE8, 0x07, 0x0D, 0x01, 0, 0, 0}).error() == invalid);  // month 13
  CHECK(decode_date_time(bytes{0x2D, 0x06, 0x01, 0x01, 0, 0, 0}).error() == invalid);  // year 1581
  CHECK(decode_date_time(bytes{0xE8, 0x07, 0x01, 0x01, 24, 0, 0}).error() == invalid);
  CHECK(decode_date_time(bytes{0xE8, 0x07, 0x01, 0x01, 0, 0}).error() == truncated);
  CHECK(decode_date_time(bytes{0xE8, 0x07, 0x01, 0x01, 0, 0, 0, 0}).error() == trailing);
  CHECK(encode_date_time(DateTime{2024, 1, 1, 0, 60, 0}).error() == invalid);
}

TEST_CASE("GSS Current Time 0x2A2B (CTS 3.1): Exact Time 256 and Adjust Reason") {
  // 2024-03-15 (a Friday, 5) 10:30:45 + 128/256 s, manual update
  const bytes v{0xE8, 0x07, 0x03, 0x0F, 0x0A, 0x1E, 0x2D, 0x05, 0x80, 0x01};
  auto t = decode_current_time(v);
  REQUIRE(t);
  CHECK(t->date_time == DateTime{2024, 3, 15, 10, 30, 45});
  CHECK(t->day_of_week == 5);
  CHECK(t->fractions256 == 128);
  CHECK(t->adjust_reason == adjust_reason::manual);
  CHECK(encode_current_time(*t).value() == v);
  CHECK(decode_current_time(bytes{0xE8, 0x07, 0x03, 0x0F, 0x0A, 0x1E, 0x2D, 0x08, 0x80, 0x01}).error() == invalid);
  CHECK(decode_current_time(bytes(9, 0)).error() == truncated);
  CHECK(encode_current_time(CurrentTime{{2024, 3, 15, 10, 30, 45}, 5, 0, 0x10}).error() == invalid);
}

TEST_CASE("GSS Current Time 0x2A2B: what a collector writes to set a clock, from Unix time") {
  // 1710498645 = 2024-03-15T10:30:45Z, a Friday
  const CurrentTime t = current_time_from_unix(1710498645, 0x40);
  CHECK(encode_current_time(t).value() == bytes{0xE8, 0x07, 0x03, 0x0F, 0x0A, 0x1E, 0x2D, 0x05, 0x40, 0x01});
  CHECK(to_unix(t.date_time).value() == 1710498645);
  CHECK(date_time_from_unix(0) == DateTime{1970, 1, 1, 0, 0, 0});
  CHECK(day_of_week(DateTime{1970, 1, 1}) == 4);  // Thursday
  CHECK(day_of_week(DateTime{2024, 1, 7}) == 7);  // Sunday
  CHECK(day_of_week(DateTime{}) == 0);
  CHECK(to_unix(DateTime{2023, 2, 29, 0, 0, 0}).error() == invalid);
}

// ------------------------------------------------------------ 0x2A9D
TEST_CASE("GSS Weight Measurement 0x2A9D (WSS 3.1): SI, user, BMI and height") {
  // 70.5 kg = 14100 * 0.005 -> 0x3714; BMI 23.0 -> 230; height 1.750 m -> 1750
  auto m = decode_weight_measurement(bytes{0x0C, 0x14, 0x37, 0x01, 0xE6, 0x00, 0xD6, 0x06});
  REQUIRE(m);
  CHECK_FALSE(m->imperial);
  CHECK(m->weight() == doctest::Approx(70.5));
  CHECK(m->user_id == 1);
  CHECK(m->bmi() == doctest::Approx(23.0));
  CHECK(m->height() == doctest::Approx(1.75));
}

TEST_CASE("GSS Weight Measurement 0x2A9D: imperial with time stamp, measurement unsuccessful") {
  // 155.4 lb = 15540 * 0.01 -> 0x3CB4
  auto m = decode_weight_measurement(bytes{0x03, 0xB4, 0x3C, 0xE8, 0x07, 0x01, 0x02, 0x03, 0x04, 0x05});
  REQUIRE(m);
  CHECK(m->imperial);
  CHECK(m->weight() == doctest::Approx(155.4));
  CHECK(m->timestamp == DateTime{2024, 1, 2, 3, 4, 5});
  CHECK_FALSE(m->bmi().has_value());
  CHECK_FALSE(decode_weight_measurement(bytes{0x00, 0xFF, 0xFF})->weight().has_value());
  CHECK(decode_weight_measurement(bytes{0x08, 0x14, 0x37, 0xE6, 0x00}).error() == truncated);
}

// ------------------------------------------------------------ 0x2A5E / 0x2A5F
TEST_CASE("GSS PLX Spot-check Measurement 0x2A5E (PLXS 3.1): all optional fields") {
  const bytes v{0x1F,                                      // ts, status, dev status, PAI, clock not set
                0x62, 0x00, 0x48, 0x00,                    // SpO2 98 %, PR 72 bpm
                0xE8, 0x07, 0x01, 0x02, 0x03, 0x04, 0x05,  // time stamp
                0x20, 0x00,                                // measurement ongoing (bit 5)
                0x01, 0x00, 0x01,                          // device and sensor status (uint24)
                0x35, 0xF0};                               // PAI 5.3 % (53e-1)
  auto m = decode_plx_spot_check(v);
  REQUIRE(m);
  CHECK(m->reading.spo2.to_double() == 98.0);
  CHECK(m->reading.pulse_rate.to_double() == 72.0);
  CHECK(m->timestamp == DateTime{2024, 1, 2, 3, 4, 5});
  CHECK(m->measurement_status == 0x0020);
  CHECK(m->device_sensor_status == 0x010001);
  CHECK(m->pulse_amplitude_index->to_double() == doctest::Approx(5.3));
  CHECK(m->clock_not_set);
  CHECK(decode_plx_spot_check(bytes{0x04, 0x62, 0x00, 0x48, 0x00, 0x01, 0x00}).error() == truncated);
}

TEST_CASE("GSS PLX Continuous Measurement 0x2A5F (PLXS 3.2): normal, fast and slow") {
  auto m = decode_plx_continuous(bytes{0x03, 0x62, 0x00, 0x48, 0x00, 0x61, 0x00, 0x49, 0x00, 0x63, 0x00, 0x47, 0x00});
  REQUIRE(m);
  CHECK(m->normal.spo2.to_double() == 98.0);
  CHECK(m->fast->spo2.to_double() == 97.0);
  CHECK(m->fast->pulse_rate.to_double() == 73.0);
  CHECK(m->slow->spo2.to_double() == 99.0);
  CHECK_FALSE(m->measurement_status.has_value());
  auto only = decode_plx_continuous(bytes{0x00, 0xFF, 0x07, 0x48, 0x00});
  REQUIRE(only);
  CHECK(only->normal.spo2.special() == SfloatSpecial::nan);
  CHECK(decode_plx_continuous(bytes{0x00, 0x62, 0x00, 0x48, 0x00, 0x00}).error() == trailing);
}

// ------------------------------------------------------------ 0x2A18
TEST_CASE("GSS Glucose Measurement 0x2A18 (GLS 3.1): kg/L with time offset, type and location, status") {
  // 95 mg/dL = 0.00095 kg/L = 95e-5: exponent 0xB (-5), mantissa 95 -> 0xB05F
  const bytes v{0x0B,                                      // offset, concentration, status; kg/L
                0x07, 0x00,                                // sequence 7
                0xE8, 0x07, 0x01, 0x02, 0x03, 0x04, 0x05,  // base time
                0xF6, 0xFF,                                // offset -10 min
                0x5F, 0xB0,                                // concentration
                0x11,                                      // type 1 (capillary whole blood), location 1 (finger)
                0x00, 0x01};                               // sensor status annunciation
  auto m = decode_glucose_measurement(v);
  REQUIRE(m);
  CHECK(m->sequence == 7);
  CHECK(m->base_time == DateTime{2024, 1, 2, 3, 4, 5});
  CHECK(m->time_offset_minutes == -10);
  CHECK(m->concentration->to_double() == doctest::Approx(0.00095));
  CHECK_FALSE(m->mol_per_l);
  CHECK(m->type == 1);
  CHECK(m->sample_location == 1);
  CHECK(m->sensor_status == 0x0100);
  CHECK_FALSE(m->context_follows);
}

TEST_CASE("GSS Glucose Measurement 0x2A18: mol/L, context follows, minimal record") {
  // 5.3 mmol/L = 0.0053 mol/L = 53e-4 -> 0xC035
  auto m = decode_glucose_measurement(bytes{0x16, 0x01, 0x00, 0xE8, 0x07, 0x01, 0x02, 0x03, 0x04, 0x05, 0x35, 0xC0, 0x2F});
  REQUIRE(m);
  CHECK(m->mol_per_l);
  CHECK(m->context_follows);
  CHECK(m->concentration->to_double() == doctest::Approx(0.0053));
  CHECK(m->type == 0x0F);
  CHECK(m->sample_location == 0x02);
  auto bare = decode_glucose_measurement(bytes{0x00, 0x01, 0x00, 0xE8, 0x07, 0x01, 0x02, 0x03, 0x04, 0x05});
  REQUIRE(bare);
  CHECK_FALSE(bare->concentration.has_value());
  CHECK(decode_glucose_measurement(bytes{0x02, 0x01, 0x00, 0xE8, 0x07, 0x01, 0x02, 0x03, 0x04, 0x05, 0x35, 0xC0})
            .error() == truncated);
}

// ------------------------------------------------------------ ESS
TEST_CASE("GSS Temperature 0x2A6E (ESS): sint16 0.01 degC") {
  CHECK(decode_temperature(bytes{0x9A, 0x09}).value() == doctest::Approx(24.58));
  CHECK(decode_temperature(bytes{0x0C, 0xFE}).value() == doctest::Approx(-5.0));
  CHECK_FALSE(decode_temperature(bytes{0x00, 0x80}).value().has_value());
}

TEST_CASE("GSS Humidity 0x2A6F (ESS): uint16 0.01 %") {
  CHECK(decode_humidity(bytes{0xBF, 0x13}).value() == doctest::Approx(50.55));
  CHECK(decode_humidity(bytes{0x11, 0x27}).error() == invalid);  // 100.01 %
}

TEST_CASE("GSS Pressure 0x2A6D (ESS): uint32 0.1 Pa") {
  CHECK(decode_pressure(bytes{0x02, 0x76, 0x0F, 0x00}).value() == doctest::Approx(101325.0));
  CHECK(encode_pressure(101325.0).value() == bytes{0x02, 0x76, 0x0F, 0x00});
  CHECK(decode_pressure(bytes{0x02, 0x76, 0x0F}).error() == truncated);
  CHECK(decode_pressure(bytes{0x02, 0x76, 0x0F, 0x00, 0x00}).error() == trailing);
  CHECK(encode_pressure(-1.0).error() == invalid);
}
