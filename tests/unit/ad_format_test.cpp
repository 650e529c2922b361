// Text and JSON renderings of advertising data (CSS v11 Part A 1.x values,
// Assigned Numbers names).  Expected strings are written out by hand.
#include "protocol/ad/format.hpp"

#include <doctest/doctest.h>

#include "protocol/ad/names.hpp"

using namespace bcms;
using namespace bcms::ad;

namespace {

std::vector<std::string> lines(const bytes& in) { return format_ad(parse_ad(in)); }

}  // namespace

TEST_CASE("Text: iBeacon advert") {
  const bytes in{0x02, 0x01, 0x06, 0x1a, 0xff, 0x4c, 0x00, 0x02, 0x15, 0xe2, 0xc5, 0x6d, 0xb5, 0xdf, 0xfb,
                 0x48, 0xd2, 0xb0, 0x60, 0xd0, 0xf5, 0xa7, 0x10, 0x96, 0xe0, 0x00, 0x01, 0x00, 0x02, 0xc5};
  CHECK(lines(in) == std::vector<std::string>{
                         "Flags: 0x06 LE General Discoverable, BR/EDR Not Supported",
                         "Manufacturer 0x004c (Apple): 0215e2c56db5dffb48d2b060d0f5a71096e000010002c5",
                     });
}

TEST_CASE("Text: heart rate sensor advert") {
  const bytes in{0x02, 0x01, 0x06, 0x03, 0x03, 0x0d, 0x18, 0x03, 0x19, 0x40, 0x03,
                 0x02, 0x0a, 0xf8, 0x04, 0x09, 'H',  'R',  'M'};
  CHECK(lines(in) == std::vector<std::string>{
                         "Flags: 0x06 LE General Discoverable, BR/EDR Not Supported",
                         "16-bit Service UUIDs (complete): 0x180d (Heart Rate)",
                         "Appearance: 0x0340 Heart Rate Sensor",
                         "TX Power: -8 dBm",
                         "Name (complete): HRM",
                     });
}

TEST_CASE("Text: Eddystone and BTHome service data, 128-bit UUIDs") {
  CHECK(lines(bytes{0x0d, 0x16, 0xaa, 0xfe, 0x10, 0xeb, 0x03, 'g', 'o', 'o', 'g', 'l', 'e', 0x07}) ==
        std::vector<std::string>{"Service Data 0xfeaa: 10eb03676f6f676c6507"});
  CHECK(lines(bytes{0x0a, 0x16, 0xd2, 0xfc, 0x40, 0x02, 0xc4, 0x09, 0x03, 0xbf, 0x13}) ==
        std::vector<std::string>{"Service Data 0xfcd2: 4002c40903bf13"});
  CHECK(lines(bytes{0x03, 0x16, 0x0f, 0x18}) == std::vector<std::string>{"Service Data 0x180f: (no data)"});
  CHECK(lines(bytes{0x04, 0x16, 0x0f, 0x18, 0x64}) == std::vector<std::string>{"Service Data 0x180f: 64"});
  // Nordic UART Service 6e400001-b5a3-f393-e0a9-e50e24dcca9e, wire order reversed.
  const bytes nus{0x11, 0x07, 0x9e, 0xca, 0xdc, 0x24, 0x0e, 0xe5, 0xa9, 0xe0,
                  0x93, 0xf3, 0xa3, 0xb5, 0x01, 0x00, 0x40, 0x6e};
  CHECK(lines(nus) ==
        std::vector<std::string>{"128-bit Service UUIDs (complete): 6e400001-b5a3-f393-e0a9-e50e24dcca9e"});
  CHECK(lines(bytes{0x09, 0x04, 0x78, 0x56, 0x34, 0x12, 0x01, 0x00, 0x00, 0x00}) ==
        std::vector<std::string>{"32-bit Service UUIDs (incomplete): 0x12345678, 0x00000001"});
  CHECK(lines(bytes{0x01, 0x03}) == std::vector<std::string>{"16-bit Service UUIDs (complete): none"});
}

