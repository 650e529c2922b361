#include "protocol/sensor/beacon.hpp"

#include <array>
#include <cstdio>
#include <string_view>

#include "protocol/codec_error.hpp"

namespace bcms::sensor {
namespace {

constexpr std::uint8_t ibeacon_type = 0x02;
constexpr std::uint8_t ibeacon_length = 0x15;

constexpr std::uint8_t frame_uid = 0x00;
constexpr std::uint8_t frame_url = 0x10;
constexpr std::uint8_t frame_tlm = 0x20;
constexpr std::size_t uid_size = 20;       // with the 2 RFU octets
constexpr std::size_t uid_size_short = 18;  // without
constexpr std::size_t tlm_size = 14;
constexpr std::size_t url_max = 17;

constexpr std::array<std::string_view, 4> kSchemes{"http://www.", "https://www.", "http://", "https://"};
constexpr std::array<std::string_view, 14> kExpansions{".com/", ".org/", ".edu/", ".net/", ".info/", ".biz/", ".gov/",
                                                       ".com",  ".org",  ".edu",  ".net",  ".info",  ".biz",  ".gov"};

std::uint16_t be16(byte_span b, std::size_t at) noexcept {
  return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}
std::uint32_t be32(byte_span b, std::size_t at) noexcept {
  return static_cast<std::uint32_t>(be16(b, at)) << 16 | be16(b, at + 2);
}

expected<Eddystone> uid(byte_span d) {
  if (d.size() < uid_size_short) return fail(codec_errc::truncated);
  if (d.size() != uid_size_short && d.size() != uid_size) return fail(codec_errc::trailing_bytes);
  EddystoneUid u;
  u.tx_power = static_cast<std::int8_t>(d[1]);
  for (std::size_t i = 0; i < u.name_space.size(); ++i) u.name_space[i] = d[2 + i];
  for (std::size_t i = 0; i < u.instance.size(); ++i) u.instance[i] = d[12 + i];
  return u;
}

expected<Eddystone> url(byte_span d) {
  if (d.size() < 4) return fail(codec_errc::truncated);  // frame, power, scheme, >= 1 octet
  if (d.size() > 3 + url_max) return fail(codec_errc::trailing_bytes);
  if (d[2] >= kSchemes.size()) return fail(codec_errc::invalid_value);
  EddystoneUrl u{static_cast<std::int8_t>(d[1]), std::string(kSchemes[d[2]])};
  for (std::size_t i = 3; i < d.size(); ++i) {
    const std::uint8_t c = d[i];
    if (c < kExpansions.size()) u.url += kExpansions[c];
    else if (c > 0x20 && c < 0x7F) u.url += static_cast<char>(c);
    else return fail(codec_errc::invalid_value);
  }
  return u;
}

expected<Eddystone> tlm(byte_span d) {
  if (d.size() < 2) return fail(codec_errc::truncated);
  if (d[1] != 0x00) return fail(codec_errc::invalid_value);  // only unencrypted TLM
  if (d.size() < tlm_size) return fail(codec_errc::truncated);
  if (d.size() > tlm_size) return fail(codec_errc::trailing_bytes);
  EddystoneTlm t;
  t.battery_mv = be16(d, 2);
  const std::uint16_t temp = be16(d, 4);
  if (temp != 0x8000) t.temperature_c = static_cast<std::int16_t>(temp) / 256.0;
  t.adv_count = be32(d, 6);
  t.uptime_deciseconds = be32(d, 10);
  return t;
}

}  // namespace

std::string IBeacon::uuid_string() const {
  std::string s;
  char buf[3];
  for (std::size_t i = 0; i < uuid.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    std::snprintf(buf, sizeof buf, "%02x", uuid[i]);
    s += buf;
  }
  return s;
}

expected<IBeacon> decode_ibeacon(std::uint16_t company, byte_span d) {
  if (company != apple_company_id) return fail(codec_errc::unknown_opcode);
  if (d.size() < 2) return fail(codec_errc::truncated);
  if (d[0] != ibeacon_type) return fail(codec_errc::unknown_opcode);
  if (d[1] != ibeacon_length) return fail(codec_errc::invalid_length);
  if (d.size() < 2u + ibeacon_length) return fail(codec_errc::truncated);
  if (d.size() > 2u + ibeacon_length) return fail(codec_errc::trailing_bytes);
  IBeacon b;
  for (std::size_t i = 0; i < b.uuid.size(); ++i) b.uuid[i] = d[2 + i];
  b.major = be16(d, 18);
  b.minor = be16(d, 20);
  b.measured_power = static_cast<std::int8_t>(d[22]);
  return b;
}

expected<Eddystone> decode_eddystone(byte_span d) {
  if (d.empty()) return fail(codec_errc::truncated);
  switch (d[0]) {
    case frame_uid: return uid(d);
    case frame_url: return url(d);
    case frame_tlm: return tlm(d);
    default: return fail(codec_errc::unknown_opcode);
  }
}

Readings readings(const EddystoneTlm& t) {
  Readings out;
  if (t.battery_mv != 0) out.push_back({"battery_voltage", "level", t.battery_mv / 1000.0, "V"});
  if (t.temperature_c) out.push_back({"temperature", "level", *t.temperature_c, "°C"});
  out.push_back({"uptime", "level", t.uptime_deciseconds / 10.0, "s"});
  return out;
}

}  // namespace bcms::sensor
