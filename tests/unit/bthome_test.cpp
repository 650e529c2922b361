// BTHome v2 (https://bthome.io/format/): device information, every kind
// of object, the object table, unknown ids, packet-id de-duplication.
// Object vectors are written from the format's definitions (id, type,
// length, factor): e.g. temperature 0x02 sint16 x 0.01, 25.06 degC ->
// 2506 = 0x09CA -> 02 CA 09.
#include <doctest/doctest.h>

#include <set>

#include "protocol/codec_error.hpp"
#include "protocol/sensor/bthome.hpp"
#include "protocol/sensor/bthome_state.hpp"

using namespace bcms;
using namespace bcms::sensor;

namespace {
BthomePacket decode_ok(const bytes& in) {
  auto p = decode_bthome(in);
  if (!p) FAIL(p.error().message());
  return *p;
}
// The single object of a 0x40 packet.
BthomeObject one(bytes obj) {
  obj.insert(obj.begin(), 0x40);
  auto p = decode_ok(obj);
  REQUIRE(p.objects.size() == 1);
  return p.objects[0];
}
}  // namespace

TEST_CASE("BTHome v2 device information: version 2, encryption, trigger-based, MAC included, reserved bits") {
  auto p = decode_ok(bytes{0x44, 0x02, 0xCA, 0x09});
  CHECK(p.trigger_based);
  CHECK_FALSE(p.encrypted);
  CHECK(decode_bthome(bytes{0x20, 0x02, 0xCA, 0x09}).error().code == bthome_errc::unsupported_version);  // v1
  CHECK(decode_bthome(bytes{0x60, 0x02, 0xCA, 0x09}).error().code == bthome_errc::unsupported_version);  // v3
  CHECK(decode_bthome(bytes{0x48, 0x02, 0xCA, 0x09}).error().code == bthome_errc::reserved_bits);
  CHECK(decode_bthome(bytes{0x50}).error().code == bthome_errc::reserved_bits);
  CHECK(decode_bthome(bytes{}).error().code == codec_errc::truncated);
  CHECK(decode_bthome(bytes{0x41, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07}).error().code == bthome_errc::encrypted);
  CHECK(decode_bthome(bytes{0x41, 0x00, 0x01}).error().code == codec_errc::truncated);
  // bit 1: the device's address, little-endian, before the objects
  auto m = decode_ok(bytes{0x42, 0xB2, 0x18, 0x8D, 0x38, 0xC1, 0xA4, 0x04, 0x13, 0x8A, 0x01});
  REQUIRE(m.mac);
  CHECK(m.mac->to_string() == "A4:C1:38:8D:18:B2");
  REQUIRE(m.objects.size() == 1);
  CHECK(m.objects[0].value == doctest::Approx(1008.83));
  CHECK(decode_bthome(bytes{0x42, 0xB2, 0x18}).error().code == codec_errc::truncated);
}

TEST_CASE("BTHome v2 sensor objects: integers, signs, factors, units") {
  auto t = one({0x02, 0xCA, 0x09});
  CHECK(t.type->name == "temperature");
  CHECK(t.type->unit == "°C");
  CHECK(t.value == 25.06);  // rounded to the factor's decimals: exactly the double nearest 25.06
  CHECK(one({0x02, 0x0C, 0xFE}).value == -5.0);
  CHECK(one({0x03, 0xBF, 0x13}).value == 50.55);
  CHECK(one({0x01, 0x5D}).value == 93);
  CHECK(one({0x01, 0x5D}).type->name == "battery_level");
  CHECK(one({0x04, 0x13, 0x8A, 0x01}).value == 1008.83);   // uint24 0.01 hPa
  CHECK(one({0x05, 0x13, 0x8A, 0x14}).value == 13460.67);  // uint24 0.01 lx
  CHECK(one({0x06, 0x5E, 0x1F}).value == 80.3);
  CHECK(one({0x07, 0x3E, 0x1D}).type->unit == "lb");
  CHECK(one({0x0A, 0x13, 0x8A, 0x14}).value == 1346.067);
  CHECK(one({0x0B, 0x02, 0x1B, 0x00}).value == 69.14);
  CHECK(one({0x0C, 0x02, 0x0C}).value == 3.074);
  CHECK(one({0x12, 0xE2, 0x04}).value == 1250);
  CHECK(one({0x3E, 0x2A, 0x2C, 0x09, 0x60}).value == 1611213866.0);  // uint32 count
  CHECK(one({0x3F, 0x02, 0x0C}).value == 307.4);
  CHECK(one({0x3F, 0xFE, 0xF3}).value == -307.4);
  CHECK(one({0x45, 0x11, 0x01}).value == 27.3);
  CHECK(one({0x57, 0xEA}).value == -22);
  CHECK(one({0x58, 0x18}).value == 8.4);  // 24 x 0.35
  CHECK(one({0x5B, 0xFF, 0xFF, 0xFF, 0xFF}).value == -1);
  CHECK(one({0x5C, 0xF4, 0xE4, 0xFF, 0xFF}).value == -69.24);
  CHECK(one({0x62, 0x40, 0x42, 0x0F, 0x00}).value == 1.0);  // 1000000 x 0.000001 m/s
  CHECK(one({0x50, 0x5D, 0x39, 0x61, 0x64}).value == 1684093277.0);
  CHECK(one({0xF1, 0x00, 0x01, 0x02, 0x04}).type->name == "firmware_version");
}

