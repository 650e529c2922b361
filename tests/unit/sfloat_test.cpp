// IEEE 11073-20601 SFLOAT-Type (GSS 2.3 medfloat16): vectors written out
// by hand from the bit layout (exponent in bits 15..12, mantissa in bits
// 11..0, both two's complement), not produced by the code under test.
#include "protocol/gatt/sfloat.hpp"

#include <doctest/doctest.h>

#include <cmath>

#include "protocol/codec_error.hpp"

using namespace bcms;
using namespace bcms::gatt;

namespace {
std::uint16_t raw(expected<Sfloat> s) {
  REQUIRE(s.has_value());
  return s->raw();
}
}  // namespace

TEST_CASE("SFLOAT make: mantissa and exponent packed into 4 + 12 bits") {
  CHECK(raw(Sfloat::make(120, 0)) == 0x0078);   // 120 mmHg
  CHECK(raw(Sfloat::make(366, -1)) == 0xF16E);  // 36.6: exponent -1 = 0xF, 366 = 0x16E
  CHECK(raw(Sfloat::make(-1, 0)) == 0x0FFF);
  CHECK(raw(Sfloat::make(-5, -2)) == 0xEFFB);
  CHECK(raw(Sfloat::make(2045, 7)) == 0x77FD);   // largest finite
  CHECK(raw(Sfloat::make(-2045, -8)) == 0x8803);  // -2045 = 0x803 in 12 bits, -8 = 0x8
  CHECK(raw(Sfloat::make(0, 0)) == 0x0000);
}

TEST_CASE("SFLOAT make: out-of-range mantissas and exponents are refused") {
  CHECK(Sfloat::make(2046, 0).error() == codec_errc::invalid_value);   // would be +INFINITY
  CHECK(Sfloat::make(2047, 0).error() == codec_errc::invalid_value);   // would be NaN
  CHECK(Sfloat::make(-2046, 0).error() == codec_errc::invalid_value);  // would be -INFINITY
  CHECK(Sfloat::make(-2048, 0).error() == codec_errc::invalid_value);  // would be NRes
  CHECK(Sfloat::make(1, 8).error() == codec_errc::invalid_value);
  CHECK(Sfloat::make(1, -9).error() == codec_errc::invalid_value);
}

TEST_CASE("SFLOAT from: rounds to the requested exponent") {
  CHECK(raw(Sfloat::from(36.64, -1)) == 0xF16E);  // 366 x 10^-1
  CHECK(raw(Sfloat::from(120.4, 0)) == 0x0078);
  CHECK(raw(Sfloat::from(93.0, 0)) == 0x005D);
  CHECK(raw(Sfloat::from(16.0, -1)) == 0xF0A0);  // 160 x 10^-1
  CHECK(Sfloat::from(204.6, -1).error() == codec_errc::invalid_value);  // 2046 does not fit
  CHECK(Sfloat::from(NAN, 0).error() == codec_errc::invalid_value);
}

TEST_CASE("SFLOAT nearest: the most precise encoding, without trailing zeros") {
  CHECK(raw(Sfloat::nearest(120)) == 0x0078);
  CHECK(raw(Sfloat::nearest(36.6)) == 0xF16E);
  CHECK(raw(Sfloat::nearest(-98.6)) == 0xFC26);  // -986 = 0xC26 in 12 bits
  CHECK(raw(Sfloat::nearest(0.001)) == 0xD001);  // 1 x 10^-3
  CHECK(raw(Sfloat::nearest(0)) == 0x0000);
  CHECK(raw(Sfloat::nearest(2.045e10)) == 0x77FD);
  CHECK(Sfloat::nearest(2.046e10).error() == codec_errc::invalid_value);
  CHECK(Sfloat::nearest(INFINITY).error() == codec_errc::invalid_value);
}

TEST_CASE("SFLOAT decode: sign extension of mantissa and exponent") {
  auto a = Sfloat::from_raw(0xF16E);
  CHECK(a.mantissa() == 366);
  CHECK(a.exponent() == -1);
  CHECK(a.to_double() == doctest::Approx(36.6));
  CHECK_FALSE(a.special().has_value());
  auto b = Sfloat::from_raw(0x8803);
  CHECK(b.mantissa() == -2045);
  CHECK(b.exponent() == -8);
  auto c = Sfloat::from_raw(0x0FFF);
  CHECK(c.mantissa() == -1);
  CHECK(c.to_double() == -1.0);
  CHECK(Sfloat::from_raw(0x3001).to_double() == 1000.0);  // 1 x 10^3
}

TEST_CASE("SFLOAT reserved values (IEEE 11073-20601): NaN, NRes, +INF, -INF, reserved") {
  CHECK(Sfloat::from_raw(0x07FF).special() == SfloatSpecial::nan);
  CHECK(Sfloat::from_raw(0x0800).special() == SfloatSpecial::nres);
  CHECK(Sfloat::from_raw(0x07FE).special() == SfloatSpecial::positive_infinity);
  CHECK(Sfloat::from_raw(0x0802).special() == SfloatSpecial::negative_infinity);
  CHECK(Sfloat::from_raw(0x0801).special() == SfloatSpecial::reserved);
  CHECK(std::isnan(Sfloat::from_raw(0x07FF).to_double()));
  CHECK(std::isnan(Sfloat::from_raw(0x0800).to_double()));
  CHECK(Sfloat::from_raw(0x07FE).to_double() == INFINITY);
  CHECK(Sfloat::from_raw(0x0802).to_double() == -INFINITY);
  CHECK(Sfloat::special(SfloatSpecial::nan).raw() == 0x07FF);
}

TEST_CASE("SFLOAT on the wire: little-endian, bounds-checked read") {
  bytes out;
  ByteWriter w(out);
  put(w, Sfloat::from_raw(0xF16E));
  CHECK(out == bytes{0x6E, 0xF1});
  const bytes in{0x78, 0x00, 0x50};
  ByteReader r(in);
  Sfloat v;
  CHECK(get(r, v));
  CHECK(v.raw() == 0x0078);
  CHECK_FALSE(get(r, v));  // one octet left
  CHECK_FALSE(r.ok());
}
