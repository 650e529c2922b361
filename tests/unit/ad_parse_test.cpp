// Advertising data parser: Core v5.4 Vol 3 Part C 11 (framing) and CSS v11
// Part A 1.x (data types).  Vectors are written out by hand from the spec
// and from well-known real-world adverts.
#include "protocol/ad/ad.hpp"

#include <doctest/doctest.h>

#include "protocol/codec_error.hpp"

using namespace bcms;
using namespace bcms::ad;

namespace {

template <class T>
const T& as(const Structure& s) {
  REQUIRE(std::holds_alternative<T>(s.value));
  return std::get<T>(s.value);
}

}  // namespace

TEST_CASE("Vol3 PartC 11: iBeacon advert (Flags + Apple manufacturer data)") {
  const bytes in{0x02, 0x01, 0x06,                                      // Flags: LE General, no BR/EDR
                 0x1a, 0xff, 0x4c, 0x00, 0x02, 0x15,                    // Apple, iBeacon type + length
                 0xe2, 0xc5, 0x6d, 0xb5, 0xdf, 0xfb, 0x48, 0xd2,        // proximity UUID
                 0xb0, 0x60, 0xd0, 0xf5, 0xa7, 0x10, 0x96, 0xe0,
                 0x00, 0x01, 0x00, 0x02, 0xc5};                         // major 1, minor 2, -59 dBm
  auto ad = parse_ad_strict(in);
  REQUIRE(ad);
  REQUIRE(ad->structures.size() == 2);
  CHECK(ad->structures[0].type == 0x01);
  CHECK(as<Flags>(ad->structures[0]).bits == 0x06);
  CHECK(ad->flags() == std::optional<std::uint8_t>(0x06));
  const auto& m = as<ManufacturerData>(ad->structures[1]);
  CHECK(m.company == 0x004c);
  REQUIRE(m.data.size() == 23);
  CHECK(m.data[0] == 0x02);
  CHECK(m.data[1] == 0x15);
  CHECK(m.data[22] == 0xc5);
  CHECK(ad->manufacturer(0x004c) == &m);
  CHECK(ad->manufacturer(0x0059) == nullptr);
  CHECK(ad->significant == 30);
  CHECK_FALSE(ad->issue);
}

TEST_CASE("Vol3 PartC 11: Eddystone-URL advert (16-bit UUID list + service data 0xFEAA)") {
  const bytes in{0x02, 0x01, 0x06,
                 0x03, 0x03, 0xaa, 0xfe,
                 0x0d, 0x16, 0xaa, 0xfe, 0x10, 0xeb, 0x03, 'g', 'o', 'o', 'g', 'l', 'e', 0x07};
  auto ad = parse_ad_strict(in);
  REQUIRE(ad);
  REQUIRE(ad->structures.size() == 3);
  const auto& l = as<ServiceUuids<std::uint16_t>>(ad->structures[1]);
  CHECK(l.complete);
  CHECK(l.uuids == std::vector<std::uint16_t>{0xfeaa});
  const auto* sd = ad->service_data(0xfeaa);
  REQUIRE(sd);
  CHECK(sd->data == bytes{0x10, 0xeb, 0x03, 'g', 'o', 'o', 'g', 'l', 'e', 0x07});
}

TEST_CASE("Vol3 PartC 11: heart rate sensor advert (0x180D, appearance, TX power, name)") {
  const bytes in{0x02, 0x01, 0x06,
                 0x03, 0x03, 0x0d, 0x18,
                 0x03, 0x19, 0x40, 0x03,
                 0x02, 0x0a, 0xf8,
                 0x04, 0x09, 'H', 'R', 'M'};
  auto ad = parse_ad_strict(in);
  REQUIRE(ad);
  REQUIRE(ad->structures.size() == 5);
  CHECK(ad->uuids16() == std::vector<std::uint16_t>{0x180d});
  const auto& a = as<Appearance>(ad->structures[2]);
  CHECK(a.value == 0x0340);
  CHECK(a.category() == 0x00d);
  CHECK(a.subcategory() == 0);
  CHECK(as<TxPower>(ad->structures[3]).dbm == -8);
  REQUIRE(ad->name());
  CHECK(ad->name()->complete);
  CHECK(ad->name()->name == "HRM");
}

