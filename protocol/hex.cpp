#include "protocol/hex.hpp"

#include "protocol/codec_error.hpp"

namespace bcms {
namespace {

constexpr char kLower[] = "0123456789abcdef";
constexpr char kUpper[] = "0123456789ABCDEF";

constexpr bool is_separator(char c) noexcept { return c == ':' || c == ' ' || c == '-'; }

}  // namespace

void append_hex(std::string& out, byte_span data, HexStyle style) {
  const char* d = style.upper ? kUpper : kLower;
  out.reserve(out.size() + data.size() * (style.separator ? 3 : 2));
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (i && style.separator) out.push_back(style.separator);
    out.push_back(d[data[i] >> 4]);
    out.push_back(d[data[i] & 0x0f]);
  }
}

std::string hex_bytes(byte_span data, HexStyle style) {
  std::string out;
  append_hex(out, data, style);
  return out;
}

std::string hex_int(std::uint64_t value, std::size_t octets, bool upper) {
  const char* d = upper ? kUpper : kLower;
  std::size_t digits = 1;  // digits the value needs
  while (digits < 16 && (value >> (4 * digits)) != 0) ++digits;
  if (digits < octets * 2) digits = octets * 2;
  std::string out = "0x";
  for (std::size_t i = digits; i-- > 0;) out.push_back(i >= 16 ? '0' : d[(value >> (4 * i)) & 0x0f]);
  return out;
}

expected<bytes> parse_hex(std::string_view text, std::size_t* error_at) {
  const auto error = [&](codec_errc e, std::size_t at) {
    if (error_at) *error_at = at;
    return fail(e);
  };
  std::size_t i = 0;
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    i = 2;
    if (text.size() == 2) return error(codec_errc::invalid_value, 2);
  }
  bytes out;
  out.reserve((text.size() - i + 1) / 2);
  while (i < text.size()) {
    if (!out.empty() && is_separator(text[i])) {
      // one separator, followed by the next octet
      if (++i == text.size()) return error(codec_errc::invalid_value, i - 1);
    }
    const int hi = hex_digit(text[i]);
    if (hi < 0) return error(codec_errc::invalid_value, i);
    if (i + 1 == text.size()) return error(codec_errc::invalid_length, text.size());
    const int lo = hex_digit(text[i + 1]);
    if (lo < 0) return error(codec_errc::invalid_value, i + 1);
    out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
    i += 2;
  }
  return out;
}

}  // namespace bcms
