#include "protocol/gatt/environment.hpp"

#include <cmath>

#include "protocol/codec_error.hpp"

namespace bcms::gatt {
namespace {

bytes le16(std::uint16_t v) { return {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8)}; }

expected<std::uint16_t> read16(byte_span in) {
  if (in.size() < 2) return fail(codec_errc::truncated);
  if (in.size() > 2) return fail(codec_errc::trailing_bytes);
  return static_cast<std::uint16_t>(in[0] | in[1] << 8);
}

}  // namespace

expected<bytes> encode_temperature(double celsius) {
  if (!std::isfinite(celsius)) return fail(codec_errc::invalid_value);
  const double hundredths = std::round(celsius * 100.0);
  if (hundredths < -27315.0 || hundredths > 32767.0) return fail(codec_errc::invalid_value);
  return le16(static_cast<std::uint16_t>(static_cast<std::int16_t>(hundredths)));
}

expected<std::optional<double>> decode_temperature(byte_span in) {
  auto raw = read16(in);
  if (!raw) return unexpected(raw.error());
  if (*raw == temperature_unknown) return std::optional<double>{};
  return std::optional<double>(static_cast<std::int16_t>(*raw) / 100.0);
}

expected<bytes> encode_humidity(double percent) {
  if (!std::isfinite(percent)) return fail(codec_errc::invalid_value);
  const double hundredths = std::round(percent * 100.0);
  if (hundredths < 0.0 || hundredths > 10000.0) return fail(codec_errc::invalid_value);
  return le16(static_cast<std::uint16_t>(hundredths));
}

expected<std::optional<double>> decode_humidity(byte_span in) {
  auto raw = read16(in);
  if (!raw) return unexpected(raw.error());
  if (*raw == humidity_unknown) return std::optional<double>{};
  if (*raw > 10000) return fail(codec_errc::invalid_value);
  return std::optional<double>(*raw / 100.0);
}

expected<bytes> encode_pressure(double pascals) {
  if (!std::isfinite(pascals)) return fail(codec_errc::invalid_value);
  const double tenths = std::round(pascals * 10.0);
  if (tenths < 0.0 || tenths > 4294967295.0) return fail(codec_errc::invalid_value);
  bytes out;
  ByteWriter(out).u32(static_cast<std::uint32_t>(tenths));
  return out;
}

expected<double> decode_pressure(byte_span in) {
  if (in.size() < 4) return fail(codec_errc::truncated);
  if (in.size() > 4) return fail(codec_errc::trailing_bytes);
  std::uint32_t raw = 0;
  ByteReader(in).u32(raw);
  return raw / 10.0;
}

expected<bytes> encode_battery_level(unsigned percent) {
  if (percent > 100) return fail(codec_errc::invalid_value);
  return bytes{static_cast<std::uint8_t>(percent)};
}

expected<std::uint8_t> decode_battery_level(byte_span in) {
  if (in.empty()) return fail(codec_errc::truncated);
  if (in.size() > 1) return fail(codec_errc::trailing_bytes);
  if (in[0] > 100) return fail(codec_errc::invalid_value);
  return in[0];
}

}  // namespace bcms::gatt
