// AdBuilder: AD structures for our own advertising (Core v5.4 Vol 3 Part C
// 11, CSS v11 Part A 1.x), the 31-octet legacy limit (Core v5.4 Vol 4
// Part E 7.8.7) and the scan response split.  Expected octets by hand.
#include "protocol/ad/builder.hpp"

#include <doctest/doctest.h>

#include "protocol/codec_error.hpp"

using namespace bcms;
using namespace bcms::ad;

namespace {

// Nordic UART Service 6e400001-b5a3-f393-e0a9-e50e24dcca9e in wire order.
constexpr Uuid128 nus{0x9e, 0xca, 0xdc, 0x24, 0x0e, 0xe5, 0xa9, 0xe0,
                      0x93, 0xf3, 0xa3, 0xb5, 0x01, 0x00, 0x40, 0x6e};

}  // namespace

TEST_CASE("Builder: every field, in the documented order, exactly 31 octets") {
  AdBuilder b;
  b.name("bcms")
      .manufacturer(0xffff, {0x01, 0x02})
      .service_data(0x180f, {0x64})
      .tx_power(0)
      .appearance(0x0340)
      .uuid16(0x180f)
      .flags(0x06);
  auto out = b.build();
  REQUIRE(out);
  CHECK(*out == bytes{0x02, 0x01, 0x06,                    // Flags
                      0x03, 0x03, 0x0f, 0x18,              // complete 16-bit UUIDs
                      0x03, 0x19, 0x40, 0x03,              // Appearance
                      0x02, 0x0a, 0x00,                    // TX power 0 dBm
                      0x04, 0x16, 0x0f, 0x18, 0x64,        // Service Data 0x180f
                      0x05, 0xff, 0xff, 0xff, 0x01, 0x02,  // Manufacturer 0xffff
                      0x05, 0x09, 'b', 'c', 'm', 's'});    // Complete Local Name
  CHECK(out->size() == 31);
}

TEST_CASE("Builder: 128-bit UUIDs, 128-bit service data, negative TX power") {
  auto out = AdBuilder{}.uuid128(nus).tx_power(-12).service_data(nus, {0xaa}).build(64);
  REQUIRE(out);
  bytes expect{0x11, 0x07};
  expect.insert(expect.end(), nus.begin(), nus.end());
  expect.insert(expect.end(), {0x02, 0x0a, 0xf4, 0x12, 0x21});
  expect.insert(expect.end(), nus.begin(), nus.end());
  expect.push_back(0xaa);
  CHECK(*out == expect);
}

TEST_CASE("Builder: a name that does not fit is shortened (CSS PartA 1.2)") {
  auto out = AdBuilder{}.flags(0x06).name("Heart Rate Monitor Pro Edition X").build();
  REQUIRE(out);
  bytes expect{0x02, 0x01, 0x06, 0x1b, 0x08};
  for (char c : std::string_view("Heart Rate Monitor Pro Edi")) expect.push_back(static_cast<std::uint8_t>(c));
  CHECK(*out == expect);
  CHECK(out->size() == 31);
}

TEST_CASE("Builder: shortening never cuts a UTF-8 character") {
  const std::string name = "\xc3\xa9\xc3\xa9\xc3\xa9";  // three 2-octet characters
  CHECK(*AdBuilder{}.name(name).build(8) == bytes{0x07, 0x09, 0xc3, 0xa9, 0xc3, 0xa9, 0xc3, 0xa9});
  CHECK(*AdBuilder{}.name(name).build(7) == bytes{0x05, 0x08, 0xc3, 0xa9, 0xc3, 0xa9});
  CHECK(*AdBuilder{}.name(name).build(5) == bytes{0x03, 0x08, 0xc3, 0xa9});
  auto none = AdBuilder{}.name(name).build(3);  // room for one octet: no whole character
  REQUIRE_FALSE(none);
  CHECK(none.error().field == AdField::name);
  CHECK(shorten_name("ab\xe2\x82\xac", 4) == "ab");
  CHECK(shorten_name("ab\xe2\x82\xac", 5) == "ab\xe2\x82\xac");
  CHECK(shorten_name("a\xff" "b", 2) == "a\xff");  // an invalid octet counts as one character
}

TEST_CASE("Builder: too long names the field that does not fit") {
  auto out = AdBuilder{}.flags(0x06).manufacturer(0x004c, bytes(30, 0x11)).build();
  REQUIRE_FALSE(out);
  CHECK(out.error().code == codec_errc::too_long);
  CHECK(out.error().field == AdField::manufacturer);
  CHECK(out.error().needed == 34);
  CHECK(out.error().available == 28);
  CHECK(out.error().message() == "manufacturer data does not fit: needs 34 octets, 28 left (encoded data too long)");

  // The same data fits in a controller's larger extended advertising limit.
  auto ext = AdBuilder{}.flags(0x06).manufacturer(0x004c, bytes(30, 0x11)).build(251);
  REQUIRE(ext);
  CHECK(ext->size() == 37);

  // No room left for even one character of the name.
  auto full = AdBuilder{}.flags(0x06).manufacturer(0x004c, bytes(24, 0x11)).name("x").build();
  REQUIRE_FALSE(full);
  CHECK(full.error().field == AdField::name);
  CHECK(full.error().needed == 3);
  CHECK(full.error().available == 0);

  // A single structure cannot carry more than 254 data octets.
  auto huge = AdBuilder{}.service_data(0x180f, bytes(253, 0)).build(1650);
  REQUIRE_FALSE(huge);
  CHECK(huge.error().field == AdField::service_data);
}

