// The one hex codec (protocol/hex.hpp): byte-exact encodings and every
// rule of parse_hex, including the error code and position of each error.
#include "protocol/hex.hpp"

#include <doctest/doctest.h>

#include "protocol/codec_error.hpp"

using namespace bcms;

TEST_CASE("hex_bytes: two lower-case digits per octet, no separator by default") {
  CHECK(hex_bytes(bytes{}) == "");
  CHECK(hex_bytes(bytes{0x00}) == "00");
  CHECK(hex_bytes(bytes{0x02, 0x15, 0xab, 0xff}) == "0215abff");
}

TEST_CASE("hex_bytes: upper case and a separator between octets only") {
  const bytes d{0x0a, 0xbc, 0xd0};
  CHECK(hex_bytes(d, {.upper = true}) == "0ABCD0");
  CHECK(hex_bytes(d, {.separator = ':'}) == "0a:bc:d0");
  CHECK(hex_bytes(d, {.upper = true, .separator = ' '}) == "0A BC D0");
  CHECK(hex_bytes(bytes{0x7f}, {.separator = ':'}) == "7f");  // one octet: no separator
  CHECK(hex_bytes(bytes{}, {.separator = ':'}) == "");
}

TEST_CASE("append_hex appends to what is there") {
  std::string s = "\\x";
  append_hex(s, bytes{0x1b});
  CHECK(s == "\\x1b");
}

TEST_CASE("hex_int: 0x and at least two digits per octet; wider values keep every digit") {
  CHECK(hex_int(0, 1) == "0x00");
  CHECK(hex_int(0x1a, 2) == "0x001a");
  CHECK(hex_int(0xdeadbeef, 4) == "0xdeadbeef");
  CHECK(hex_int(0xdeadbeef, 4, true) == "0xDEADBEEF");
  CHECK(hex_int(0x123, 1) == "0x123");  // like printf's %02x: a minimum width
  CHECK(hex_int(0xffffffffffffffffull, 8) == "0xffffffffffffffff");
  CHECK(hex_int(0x1, 10) == "0x00000000000000000001");
  CHECK(hex_int(0, 0) == "0x0");
  CHECK(hex8(0x0a) == "0x0a");
  CHECK(hex16(0x180d) == "0x180d");
  CHECK(hex32(0x0000fe2c) == "0x0000fe2c");
}

TEST_CASE("hex_digit: the 22 hex digits and nothing else") {
  CHECK(hex_digit('0') == 0);
  CHECK(hex_digit('9') == 9);
  CHECK(hex_digit('a') == 10);
  CHECK(hex_digit('F') == 15);
  for (char c : {'g', 'G', 'x', ' ', ':', '/', '@', '`', '\0'}) CHECK(hex_digit(c) == -1);
}

TEST_CASE("parse_hex: digits in either case, optional 0x prefix, empty text is zero octets") {
  CHECK(parse_hex("0201060aff").value() == bytes{0x02, 0x01, 0x06, 0x0a, 0xff});
  CHECK(parse_hex("ABcd").value() == bytes{0xab, 0xcd});
  CHECK(parse_hex("0x0102").value() == bytes{0x01, 0x02});
  CHECK(parse_hex("0X0102").value() == bytes{0x01, 0x02});
  CHECK(parse_hex("").value().empty());
  CHECK(parse_hex("00").value() == bytes{0x00});
}

TEST_CASE("parse_hex: one ':', ' ' or '-' between two octets") {
  const bytes want{0x02, 0x01, 0x06};
  CHECK(parse_hex("02:01:06").value() == want);
  CHECK(parse_hex("02 01 06").value() == want);
  CHECK(parse_hex("02-01-06").value() == want);
  CHECK(parse_hex("02:01 06").value() == want);  // mixed
  CHECK(parse_hex("0201:06").value() == want);    // not required everywhere
  CHECK(parse_hex("0x02:01:06").value() == want);
}

TEST_CASE("parse_hex errors: invalid_value at the offending character") {
  struct Case {
    const char* text;
    std::size_t at;
  };
  const Case cases[] = {
      {"0g", 1},        // not a digit
      {"zz", 0},        //
      {":0102", 0},     // separator before the first octet
      {"01:", 2},       // after the last
      {"01::02", 3},    // two separators
      {"0:102", 1},     // inside an octet
      {"01,02", 2},     // not a separator
      {"0x", 2},        // prefix without digits
      {"0x:01", 2},     // separator right after the prefix
      {"0x0x01", 3},    // one prefix only
      {" 01", 0},       // no leading blank
      {"01 ", 2},       // no trailing blank
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    std::size_t at = 999;
    auto r = parse_hex(c.text, &at);
    REQUIRE_FALSE(r);
    CHECK(r.error() == codec_errc::invalid_value);
    CHECK(at == c.at);
  }
}

TEST_CASE("parse_hex errors: an odd digit count is invalid_length at the end of the text") {
  for (const char* text : {"1", "123", "01:2", "0x1"}) {
    CAPTURE(text);
    std::size_t at = 999;
    auto r = parse_hex(text, &at);
    REQUIRE_FALSE(r);
    CHECK(r.error() == codec_errc::invalid_length);
    CHECK(at == std::string_view(text).size());
  }
  CHECK_FALSE(parse_hex("1"));  // without a position argument too
}

TEST_CASE("hex_bytes and parse_hex round-trip every octet value, in both styles") {
  bytes all(256);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
  CHECK(parse_hex(hex_bytes(all)).value() == all);
  CHECK(parse_hex(hex_bytes(all, {.upper = true, .separator = ':'})).value() == all);
}