TEST_CASE("Text: flags bits, reserved bits") {
  CHECK(lines(bytes{0x02, 0x01, 0x1f}) ==
        std::vector<std::string>{"Flags: 0x1f LE Limited Discoverable, LE General Discoverable, "
                                 "BR/EDR Not Supported, Simultaneous LE and BR/EDR (Controller), "
                                 "Previously Used"});
  CHECK(lines(bytes{0x02, 0x01, 0x82}) ==
        std::vector<std::string>{"Flags: 0x82 LE General Discoverable, Reserved 0x80"});
  CHECK(lines(bytes{0x02, 0x01, 0x00}) == std::vector<std::string>{"Flags: 0x00"});
}

TEST_CASE("Text: interval range, target address, interval, role, URI, appearance") {
  CHECK(lines(bytes{0x05, 0x12, 0x06, 0x00, 0x18, 0x00}) ==
        std::vector<std::string>{"Peripheral Connection Interval Range: 7.50 ms - 30.00 ms"});
  CHECK(lines(bytes{0x05, 0x12, 0xff, 0xff, 0x80, 0x0c}) ==
        std::vector<std::string>{"Peripheral Connection Interval Range: no minimum - 4000.00 ms"});
  CHECK(lines(bytes{0x07, 0x17, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00}) ==
        std::vector<std::string>{"Public Target Address: 00:11:22:33:44:55"});
  CHECK(lines(bytes{0x03, 0x1a, 0xa0, 0x00}) ==
        std::vector<std::string>{"Advertising Interval: 100.000 ms (0x00a0)"});
  CHECK(lines(bytes{0x03, 0x1a, 0x21, 0x00}) ==
        std::vector<std::string>{"Advertising Interval: 20.625 ms (0x0021)"});
  CHECK(lines(bytes{0x02, 0x1c, 0x02}) ==
        std::vector<std::string>{"LE Role: Peripheral and Central, Peripheral preferred (0x02)"});
  CHECK(lines(bytes{0x02, 0x1c, 0x09}) == std::vector<std::string>{"LE Role: Reserved (0x09)"});
  CHECK(lines(bytes{0x0a, 0x24, 0x17, '/', '/', 'e', 'x', '.', 'c', 'o', 'm'}) ==
        std::vector<std::string>{"URI: https://ex.com"});
  CHECK(lines(bytes{0x05, 0x24, 0x01, 'a', ':', 'b'}) == std::vector<std::string>{"URI: a:b"});
  CHECK(lines(bytes{0x04, 0x24, 0x7f, 'x', 'y'}) == std::vector<std::string>{"URI: [scheme 0x7f]xy"});
  CHECK(lines(bytes{0x03, 0x19, 0x41, 0x03}) ==
        std::vector<std::string>{"Appearance: 0x0341 Heart Rate Sensor / Heart Rate Belt"});
  CHECK(lines(bytes{0x03, 0x19, 0xc1, 0x03}) ==
        std::vector<std::string>{"Appearance: 0x03c1 Human Interface Device / Keyboard"});
  CHECK(lines(bytes{0x03, 0x19, 0x00, 0xff}) == std::vector<std::string>{"Appearance: 0xff00"});
}

TEST_CASE("Text: names keep invalid octets visible") {
  CHECK(lines(bytes{0x05, 0x08, 'a', 0xff, '\n', 'b'}) ==
        std::vector<std::string>{"Name (short): a\\xff\\x0ab"});
  CHECK(lines(bytes{0x04, 0x09, 0xc3, 0xa9, '\\'}) == std::vector<std::string>{"Name (complete): \xc3\xa9\\\\"});
}

TEST_CASE("Text: raw, malformed and unknown structures, issue line") {
  CHECK(lines(bytes{0x03, 0x42, 0x01, 0x02}) == std::vector<std::string>{"Unknown AD type 0x42: 0102"});
  CHECK(lines(bytes{0x04, 0x0d, 0x0c, 0x02, 0x5a}) ==
        std::vector<std::string>{"Class of Device (0x0d): 0c025a"});
  CHECK(lines(bytes{0x03, 0x0a, 0x01, 0x02}) ==
        std::vector<std::string>{"Tx Power Level (0x0a, malformed): 0102",
                                 "Malformed AD structure at offset 0 (type 0x0a): invalid length field"});
  CHECK(lines(bytes{0x02, 0x01, 0x06, 0x05, 0xff, 0x4c, 0x00}) ==
        std::vector<std::string>{"Flags: 0x06 LE General Discoverable, BR/EDR Not Supported",
                                 "Malformed AD structure at offset 3 (type 0xff): truncated input"});
  CHECK(lines(bytes{0x03, 0xff, 0x34, 0x12}) == std::vector<std::string>{"Manufacturer 0x1234: (no data)"});
}

