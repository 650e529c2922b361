// UTF-8 validation (RFC 3629 section 4), printable rendering, and the JSON
// string escaping (RFC 8259 section 7) the advertising data formatters get
// from nlohmann::json as configured there (invalid UTF-8 replaced).
#include "protocol/ad/text.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

using namespace bcms;
using namespace bcms::ad;

namespace {

std::string json(std::string_view s) {
  return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

TEST_CASE("RFC 3629 4: well-formed and ill-formed UTF-8 sequences") {
  char32_t cp = 0;
  CHECK(utf8_sequence("A", 0, cp) == 1);
  CHECK(cp == U'A');
  CHECK(utf8_sequence("\xc3\xa9", 0, cp) == 2);
  CHECK(cp == 0xe9);
  CHECK(utf8_sequence("\xe2\x82\xac", 0, cp) == 3);
  CHECK(cp == 0x20ac);
  CHECK(utf8_sequence("\xf0\x9f\x98\x80", 0, cp) == 4);
  CHECK(cp == 0x1f600);
  CHECK(utf8_sequence("\xc0\xaf", 0, cp) == 0);          // overlong '/'
  CHECK(utf8_sequence("\xe0\x80\xaf", 0, cp) == 0);      // overlong
  CHECK(utf8_sequence("\xed\xa0\x80", 0, cp) == 0);      // surrogate U+D800
  CHECK(utf8_sequence("\xf4\x90\x80\x80", 0, cp) == 0);  // > U+10FFFF
  CHECK(utf8_sequence("\x80", 0, cp) == 0);              // lone continuation
  CHECK(utf8_sequence("\xff", 0, cp) == 0);
  CHECK(utf8_sequence("\xe2\x82", 0, cp) == 0);          // truncated
  CHECK(utf8_sequence("\xc3" "A", 0, cp) == 0);          // bad continuation
  CHECK(utf8_sequence("", 0, cp) == 0);
  CHECK(valid_utf8("h\xc3\xa9llo"));
  CHECK_FALSE(valid_utf8("h\xc3llo"));
}

TEST_CASE("printable keeps text, shows control and invalid octets as \\xNN") {
  CHECK(printable("plain") == "plain");
  CHECK(printable("\xc3\xa9t\xc3\xa9") == "\xc3\xa9t\xc3\xa9");
  CHECK(printable(std::string_view("a\0b", 3)) == "a\\x00b");
  CHECK(printable("\x1b[31m") == "\\x1b[31m");           // no terminal escapes
  CHECK(printable("\xc2\x9b") == "\\xc2\\x9b");           // C1 control CSI
  CHECK(printable("\xe2\x82") == "\\xe2\\x82");
  CHECK(printable("a\\b") == "a\\\\b");
}

TEST_CASE("RFC 8259 7: JSON string escaping") {
  CHECK(json("") == "\"\"");
  CHECK(json("abc") == "\"abc\"");
  CHECK(json("a\"b") == "\"a\\\"b\"");
  CHECK(json("a\\b") == "\"a\\\\b\"");
  CHECK(json("\b\f\n\r\t") == "\"\\b\\f\\n\\r\\t\"");
  CHECK(json(std::string_view("\0\x01\x1f", 3)) == "\"\\u0000\\u0001\\u001f\"");
  CHECK(json("/\x7f") == "\"/\x7f\"");                          // neither needs escaping
  CHECK(json("\xe2\x82\xac") == "\"\xe2\x82\xac\"");              // UTF-8 passes through
  CHECK(json("a\xff" "b") == "\"a\xef\xbf\xbd" "b\"");             // invalid -> U+FFFD
  CHECK(json("\xf0\x9f\x98") == "\"\xef\xbf\xbd\"");  // one replacement per ill-formed sequence
}
