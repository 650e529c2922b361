#include "protocol/att/uuid.hpp"

#include "protocol/codec_error.hpp"
#include "protocol/hex.hpp"

namespace bcms::att {
namespace {

bool parse_u32_hex(std::string_view s, std::uint32_t& out) noexcept {
  if (s.empty() || s.size() > 8) return false;
  std::uint32_t v = 0;
  for (char c : s) {
    int d = hex_digit(c);
    if (d < 0) return false;
    v = (v << 4) | static_cast<std::uint32_t>(d);
  }
  out = v;
  return true;
}

}  // namespace

expected<Uuid> Uuid::from_wire(byte_span b) {
  switch (b.size()) {
    case 2: return Uuid(static_cast<std::uint16_t>(b[0] | (b[1] << 8)));
    case 4:
      return from32(static_cast<std::uint32_t>(b[0]) | (static_cast<std::uint32_t>(b[1]) << 8) |
                    (static_cast<std::uint32_t>(b[2]) << 16) | (static_cast<std::uint32_t>(b[3]) << 24));
    case 16: {
      std::array<std::uint8_t, 16> le{};
      for (std::size_t i = 0; i < 16; ++i) le[i] = b[i];
      return from128_le(le);
    }
    default: return fail(codec_errc::invalid_length);
  }
}

expected<Uuid> Uuid::parse(std::string_view text) {
  if (text.size() == 36) {
    // 8-4-4-4-12, big-endian as written.
    std::array<std::uint8_t, 16> be{};
    std::size_t n = 0;
    for (std::size_t i = 0; i < 36;) {
      if (i == 8 || i == 13 || i == 18 || i == 23) {
        if (text[i] != '-') return fail(codec_errc::invalid_value);
        ++i;
        continue;
      }
      int hi = hex_digit(text[i]);
      int lo = hex_digit(text[i + 1]);
      if (hi < 0 || lo < 0) return fail(codec_errc::invalid_value);
      be[n++] = static_cast<std::uint8_t>((hi << 4) | lo);
      i += 2;
    }
    std::array<std::uint8_t, 16> le{};
    for (std::size_t i = 0; i < 16; ++i) le[i] = be[15 - i];
    return from128_le(le);
  }
  std::string_view digits = text;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) digits.remove_prefix(2);
  std::uint32_t v = 0;
  if (digits.size() == 4 && parse_u32_hex(digits, v)) return Uuid(static_cast<std::uint16_t>(v));
  if (digits.size() == 8 && parse_u32_hex(digits, v)) return from32(v);
  return fail(codec_errc::invalid_value);
}

void Uuid::encode(ByteWriter& w) const {
  if (is16()) {
    w.u16(as16());
  } else {
    w.array(le_);
  }
}

bytes Uuid::att_bytes() const {
  bytes out;
  ByteWriter w(out);
  encode(w);
  return out;
}

std::string Uuid::to_string() const {
  if (is32()) return hex_int(as32(), is16() ? 2 : 4, /*upper=*/true);
  return to_string128();
}

std::string Uuid::to_string128() const {
  // 8-4-4-4-12 digits, most significant octet first
  std::array<std::uint8_t, 16> be{};
  for (std::size_t i = 0; i < 16; ++i) be[i] = le_[15 - i];
  const byte_span b(be);
  std::string s;
  s.reserve(36);
  append_hex(s, b.subspan(0, 4));
  for (std::size_t at : {4, 6, 8, 10}) {
    s.push_back('-');
    append_hex(s, b.subspan(at, at == 10 ? 6 : 2));
  }
  return s;
}

}  // namespace bcms::att