TEST_CASE("Builder: empty builder and empty name") {
  CHECK(AdBuilder{}.build()->empty());
  CHECK(*AdBuilder{}.name("").build() == bytes{0x01, 0x09});
}

TEST_CASE("Builder split: what does not fit goes to the scan response") {
  auto s = AdBuilder{}
               .flags(0x06)
               .uuid128(nus)
               .manufacturer(0x0059, {1, 2, 3, 4, 5, 6, 7, 8})
               .name("bcms-gateway")
               .split();
  REQUIRE(s);
  bytes adv{0x02, 0x01, 0x06, 0x11, 0x07};
  adv.insert(adv.end(), nus.begin(), nus.end());
  CHECK(s->adv == adv);
  CHECK(s->scan_rsp == bytes{0x0b, 0xff, 0x59, 0x00, 1, 2, 3, 4, 5, 6, 7, 8,
                             0x0d, 0x09, 'b', 'c', 'm', 's', '-', 'g', 'a', 't', 'e', 'w', 'a', 'y'});
}

TEST_CASE("Builder split: everything fits in the advertising data") {
  auto s = AdBuilder{}.flags(0x06).name("hi").split();
  REQUIRE(s);
  CHECK(s->adv == bytes{0x02, 0x01, 0x06, 0x03, 0x09, 'h', 'i'});
  CHECK(s->scan_rsp.empty());
}

TEST_CASE("Builder split: a long name is shortened into the block with more room") {
  const std::string name(40, 'n');
  auto s = AdBuilder{}.flags(0x06).name(name).split();
  REQUIRE(s);
  CHECK(s->adv == bytes{0x02, 0x01, 0x06});
  REQUIRE(s->scan_rsp.size() == 31);
  CHECK(s->scan_rsp[0] == 30);
  CHECK(s->scan_rsp[1] == 0x08);
}

TEST_CASE("Builder split: errors") {
  auto flags = AdBuilder{}.flags(0x06).split(2, 31);  // Flags may not go to the scan response
  REQUIRE_FALSE(flags);
  CHECK(flags.error().field == AdField::flags);
  auto big = AdBuilder{}.manufacturer(0x004c, bytes(28, 0)).split();
  REQUIRE_FALSE(big);
  CHECK(big.error().field == AdField::manufacturer);
  CHECK(big.error().needed == 32);
  CHECK(big.error().available == 31);
}

TEST_CASE("Builder -> parser round trip") {
  AdBuilder b;
  b.flags(0x05).uuid16(0x180d).uuid16(0x180a).uuid128(nus).appearance(0x0341).tx_power(-4)
      .service_data(0xfcd2, {0x40, 0x01, 0x64}).manufacturer(0x0059, {0xde, 0xad}).name("rt");
  auto out = b.build(80);
  REQUIRE(out);
  auto ad = parse_ad_strict(*out);
  REQUIRE(ad);
  REQUIRE(ad->structures.size() == 8);
  CHECK(ad->flags() == std::optional<std::uint8_t>(0x05));
  CHECK(ad->uuids16() == std::vector<std::uint16_t>{0x180d, 0x180a});
  CHECK(std::get<ServiceUuids<Uuid128>>(ad->structures[2].value).uuids == std::vector<Uuid128>{nus});
  CHECK(std::get<Appearance>(ad->structures[3].value).value == 0x0341);
  CHECK(std::get<TxPower>(ad->structures[4].value).dbm == -4);
  REQUIRE(ad->service_data(0xfcd2));
  CHECK(ad->service_data(0xfcd2)->data == bytes{0x40, 0x01, 0x64});
  REQUIRE(ad->manufacturer(0x0059));
  CHECK(ad->manufacturer(0x0059)->data == bytes{0xde, 0xad});
  REQUIRE(ad->name());
  CHECK(ad->name()->name == "rt");
  CHECK(ad->name()->complete);

  auto s = b.split();
  REQUIRE(s);
  CHECK(s->adv.size() <= 31);
  CHECK(s->scan_rsp.size() <= 31);
  auto a1 = parse_ad_strict(s->adv);
  auto a2 = parse_ad_strict(s->scan_rsp);
  REQUIRE(a1);
  REQUIRE(a2);
  CHECK(a1->structures.size() + a2->structures.size() == 8);
}
