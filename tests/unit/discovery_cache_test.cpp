// The discovery cache blob (src/att/discovery_cache.cpp): byte-exact
// layout, round trips, and every way a stored blob can be wrong (a cache
// miss, never a crash or a half-decoded database).
#include "src/att/discovery_cache.hpp"

#include <doctest/doctest.h>

#include "protocol/codec_error.hpp"

using namespace bcms;
using namespace bcms::att;

namespace {

const Uuid k128 = Uuid::from128_le({0x9E, 0xCA, 0xDC, 0x24, 0x0E, 0xE5, 0xA9, 0xE0, 0x93, 0xF3, 0xA3, 0xB5, 0x01,
                                    0x00, 0x40, 0x6E});

RemoteDatabase sample(bool with_hash) {
  RemoteDatabase db;
  if (with_hash) {
    DbHash h{};
    for (std::size_t i = 0; i < h.size(); ++i) h[i] = static_cast<std::uint8_t>(0xA0 + i);
    db.hash = h;
  }
  db.services = {{0x0001, 0x0007, Uuid(0x1801)}, {0x0010, 0x0015, k128}};
  db.characteristics = {{0x0002, 0x0003, 0x20, Uuid(0x2A05)},
                        {0x0005, 0x0006, 0x0A, Uuid(0x2B29)},
                        {0x0011, 0x0012, 0x10, k128},
                        {0x0014, 0x0015, 0x02, Uuid(0x2A19)}};
  db.descriptors = {{0x0004, Uuid(0x2902)}, {0x0007, Uuid(0x2901)}, {0x0013, Uuid(0x2902)}};
  return db;
}

bool same(const RemoteDatabase& a, const RemoteDatabase& b) { return encode(a) == encode(b); }

}  // namespace

TEST_CASE("Blob version 1: the layout octet by octet") {
  RemoteDatabase db;
  db.services = {{0x0001, 0x0005, Uuid(0x180F)}};
  db.characteristics = {{0x0002, 0x0003, 0x12, Uuid(0x2A19)}};
  db.descriptors = {{0x0004, Uuid(0x2902)}};
  CHECK(encode(db) == bytes{0x01, 0x00,                                      // version, no hash
                            0x01, 0x00, 0x01, 0x00, 0x05, 0x00, 0x02, 0x0F, 0x18,  // one service
                            0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x12, 0x02, 0x19, 0x2A,  // one characteristic
                            0x01, 0x00, 0x04, 0x00, 0x02, 0x02, 0x29});       // one descriptor
  db.hash = DbHash{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  const bytes b = encode(db);
  CHECK(b[1] == 0x01);
  CHECK(bytes(b.begin() + 2, b.begin() + 18) == bytes{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
}

TEST_CASE("Round trip with and without a hash, 16- and 128-bit UUIDs") {
  for (bool h : {true, false}) {
    const RemoteDatabase db = sample(h);
    auto back = decode_remote_database(encode(db));
    REQUIRE(back);
    CHECK(same(*back, db));
    CHECK(back->hash == db.hash);
    REQUIRE(back->services.size() == 2);
    CHECK(back->services[1].uuid == k128);
    CHECK(back->characteristics[2].properties == 0x10);
    CHECK(back->descriptors[2].handle == 0x0013);
  }
  auto empty = decode_remote_database(encode(RemoteDatabase{}));
  REQUIRE(empty);
  CHECK(empty->services.empty());
}

TEST_CASE("find() and cccd(): the CCCD within the characteristic's own range") {
  const RemoteDatabase db = sample(false);
  REQUIRE(db.find(Uuid(0x2A05)));
  CHECK(db.find(Uuid(0x2A05))->value_handle == 0x0003);
  CHECK(db.find(Uuid(0x2A37)) == nullptr);
  CHECK(db.cccd(0x0003) == std::optional<std::uint16_t>(0x0004));
  CHECK(db.cccd(0x0006) == std::nullopt);  // 0x0007 is a User Description
  CHECK(db.cccd(0x0012) == std::optional<std::uint16_t>(0x0013));
  CHECK(db.cccd(0x0015) == std::nullopt);  // last of its service, no descriptor
  REQUIRE(db.service_of(0x0013));
  CHECK(db.service_of(0x0013)->start == 0x0010);
  CHECK(db.service_of(0x0009) == nullptr);
}

TEST_CASE("Every truncation and any trailing octet is refused") {
  const bytes good = encode(sample(true));
  for (std::size_t n = 0; n < good.size(); ++n) {
    auto r = decode_remote_database(byte_span(good.data(), n));
    CHECK_FALSE(r);
  }
  bytes longer = good;
  longer.push_back(0x00);
  auto r = decode_remote_database(longer);
  REQUIRE_FALSE(r);
  CHECK(r.error() == codec_errc::trailing_bytes);
}

TEST_CASE("Blobs we did not write: version, flags, UUID size, handle order, counts") {
  const bytes good = encode(sample(false));
  auto with = [&](std::size_t at, std::uint8_t v) {
    bytes b = good;
    b.at(at) = v;
    return decode_remote_database(b);
  };
  CHECK(with(0, 0x02).error() == codec_errc::invalid_value);  // a later version
  CHECK(with(0, 0x00).error() == codec_errc::invalid_value);
  CHECK(with(1, 0x02).error() == codec_errc::invalid_value);  // unknown flag
  CHECK_FALSE(with(8, 0x04));                                  // UUID size 4: not ours
  CHECK(with(4, 0x00).error() == codec_errc::invalid_value);   // service start 0
  CHECK(with(6, 0x00).error() == codec_errc::invalid_value);   // end before start
  // A count beyond what the rest could hold: refused before reading on.
  CHECK(with(2, 0xFF).error() == codec_errc::invalid_length);
  bytes huge{0x01, 0x00, 0xFF, 0xFF};
  CHECK(decode_remote_database(huge).error() == codec_errc::invalid_length);

  // Characteristics out of order, a value handle not after its declaration.
  RemoteDatabase db = sample(false);
  std::swap(db.characteristics[0], db.characteristics[1]);
  CHECK(decode_remote_database(encode(db)).error() == codec_errc::invalid_value);
  db = sample(false);
  db.characteristics[0].value_handle = db.characteristics[0].declaration;
  CHECK(decode_remote_database(encode(db)).error() == codec_errc::invalid_value);
  db = sample(false);
  db.descriptors[1].handle = db.descriptors[0].handle;
  CHECK(decode_remote_database(encode(db)).error() == codec_errc::invalid_value);
}