TEST_CASE("BTHome v2 binary sensors, events, text and raw") {
  auto door = one({0x1A, 0x01});
  CHECK(door.type->name == "door");
  CHECK(door.type->format == BthomeFormat::binary);
  CHECK(door.value == 1);
  CHECK(one({0x2D, 0x00}).value == 0);
  auto press = one({0x3A, 0x04});
  CHECK(press.text == "long_press");
  CHECK(one({0x3A, 0x80}).text == "hold_press");
  auto dimmer = one({0x3C, 0x01, 0x03});
  CHECK(dimmer.text == "rotate_left");
  CHECK(dimmer.value == 3);
  auto text = one({0x53, 0x0C, 'H', 'e', 'l', 'l', 'o', ' ', 'W', 'o', 'r', 'l', 'd', '!'});
  CHECK(text.text == "Hello World!");
  CHECK(one({0x54, 0x03, 0x00, 0xAB, 0xFF}).text == "00abff");
  CHECK(one({0x53, 0x00}).text.empty());
  auto bad = decode_bthome(bytes{0x40, 0x53, 0x02, 0xC3, 0x28});  // ill-formed UTF-8
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == codec_errc::invalid_value);
  CHECK(bad.error().object_id == 0x53);
}

TEST_CASE("BTHome v2 several objects, packet id, and Readings") {
  auto p = decode_ok(bytes{0x40, 0x00, 0x09, 0x01, 0x5D, 0x02, 0xCA, 0x09, 0x03, 0xBF, 0x13, 0x21, 0x01, 0x3A, 0x01});
  CHECK(p.packet_id == 9);
  REQUIRE(p.objects.size() == 6);
  auto r = readings(p);
  REQUIRE(r.size() == 5);  // the packet id gives none
  CHECK(r[0] == Reading{"battery_level", "level", 93, "%"});
  CHECK(r[1] == Reading{"temperature", "level", 25.06, "°C"});
  CHECK(r[2] == Reading{"humidity", "level", 50.55, "%"});
  CHECK(r[3] == Reading{"motion", "level", 1, ""});
  CHECK(r[4] == Reading{"button", "event", 1, "", "press"});
}

TEST_CASE("BTHome v2 unknown object id stops decoding with an error naming the id") {
  auto e = decode_bthome(bytes{0x40, 0x02, 0xCA, 0x09, 0x99, 0x01, 0x03, 0xBF, 0x13});
  REQUIRE_FALSE(e);
  CHECK(e.error().code == bthome_errc::unknown_object);
  CHECK(e.error().object_id == 0x99);
  CHECK(e.error().offset == 4);
  CHECK(e.error().message() == "BTHome: unknown object id 0x99 at offset 4");
  auto t = decode_bthome(bytes{0x40, 0x02, 0xCA});
  REQUIRE_FALSE(t);
  CHECK(t.error().code == codec_errc::truncated);
  CHECK(t.error().object_id == 0x02);
  CHECK(decode_bthome(bytes{0x40, 0x53}).error().code == codec_errc::truncated);
  CHECK(decode_bthome(bytes{0x40, 0x53, 0x05, 'a'}).error().code == codec_errc::truncated);
}

TEST_CASE("BTHome v2 object table: sorted, unique ids, lengths and factors as published") {
  auto table = bthome_object_types();
  CHECK(table.size() == 93);
  std::set<int> ids;
  for (const auto& t : table) {
    CHECK(ids.insert(t.id).second);
    CHECK(bthome_object_type(t.id) == &t);
    const bool sized = t.format != BthomeFormat::text && t.format != BthomeFormat::raw;
    CHECK((t.length > 0) == sized);
    CHECK(t.length <= 4);
  }
  for (int id = 0x15; id <= 0x2D; ++id) CHECK(bthome_object_type(static_cast<std::uint8_t>(id))->format == BthomeFormat::binary);
  CHECK(bthome_object_type(0x30) == nullptr);
  CHECK(bthome_object_type(0x65) == nullptr);
  CHECK(bthome_object_type(0xFF) == nullptr);
  CHECK(bthome_object_type(0x04)->decimals == 2);
  CHECK(bthome_object_type(0x62)->decimals == 6);
  CHECK(bthome_object_type(0x58)->decimals == 1);
}

TEST_CASE("BTHome packet-id de-duplication: repeats dropped, wrap-around, 4 s window") {
  using namespace std::chrono_literals;
  const PacketIdFilter::clock::time_point t0{};
  PacketIdFilter f;
  CHECK(f.accept(10, t0));
  CHECK_FALSE(f.accept(10, t0 + 100ms));  // repeat
  CHECK_FALSE(f.accept(9, t0 + 200ms));   // late copy of an older one
  CHECK(f.accept(11, t0 + 300ms));
  CHECK(f.accept(74, t0 + 400ms));        // 63 ahead
  CHECK_FALSE(f.accept(74 + 64, t0 + 500ms));  // 64 ahead: taken as old
  CHECK(f.accept(74, t0 + 5s));           // same id after the window: the device restarted
  PacketIdFilter w;
  CHECK(w.accept(255, t0));
  CHECK(w.accept(0, t0 + 1s));            // wraps
  CHECK(w.accept(3, t0 + 2s));
  CHECK_FALSE(w.accept(255, t0 + 3s));
}

TEST_CASE("BTHome replay protection: the counter must increase") {
  CounterGuard g;
  CHECK(g.fresh(0));
  g.commit(5);
  CHECK_FALSE(g.fresh(5));
  CHECK_FALSE(g.fresh(4));
  CHECK(g.fresh(6));
}
