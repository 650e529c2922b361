#include "protocol/att/uuid.hpp"

#include "protocol/codec_error.hpp"

namespace bcms::att {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parse_hex(std::string_view s, std::uint32_t& out) noexcept {
  if (s.empty() || s.size() > 8) return false;
  std::uint32_t v = 0;
  for (char c : s) {
    int d = hex_value(c);
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
      int hi = hex_value(text[i]);
      int lo = hex_value(text[i + 1]);
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
  if (digits.size() == 4 && parse_hex(digits, v)) return Uuid(static_cast<std::uint16_t>(v));
  if (digits.size() == 8 && parse_hex(digits, v)) return from32(v);
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
  static constexpr char up[] = "0123456789ABCDEF";
  if (is32()) {
    std::uint32_t v = as32();
    int nibbles = is16() ? 4 : 8;
    std::string s = "0x";
    for (int i = nibbles - 1; i >= 0; --i) s.push_back(up[(v >> (4 * i)) & 0xF]);
    return s;
  }
  return to_string128();
}

std::string Uuid::to_string128() const {
  static constexpr char lo[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (int i = 15; i >= 0; --i) {
    s.push_back(lo[le_[static_cast<std::size_t>(i)] >> 4]);
    s.push_back(lo[le_[static_cast<std::size_t>(i)] & 0xF]);
    if (i == 12 || i == 10 || i == 8 || i == 6) s.push_back('-');
  }
  return s;
}

}  // namespace bcms::att
