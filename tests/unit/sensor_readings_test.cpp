// Readings a collector submits: from characteristic values by UUID, from
// passive service data exactly as the original BCMS mapped it
// (/work/shared/spec README "The IoT backend API": 0x2A37 heart_rate
// signed, 0x2A6D pressure unsigned, 0x2A6E temperature signed, 0x180F
// battery_level signed, 0x2A46 alert UTF-8, whole service data as one
// little-endian integer), and from beacons (iBeacon, Eddystone).
#include <doctest/doctest.h>

#include "protocol/codec_error.hpp"
#include "protocol/sensor/beacon.hpp"
#include "protocol/sensor/gatt_readings.hpp"

using namespace bcms;
using namespace bcms::sensor;

TEST_CASE("Readings of characteristic values by UUID (GSS records)") {
  auto hr = decode_characteristic(0x2A37, bytes{0x10, 0x48, 0x00, 0x04});
  REQUIRE(hr);
  REQUIRE(hr->size() == 2);
  CHECK((*hr)[0] == Reading{"heart_rate", "rate", 72, "bpm"});
  CHECK((*hr)[1] == Reading{"rr_interval", "level", 1.0, "s"});
  auto bp = decode_characteristic(0x2A35, bytes{0x04, 0x79, 0x00, 0x51, 0x00, 0xFF, 0x07, 0x48, 0x00});
  REQUIRE(bp);
  REQUIRE(bp->size() == 3);  // the NaN mean arterial pressure gives none
  CHECK((*bp)[0] == Reading{"blood_pressure", "sys", 121, "mmHg"});
  CHECK((*bp)[1] == Reading{"blood_pressure", "dias", 81, "mmHg"});
  CHECK((*bp)[2] == Reading{"heart_rate", "rate", 72, "bpm"});
  auto cuff = decode_characteristic(0x2A36, bytes{0x01, 0x8C, 0x00, 0xFF, 0x07, 0xFF, 0x07});
  REQUIRE(cuff);
  CHECK(*cuff == Readings{{"cuff_pressure", "level", 140, "kPa"}});
  CHECK(decode_characteristic(0x2A1C, bytes{0x01, 0x6C, 0x01, 0x00, 0xFF}).value()[0].unit == "°F");
  CHECK(decode_characteristic(0x2A19, bytes{0x16}).value() == Readings{{"battery_level", "level", 22, "%"}});
  CHECK(decode_characteristic(0x2A6E, bytes{0x9A, 0x09}).value()[0].value == doctest::Approx(24.58));
  CHECK(decode_characteristic(0x2A6E, bytes{0x00, 0x80}).value().empty());  // not known
  CHECK(decode_characteristic(0x2A6F, bytes{0xBF, 0x13}).value()[0].unit == "%");
  CHECK(decode_characteristic(0x2A6D, bytes{0x02, 0x76, 0x0F, 0x00}).value() ==
        Readings{{"pressure", "level", 101325.0, "Pa"}});
  CHECK(decode_characteristic(0x2A9D, bytes{0x00, 0x14, 0x37}).value() == Readings{{"weight", "level", 70.5, "kg"}});
  auto plx = decode_characteristic(0x2A5F, bytes{0x00, 0x62, 0x00, 0x48, 0x00}).value();
  CHECK(plx == Readings{{"spo2", "level", 98, "%"}, {"heart_rate", "rate", 72, "bpm"}});
  CHECK(decode_characteristic(0x2A5E, bytes{0x00, 0x62, 0x00, 0x48, 0x00}).value() == plx);
  auto glu = decode_characteristic(0x2A18, bytes{0x06, 0x01, 0x00, 0xE8, 0x07, 0x01, 0x02, 0x03, 0x04, 0x05, 0x35, 0xC0, 0x11});
  REQUIRE(glu);
  CHECK((*glu)[0].unit == "mol/L");
  CHECK(decode_characteristic(0x2A00, bytes{0x00}).error() == codec_errc::unknown_opcode);
  CHECK(decode_characteristic(0x2A37, bytes{}).error() == codec_errc::truncated);
}