TEST_CASE("JSON: heart rate sensor advert") {
  const bytes in{0x02, 0x01, 0x06, 0x03, 0x03, 0x0d, 0x18, 0x03, 0x19, 0x40, 0x03,
                 0x02, 0x0a, 0xf8, 0x04, 0x09, 'H',  'R',  'M'};
  CHECK(to_json(parse_ad(in)) ==
        R"({"structures":[)"
        R"({"type":1,"kind":"flags","flags":6,"flag_names":["le_general_discoverable","br_edr_not_supported"]},)"
        R"({"type":3,"kind":"uuid16","complete":true,"uuids":["0x180d"]},)"
        R"({"type":25,"kind":"appearance","appearance":832,"category":"Heart Rate Sensor","subcategory":""},)"
        R"({"type":10,"kind":"tx_power","dbm":-8},)"
        R"({"type":9,"kind":"name","complete":true,"name":"HRM"}],"error":null})");
}

TEST_CASE("JSON: manufacturer, service data, intervals, URI, raw and error") {
  CHECK(to_json(parse_ad(bytes{0x04, 0xff, 0x4c, 0x00, 0x02})) ==
        R"({"structures":[{"type":255,"kind":"manufacturer","company":76,"company_name":"Apple","data":"02"}],"error":null})");
  CHECK(to_json(parse_ad(bytes{0x04, 0x16, 0x0f, 0x18, 0x64})) ==
        R"({"structures":[{"type":22,"kind":"service_data","uuid":"0x180f","data":"64"}],"error":null})");
  CHECK(to_json(parse_ad(bytes{0x05, 0x12, 0x06, 0x00, 0xff, 0xff, 0x03, 0x1a, 0xa0, 0x00})) ==
        R"({"structures":[{"type":18,"kind":"conn_interval_range","min_ms":7.5,"max_ms":null},)"
        R"({"type":26,"kind":"adv_interval","interval_ms":100.0}],"error":null})");
  CHECK(to_json(parse_ad(bytes{0x05, 0x24, 0x17, '/', '/', '"'})) ==
        R"({"structures":[{"type":36,"kind":"uri","uri":"https://\""}],"error":null})");
  CHECK(to_json(parse_ad(bytes{0x03, 0x0a, 0x01, 0x02, 0x04})) ==
        R"({"structures":[{"type":10,"kind":"raw","type_name":"Tx Power Level","malformed":true,"data":"0102"}],)"
        R"("error":{"offset":0,"type":10,"message":"invalid length field"}})");
  CHECK(to_json(parse_ad(bytes{0x02, 0x42, 0x01})) ==
        R"({"structures":[{"type":66,"kind":"raw","type_name":"","malformed":false,"data":"01"}],"error":null})");
}

TEST_CASE("JSON: invalid UTF-8 in a name becomes U+FFFD plus the exact octets in hex") {
  CHECK(to_json(parse_ad(bytes{0x04, 0x08, 'a', 0xff, 'b'})) ==
        "{\"structures\":[{\"type\":8,\"kind\":\"name\",\"complete\":false,\"name\":\"a\xef\xbf\xbd"
        "b\",\"name_hex\":\"61ff62\"}],\"error\":null}");
  CHECK(to_json(parse_ad({})) == R"({"structures":[],"error":null})");
}

TEST_CASE("Assigned Numbers name tables") {
  CHECK(ad_type_name(0x09) == "Complete Local Name");
  CHECK(ad_type_name(0x42).empty());
  CHECK(company_name(0x0059) == "Nordic Semiconductor");
  CHECK(appearance_category_name(0x031) == "Pulse Oximeter");
  CHECK(uuid16_name(0x180f) == "Battery");
  CHECK(uri_scheme(0x16).text == "http:");
  CHECK(uri_scheme(0x01).known);
  CHECK_FALSE(uri_scheme(0x02).known);
  CHECK(format_uuid128(Uuid128{0xfb, 0x34, 0x9b, 0x5f, 0x80, 0x00, 0x00, 0x80, 0x00, 0x10, 0x00, 0x00, 0x0d,
                               0x18, 0x00, 0x00}) == "0000180d-0000-1000-8000-00805f9b34fb");
}
