#include "protocol/bytes.hpp"

#include <doctest/doctest.h>

#include "protocol/codec_error.hpp"

using namespace bcms;

TEST_CASE("ByteReader reads little-endian and never past the end") {
  const bytes in{0x01, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12, 0xff};
  ByteReader r(in);
  std::uint8_t a = 0;
  std::uint16_t b = 0;
  std::uint32_t c = 0;
  CHECK(r.u8(a));
  CHECK(r.u16(b));
  CHECK(r.u32(c));
  CHECK(a == 0x01);
  CHECK(b == 0x1234);
  CHECK(c == 0x12345678);
  CHECK(r.remaining() == 1);
  std::uint16_t d = 0xabcd;
  CHECK_FALSE(r.u16(d));   // only one byte left
  CHECK(d == 0xabcd);      // untouched
  CHECK_FALSE(r.ok());
  std::uint8_t e = 0;
  CHECK_FALSE(r.u8(e));    // a failed reader stays failed
}

TEST_CASE("ByteWriter writes little-endian, padded strings stay NUL-terminated") {
  bytes out;
  ByteWriter w(out);
  w.u16(0x0102);
  w.u32(0x03040506);
  w.padded_string("abc", 5);
  w.padded_string("toolong", 4);
  CHECK(out == bytes{0x02, 0x01, 0x06, 0x05, 0x04, 0x03, 'a', 'b', 'c', 0, 0, 't', 'o', 'o', 0});
  CHECK(nul_padded(byte_span(out).subspan(6, 5)) == "abc");
}

TEST_CASE("codec error category names its errors") {
  std::error_code ec = codec_errc::truncated;
  CHECK(ec.category().name() == std::string("bcms.codec"));
  CHECK(ec.message() == "truncated input");
}