TEST_CASE("Passive service data as the original BCMS mapped it: little-endian integers, unscaled") {
  CHECK(decode_passive_service_data(0x2A37, bytes{0x43}).value() == Reading{"heart_rate", "rate", 67, ""});
  CHECK(decode_passive_service_data(0x2A37, bytes{0xFF}).value().value == -1);  // signed
  CHECK(decode_passive_service_data(0x2A6E, bytes{0x9A, 0x09}).value() == Reading{"temperature", "level", 2458, ""});
  CHECK(decode_passive_service_data(0x2A6E, bytes{0x0C, 0xFE}).value().value == -500);
  CHECK(decode_passive_service_data(0x2A6D, bytes{0x02, 0x76, 0x0F, 0x00}).value() ==
        Reading{"pressure", "level", 1013250, ""});
  CHECK(decode_passive_service_data(0x2A6D, bytes{0xFF, 0xFF}).value().value == 65535);  // unsigned
  CHECK(decode_passive_service_data(0x180F, bytes{0x16}).value() == Reading{"battery_level", "level", 22, ""});
  CHECK(decode_passive_service_data(0x180F, bytes{0x80}).value().value == -128);
  CHECK(decode_passive_service_data(0x2A46, bytes{'f', 'a', 'l', 'l'}).value() == Reading{"alert", "id", 0, "", "fall"});
  CHECK(decode_passive_service_data(0x2A46, bytes{0xC3, 0x28}).error() == codec_errc::invalid_value);
  CHECK(decode_passive_service_data(0x2A37, bytes{}).error() == codec_errc::truncated);
  CHECK(decode_passive_service_data(0x2A37, bytes(9, 0)).error() == codec_errc::too_long);
  CHECK(decode_passive_service_data(0x2A19, bytes{0x16}).error() == codec_errc::unknown_opcode);
}

TEST_CASE("iBeacon (Apple manufacturer data 0x004C, type 0x02, length 0x15)") {
  const bytes d{0x02, 0x15, 0xE2, 0xC5, 0x6D, 0xB5, 0xDF, 0xFB, 0x48, 0xD2, 0xB0, 0x60,
                0xD0, 0xF5, 0xA7, 0x10, 0x96, 0xE0, 0x00, 0x01, 0x01, 0x02, 0xC5};
  auto b = decode_ibeacon(0x004C, d);
  REQUIRE(b);
  CHECK(b->uuid_string() == "e2c56db5-dffb-48d2-b060-d0f5a71096e0");
  CHECK(b->major == 1);
  CHECK(b->minor == 0x0102);  // big-endian
  CHECK(b->measured_power == -59);
  CHECK(decode_ibeacon(0x0059, d).error() == codec_errc::unknown_opcode);
  bytes other = d;
  other[0] = 0x10;
  CHECK(decode_ibeacon(0x004C, other).error() == codec_errc::unknown_opcode);
  other = d;
  other[1] = 0x14;
  CHECK(decode_ibeacon(0x004C, other).error() == codec_errc::invalid_length);
  CHECK(decode_ibeacon(0x004C, byte_span(d).first(22)).error() == codec_errc::truncated);
  other = d;
  other.push_back(0);
  CHECK(decode_ibeacon(0x004C, other).error() == codec_errc::trailing_bytes);
}

TEST_CASE("Eddystone-UID (frame 0x00)") {
  bytes d{0x00, 0xEE, 0x8B, 0x0C, 0x2A, 0xB9, 0x11, 0x39, 0x5D, 0x44, 0x77, 0x66,
          0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x00, 0x00};
  auto e = decode_eddystone(d);
  REQUIRE(e);
  const auto& u = std::get<EddystoneUid>(*e);
  CHECK(u.tx_power == -18);
  CHECK(u.name_space[0] == 0x8B);
  CHECK(u.name_space[9] == 0x66);
  CHECK(u.instance == std::array<std::uint8_t, 6>{1, 2, 3, 4, 5, 6});
  CHECK(decode_eddystone(byte_span(d).first(18)).has_value());  // without the RFU octets
  CHECK(decode_eddystone(byte_span(d).first(17)).error() == codec_errc::truncated);
}

