// Bluetooth UUIDs: Core v5.4 Vol 3 Part B 2.5.1 (Base UUID, 16/32-bit
// aliases) and the ATT forms of Vol 3 Part F 3.2.1.
#include <doctest/doctest.h>

#include "protocol/att/uuid.hpp"
#include "protocol/codec_error.hpp"

using bcms::att::Uuid;
using bcms::bytes;

TEST_CASE("Vol 3 Part B 2.5.1: 16-bit UUID 0x180D is 0000180d-0000-1000-8000-00805f9b34fb") {
  Uuid u = 0x180D;
  CHECK(u.is16());
  CHECK(u.is32());
  CHECK(u.as16() == 0x180D);
  CHECK(u.to_string() == "0x180D");
  CHECK(u.to_string128() == "0000180d-0000-1000-8000-00805f9b34fb");
  CHECK(u.att_size() == 2);
  CHECK(u.att_bytes() == bytes{0x0D, 0x18});
}

TEST_CASE("Vol 3 Part B 2.5.1: 32-bit UUID aliases and their 128-bit ATT form") {
  Uuid u = Uuid::from32(0x12345678);
  CHECK_FALSE(u.is16());
  CHECK(u.is32());
  CHECK(u.to_string() == "0x12345678");
  CHECK(u.to_string128() == "12345678-0000-1000-8000-00805f9b34fb");
  // Vol 3 Part F 3.2.1: 32-bit UUIDs go as 128-bit in ATT.
  CHECK(u.att_bytes() == bytes{0xFB, 0x34, 0x9B, 0x5F, 0x80, 0x00, 0x00, 0x80, 0x00, 0x10, 0x00, 0x00, 0x78,
                               0x56, 0x34, 0x12});
}

TEST_CASE("UUID parse: short, long and invalid forms") {
  CHECK(Uuid::parse("0x2A37").value() == Uuid(0x2A37));
  CHECK(Uuid::parse("2a37").value() == Uuid(0x2A37));
  CHECK(Uuid::parse("0000FEAA").value() == Uuid(0xFEAA));
  CHECK(Uuid::parse("0000180D-0000-1000-8000-00805F9B34FB").value() == Uuid(0x180D));
  auto custom = Uuid::parse("6e400001-b5a3-f393-e0a9-e50e24dcca9e").value();
  CHECK_FALSE(custom.is32());
  CHECK(custom.to_string() == "6e400001-b5a3-f393-e0a9-e50e24dcca9e");
  CHECK(custom.le()[0] == 0x9E);
  CHECK(custom.le()[15] == 0x6E);
  CHECK(custom.att_size() == 16);
  for (const char* bad : {"", "0x", "2A3", "2A377", "0x2G37", "6e400001-b5a3-f393-e0a9-e50e24dcca9", 
                          "6e400001xb5a3-f393-e0a9-e50e24dcca9e", "6e400001-b5a3-f393-e0a9-e50e24dcca9g"}) {
    CAPTURE(bad);
    auto r = Uuid::parse(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error() == bcms::codec_errc::invalid_value);
  }
}

TEST_CASE("UUID from ATT wire: 2, 4, 16 octets; others rejected") {
  const std::uint8_t two[] = {0x00, 0x28};
  CHECK(Uuid::from_wire(two).value() == Uuid(0x2800));
  const std::uint8_t four[] = {0xAA, 0xFE, 0x00, 0x00};
  CHECK(Uuid::from_wire(four).value() == Uuid(0xFEAA));
  const std::uint8_t sixteen[] = {0xFB, 0x34, 0x9B, 0x5F, 0x80, 0x00, 0x00, 0x80,
                                  0x00, 0x10, 0x00, 0x00, 0x03, 0x28, 0x00, 0x00};
  auto u = Uuid::from_wire(sixteen).value();
  CHECK(u == Uuid(0x2803));
  CHECK(u.att_bytes() == bytes{0x03, 0x28});  // re-encoded in its short form
  const std::uint8_t three[] = {1, 2, 3};
  CHECK(Uuid::from_wire(three).error() == bcms::codec_errc::invalid_length);
  CHECK(Uuid::from_wire({}).error() == bcms::codec_errc::invalid_length);
}
