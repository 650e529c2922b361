#include "protocol/address.hpp"

#include <doctest/doctest.h>

#include "protocol/codec_error.hpp"

using namespace bcms;

TEST_CASE("Address: written form is reversed wire order (Core Vol 2 Part B 1.2)") {
  auto a = Address::parse("00:11:22:33:44:55");
  REQUIRE(a);
  CHECK(a->b == std::array<std::uint8_t, 6>{0x55, 0x44, 0x33, 0x22, 0x11, 0x00});
  CHECK(a->to_string() == "00:11:22:33:44:55");
  CHECK(Address::parse("aa:bb:cc:dd:ee:ff")->to_string() == "AA:BB:CC:DD:EE:FF");
}

TEST_CASE("Address: malformed text is rejected with invalid_value") {
  for (const char* bad : {"00:11:22:33:44", "00:11:22:33:44:55:66", "00-11-22-33-44-55", "0g:11:22:33:44:55",
                          "", "00:11:22:33:44:5", "00:11:22:33:44:555"}) {
    auto a = Address::parse(bad);
    CHECK_FALSE(a);
    if (!a) CHECK(a.error() == codec_errc::invalid_value);
  }
}

TEST_CASE("AddressType names") {
  CHECK(*parse_address_type("public") == AddressType::le_public);
  CHECK(*parse_address_type("2") == AddressType::le_random);
  CHECK(*parse_address_type("bredr") == AddressType::bredr);
  CHECK_FALSE(parse_address_type("le"));
  CHECK(to_string(AddressType::le_random) == "le_random");
}