TEST_CASE("CSS PartA 1.11: BTHome-like service data advert (UUID 0xFCD2)") {
  const bytes in{0x02, 0x01, 0x06,
                 0x0a, 0x16, 0xd2, 0xfc, 0x40, 0x02, 0xc4, 0x09, 0x03, 0xbf, 0x13};
  auto ad = parse_ad_strict(in);
  REQUIRE(ad);
  const auto* sd = ad->service_data(0xfcd2);
  REQUIRE(sd);
  CHECK(sd->data == bytes{0x40, 0x02, 0xc4, 0x09, 0x03, 0xbf, 0x13});
}

TEST_CASE("CSS PartA 1.1/1.11: 32- and 128-bit UUID lists and service data") {
  const bytes in{0x05, 0x05, 0x78, 0x56, 0x34, 0x12,
                 0x11, 0x06, 0x9e, 0xca, 0xdc, 0x24, 0x0e, 0xe5, 0xa9, 0xe0,
                 0x93, 0xf3, 0xa3, 0xb5, 0x01, 0x00, 0x40, 0x6e,
                 0x07, 0x20, 0x78, 0x56, 0x34, 0x12, 0xaa, 0xbb,
                 0x12, 0x21, 0x9e, 0xca, 0xdc, 0x24, 0x0e, 0xe5, 0xa9, 0xe0,
                 0x93, 0xf3, 0xa3, 0xb5, 0x01, 0x00, 0x40, 0x6e, 0x42};
  auto ad = parse_ad_strict(in);
  REQUIRE(ad);
  REQUIRE(ad->structures.size() == 4);
  const auto& l32 = as<ServiceUuids<std::uint32_t>>(ad->structures[0]);
  CHECK(l32.complete);
  CHECK(l32.uuids == std::vector<std::uint32_t>{0x12345678});
  const auto& l128 = as<ServiceUuids<Uuid128>>(ad->structures[1]);
  CHECK_FALSE(l128.complete);
  REQUIRE(l128.uuids.size() == 1);
  CHECK(l128.uuids[0][0] == 0x9e);
  CHECK(l128.uuids[0][15] == 0x6e);
  const auto& sd32 = as<ServiceData<std::uint32_t>>(ad->structures[2]);
  CHECK(sd32.uuid == 0x12345678);
  CHECK(sd32.data == bytes{0xaa, 0xbb});
  const auto& sd128 = as<ServiceData<Uuid128>>(ad->structures[3]);
  CHECK(sd128.uuid == l128.uuids[0]);
  CHECK(sd128.data == bytes{0x42});
}

TEST_CASE("CSS PartA 1.9/1.13/1.15/1.17/1.18: interval range, target address, interval, role, URI") {
  const bytes in{0x05, 0x12, 0x06, 0x00, 0x18, 0x00,
                 0x07, 0x17, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00,
                 0x03, 0x1a, 0xa0, 0x00,
                 0x02, 0x1c, 0x02,
                 0x0a, 0x24, 0x17, '/', '/', 'e', 'x', '.', 'c', 'o', 'm'};
  auto ad = parse_ad_strict(in);
  REQUIRE(ad);
  REQUIRE(ad->structures.size() == 5);
  const auto& c = as<ConnIntervalRange>(ad->structures[0]);
  CHECK(c.min == 0x0006);
  CHECK(c.max == 0x0018);
  const auto& p = as<PublicTargetAddress>(ad->structures[1]);
  REQUIRE(p.addresses.size() == 1);
  CHECK(p.addresses[0].to_string() == "00:11:22:33:44:55");
  CHECK(as<AdvInterval>(ad->structures[2]).units == 0x00a0);
  CHECK(as<LeRole>(ad->structures[3]).role == 0x02);
  CHECK(as<Uri>(ad->structures[4]).raw == "\x17//ex.com");
}

TEST_CASE("Unknown and undecoded AD types are kept raw") {
  const bytes in{0x04, 0x0d, 0x0c, 0x02, 0x5a,   // Class of Device (not decoded here)
                 0x03, 0x42, 0x01, 0x02};        // unassigned type 0x42
  auto ad = parse_ad_strict(in);
  REQUIRE(ad);
  REQUIRE(ad->structures.size() == 2);
  CHECK(ad->structures[0].type == 0x0d);
  CHECK(as<Raw>(ad->structures[0]).data == bytes{0x0c, 0x02, 0x5a});
  CHECK(ad->structures[1].type == 0x42);
  CHECK(as<Raw>(ad->structures[1]).data == bytes{0x01, 0x02});
}

