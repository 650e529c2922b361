#include "protocol/ad/text.hpp"

#include <cstdint>

#include "protocol/hex.hpp"

namespace bcms::ad {

std::size_t utf8_sequence(std::string_view s, std::size_t pos, char32_t& cp) noexcept {
  if (pos >= s.size()) return 0;
  const auto at = [&](std::size_t i) { return static_cast<std::uint8_t>(s[pos + i]); };
  const std::uint8_t b0 = at(0);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  std::size_t n = 0;
  char32_t v = 0;
  char32_t min = 0;
  if ((b0 & 0xe0) == 0xc0) {
    n = 2, v = b0 & 0x1f, min = 0x80;
  } else if ((b0 & 0xf0) == 0xe0) {
    n = 3, v = b0 & 0x0f, min = 0x800;
  } else if ((b0 & 0xf8) == 0xf0) {
    n = 4, v = b0 & 0x07, min = 0x10000;
  } else {
    return 0;  // continuation octet or 0xf8..0xff
  }
  if (s.size() - pos < n) return 0;
  for (std::size_t i = 1; i < n; ++i) {
    if ((at(i) & 0xc0) != 0x80) return 0;
    v = (v << 6) | (at(i) & 0x3f);
  }
  if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
  cp = v;
  return n;
}

bool valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const std::size_t n = utf8_sequence(s, i, cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const std::size_t n = utf8_sequence(s, i, cp);
    const bool control = n != 0 && (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0));
    if (n == 0 || control) {
      // Show each octet of an invalid or control sequence.
      const std::size_t k = n == 0 ? 1 : n;
      for (std::size_t j = 0; j < k; ++j) {
        out += "\\x";
        const auto b = static_cast<std::uint8_t>(s[i + j]);
        append_hex(out, {&b, 1});
      }
      i += k;
      continue;
    }
    if (cp == '\\') out += '\\';
    out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

}  // namespace bcms::ad