TEST_CASE("Eddystone-URL (frame 0x10): scheme prefixes and expansion codes") {
  auto e = decode_eddystone(bytes{0x10, 0xF8, 0x03, 'g', 'o', 'o', 'g', 'l', 'e', 0x00});
  REQUIRE(e);
  CHECK(std::get<EddystoneUrl>(*e).url == "https://google.com/");
  CHECK(std::get<EddystoneUrl>(*e).tx_power == -8);
  CHECK(std::get<EddystoneUrl>(decode_eddystone(bytes{0x10, 0x00, 0x00, 'a', 0x0B, 'x'}).value()).url ==
        "http://www.a.infox");
  CHECK(std::get<EddystoneUrl>(decode_eddystone(bytes{0x10, 0x00, 0x02, 'b', 0x0D}).value()).url == "http://b.gov");
  CHECK(decode_eddystone(bytes{0x10, 0x00, 0x04, 'a'}).error() == codec_errc::invalid_value);  // scheme
  CHECK(decode_eddystone(bytes{0x10, 0x00, 0x00, 0x0E}).error() == codec_errc::invalid_value);  // reserved
  CHECK(decode_eddystone(bytes{0x10, 0x00, 0x00, 0x20}).error() == codec_errc::invalid_value);
  CHECK(decode_eddystone(bytes{0x10, 0x00, 0x00, 0x7F}).error() == codec_errc::invalid_value);
  CHECK(decode_eddystone(bytes{0x10, 0x00, 0x00}).error() == codec_errc::truncated);
  CHECK(decode_eddystone(bytes(21, 'a')).error() == codec_errc::unknown_opcode);
  bytes long_url{0x10, 0x00, 0x00};
  long_url.resize(3 + 18, 'a');
  CHECK(decode_eddystone(long_url).error() == codec_errc::trailing_bytes);
}

TEST_CASE("Eddystone-TLM (frame 0x20) unencrypted version 0: big-endian, 8.8 temperature, 0.1 s uptime") {
  // 3000 mV, 23.5 degC (0x1780), 1000 PDUs, 36000 x 0.1 s = 1 h
  const bytes d{0x20, 0x00, 0x0B, 0xB8, 0x17, 0x80, 0x00, 0x00, 0x03, 0xE8, 0x00, 0x00, 0x8C, 0xA0};
  auto e = decode_eddystone(d);
  REQUIRE(e);
  const auto& t = std::get<EddystoneTlm>(*e);
  CHECK(t.battery_mv == 3000);
  CHECK(t.temperature_c == 23.5);
  CHECK(t.adv_count == 1000);
  CHECK(t.uptime_deciseconds == 36000);
  CHECK(readings(t) == Readings{{"battery_voltage", "level", 3.0, "V"},
                                {"temperature", "level", 23.5, "°C"},
                                {"uptime", "level", 3600.0, "s"}});
  auto neg = decode_eddystone(bytes{0x20, 0x00, 0x00, 0x00, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 0});
  CHECK(std::get<EddystoneTlm>(neg.value()).temperature_c == -0.5);
  auto unsupported = decode_eddystone(bytes{0x20, 0x00, 0x00, 0x00, 0x80, 0x00, 0, 0, 0, 0, 0, 0, 0, 0});
  CHECK_FALSE(std::get<EddystoneTlm>(unsupported.value()).temperature_c.has_value());
  CHECK(readings(std::get<EddystoneTlm>(unsupported.value())).size() == 1);
  CHECK(decode_eddystone(bytes{0x20, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}).error() == codec_errc::invalid_value);
  CHECK(decode_eddystone(byte_span(d).first(13)).error() == codec_errc::truncated);
  CHECK(decode_eddystone(bytes{0x30, 0x00}).error() == codec_errc::unknown_opcode);  // EID
  CHECK(decode_eddystone(bytes{}).error() == codec_errc::truncated);
}