TEST_CASE("Vol3 PartC 11: empty data and a zero Length end the significant part") {
  auto empty = parse_ad({});
  CHECK(empty.structures.empty());
  CHECK_FALSE(empty.issue);
  CHECK(empty.significant == 0);

  // Legacy AdvData is always 31 octets: the rest is zero padding.
  bytes padded{0x02, 0x01, 0x06};
  padded.resize(31, 0x00);
  auto ad = parse_ad_strict(padded);
  REQUIRE(ad);
  CHECK(ad->structures.size() == 1);
  CHECK(ad->significant == 3);

  // Whatever follows a zero Length is not significant and is ignored.
  const bytes after_zero{0x02, 0x01, 0x06, 0x00, 0x05, 0xff};
  auto z = parse_ad(after_zero);
  CHECK(z.structures.size() == 1);
  CHECK_FALSE(z.issue);
}

TEST_CASE("Vol3 PartC 11: a Length overrunning the data stops the parse, earlier structures kept") {
  const bytes in{0x02, 0x01, 0x06, 0x05, 0xff, 0x4c, 0x00};
  auto ad = parse_ad(in);
  REQUIRE(ad.structures.size() == 1);
  REQUIRE(ad.issue);
  CHECK(ad.issue->offset == 3);
  CHECK(ad.issue->type == 0xff);
  CHECK(ad.issue->error == codec_errc::truncated);
  CHECK(ad.significant == 3);
  auto strict = parse_ad_strict(in);
  REQUIRE_FALSE(strict);
  CHECK(strict.error() == codec_errc::truncated);

  // A Length octet with nothing after it: no type octet at all.
  auto lone = parse_ad(bytes{0x02, 0x01, 0x06, 0x01});
  REQUIRE(lone.issue);
  CHECK(lone.issue->offset == 3);
  CHECK(lone.issue->type == 0x00);
  CHECK(lone.issue->error == codec_errc::truncated);
}

TEST_CASE("A known type with a malformed size is kept raw and parsing continues") {
  const bytes in{0x04, 0x03, 0x0d, 0x18, 0x0f,   // 16-bit UUID list of 3 octets
                 0x02, 0xff, 0x4c,               // manufacturer data without a full company id
                 0x03, 0x0a, 0x01, 0x02,         // TX power of 2 octets
                 0x02, 0x0a, 0x00};              // a good TX power
  auto ad = parse_ad(in);
  REQUIRE(ad.structures.size() == 4);
  CHECK(as<Raw>(ad.structures[0]).data == bytes{0x0d, 0x18, 0x0f});
  CHECK(as<Raw>(ad.structures[1]).data == bytes{0x4c});
  CHECK(as<Raw>(ad.structures[2]).data == bytes{0x01, 0x02});
  CHECK(as<TxPower>(ad.structures[3]).dbm == 0);
  REQUIRE(ad.issue);  // the first problem only
  CHECK(ad.issue->offset == 0);
  CHECK(ad.issue->type == 0x03);
  CHECK(ad.issue->error == codec_errc::invalid_length);
  CHECK(ad.significant == in.size());
}

TEST_CASE("decode_value size rules per CSS PartA") {
  CHECK(decode_value(0x01, {}).has_value());                          // Flags may be empty
  CHECK(std::get<Flags>(*decode_value(0x01, bytes{0x05, 0xff})).bits == 0x05);  // extra octets
  CHECK(decode_value(0x19, bytes{0x40}).error() == codec_errc::invalid_length);
  CHECK(decode_value(0x12, bytes{0x06, 0x00, 0x18}).error() == codec_errc::invalid_length);
  CHECK(decode_value(0x17, {}).error() == codec_errc::invalid_length);
  CHECK(decode_value(0x17, bytes(7, 0)).error() == codec_errc::invalid_length);
  CHECK(decode_value(0x24, {}).error() == codec_errc::invalid_length);
  CHECK(decode_value(0x16, bytes{0x0f}).error() == codec_errc::invalid_length);
  CHECK(decode_value(0x21, bytes(15, 0)).error() == codec_errc::invalid_length);
  CHECK(decode_value(0x07, bytes(17, 0)).error() == codec_errc::invalid_length);
  CHECK(std::get<ServiceUuids<std::uint16_t>>(*decode_value(0x03, {})).uuids.empty());
  CHECK(std::get<ServiceData<std::uint16_t>>(*decode_value(0x16, bytes{0x0f, 0x18})).data.empty());
  // Names keep invalid UTF-8 octets as they are.
  CHECK(std::get<LocalName>(*decode_value(0x08, bytes{'a', 0xff, 'b'})).name == "a\xff" "b");
}
