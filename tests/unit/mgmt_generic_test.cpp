// Generic (descriptor-driven) encode from key=value text and decode to
// (name, value) pairs: the path of `bcms-mgmt send` and `monitor`.
#include <doctest/doctest.h>

#include "protocol/codec_error.hpp"
#include "protocol/mgmt/generic.hpp"
#include "protocol/mgmt_tables/table.hpp"
#include "tests/unit/mgmt_test_util.hpp"

using namespace bcms;
using namespace bcms::mgmt;
using bcms::mgmt::test::cat;
using bcms::mgmt::test::hx;

namespace {

expected<bytes> send(std::string_view cmd, std::vector<std::string> args) {
  const CommandInfo* c = find_command(cmd);
  REQUIRE(c != nullptr);
  return encode_fields(c->params, args);
}

}  // namespace

TEST_CASE("Set Powered: powered=1") {
  CHECK(*send("Set Powered", {"powered=1"}) == hx("01"));
  CHECK(*send("set-powered", {"Powered=0x01"}) == hx("01"));
  CHECK(*send("set_powered", {}) == hx("00"));  // missing fixed field: zero
}

TEST_CASE("Pair Device: address, type alias, io capability") {
  auto b = send("Pair Device", {"address=C0:FF:EE:00:11:22", "type=le_public", "io_capability=4"});
  REQUIRE(b);
  CHECK(*b == hx("22 11 00 EE FF C0 01 04"));
  CHECK(*send("Pair Device", {"address=C0:FF:EE:00:11:22", "address_type=le_random"}) == hx("22 11 00 EE FF C0 02 00"));
}

TEST_CASE("Add Advertising: data fields compute their length fields") {
  auto b = send("Add Advertising", {"instance=1", "flags=0x3", "timeout=10", "adv_data=02:01:06"});
  REQUIRE(b);
  CHECK(*b == hx("01 03 00 00 00 00 00 0A 00 03 00 02 01 06"));
  // a given length must match
  CHECK(send("Add Advertising", {"adv_data=020106", "adv_data_len=3"}).has_value());
  CHECK(send("Add Advertising", {"adv_data=020106", "adv_data_len=4"}).error() == codec_errc::invalid_value);
  // too long for its 1-octet length field
  CHECK(send("Add Advertising", {"adv_data=" + std::string(512, 'a')}).error() == codec_errc::too_long);
}

TEST_CASE("Load Long Term Keys: record list with indices") {
  auto b = send("Load Long Term Keys",
                {"keys[0].address=C0:FF:EE:00:11:22", "keys[0].address_type=le_public", "keys[0].key_type=1",
                 "keys[0].central=1", "keys[0].encryption_size=16", "keys[0].encryption_diversifier=0x1234",
                 "keys[0].random_number=0x0102030405060708", "keys[0].value=11111111111111111111111111111111",
                 "keys[1].address=12:34:56:78:9A:BC"});
  REQUIRE(b);
  CHECK(b->size() == 2 + 2 * 36);
  CHECK(bytes(b->begin(), b->begin() + 38) ==
        hx("02 00 22 11 00 EE FF C0 01 01 01 10 34 12 08 07 06 05 04 03 02 01"
           "11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11"));
}

TEST_CASE("Start Service Discovery: scalar list, signed RSSI threshold") {
  auto b = send("Start Service Discovery",
                {"address_type=6", "rssi_threshold=-70",
                 "uuids=0000180f00001000800000805f9b34fb"});
  REQUIRE(b);
  CHECK(*b == cat(hx("06 BA 01 00"), hx("00 00 18 0F 00 00 10 00 80 00 00 80 5F 9B 34 FB")));
}

TEST_CASE("errors: unknown key, bad values, duplicates, oversize strings") {
  CHECK(send("Set Powered", {"power=1"}).error() == codec_errc::invalid_value);
  CHECK(send("Set Powered", {"powered=256"}).error() == codec_errc::invalid_value);
  CHECK(send("Set Powered", {"powered=-1"}).error() == codec_errc::invalid_value);
  CHECK(send("Set Powered", {"powered=x"}).error() == codec_errc::invalid_value);
  CHECK(send("Set Powered", {"powered=1", "powered=0"}).error() == codec_errc::invalid_value);
  CHECK(send("Set Powered", {"powered"}).error() == codec_errc::invalid_value);
  CHECK(send("Pair Device", {"address=C0:FF:EE"}).error() == codec_errc::invalid_value);
  CHECK(send("Pair Device", {"type=le_other"}).error() == codec_errc::invalid_value);
  CHECK(send("Add UUID", {"uuid=0102"}).error() == codec_errc::invalid_value);  // not 16 octets
  CHECK(send("Set Local Name", {"short_name=" + std::string(11, 'n')}).error() == codec_errc::too_long);
  CHECK(send("Set Local Name", {"short_name=" + std::string(10, 'n')}).has_value());
}

TEST_CASE("decode: Device Found event to name/value text") {
  const EventInfo* e = find_event(0x0012);
  REQUIRE(e);
  auto nv = decode_fields(e->params, hx("22 11 00 EE FF C0 01 C4 00 00 00 00 03 00 02 01 06"));
  REQUIRE(nv);
  std::vector<NamedValue> want = {{"address", "C0:FF:EE:00:11:22"}, {"address_type", "le_public"},
                                  {"rssi", "-60"}, {"flags", "0x00000000"}, {"eir_data_length", "3"},
                                  {"eir_data", "020106"}};
  CHECK(*nv == want);
}

TEST_CASE("decode: Read Controller Index List reply and Get Connections reply") {
  auto nv = decode_fields(find_command(0x0003)->reply, hx("02 00 00 00 01 00"));
  REQUIRE(nv);
  CHECK(*nv == std::vector<NamedValue>{{"num_controllers", "2"}, {"controllers", "0x0000,0x0001"}});
  auto gc = decode_fields(find_command(0x0015)->reply, hx("01 00 22 11 00 EE FF C0 02"));
  REQUIRE(gc);
  CHECK(*gc == std::vector<NamedValue>{{"connection_count", "1"},
                                       {"connections[0].address", "C0:FF:EE:00:11:22"},
                                       {"connections[0].address_type", "le_random"}});
}

TEST_CASE("decode: errors") {
  const EventInfo* e = find_event(0x0012);
  CHECK(decode_fields(e->params, hx("22 11 00")).error() == codec_errc::truncated);
  CHECK(decode_fields(find_event(0x0006)->params, hx("00 00 00 00 00")).error() == codec_errc::trailing_bytes);
}
