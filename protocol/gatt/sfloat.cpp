#include "protocol/gatt/sfloat.hpp"

#include <cmath>
#include <limits>

#include "protocol/codec_error.hpp"

namespace bcms::gatt {
namespace {

constexpr double pow10(int e) noexcept {
  double r = 1.0;
  for (int i = 0; i < e; ++i) r *= 10.0;
  for (int i = 0; i > e; --i) r /= 10.0;
  return r;
}

// SFLOAT and FLOAT reserve the same five values, exponent 0 and the
// mantissa around the middle of its range (half = 2^(bits-1)): half-1 NaN,
// half NRes, half-2 +INFINITY, half+2 -INFINITY, half+1 reserved.
template <class Special, int MantissaBits, class Raw>
std::optional<Special> special_of(Raw raw) noexcept {
  constexpr Raw half = Raw{1} << (MantissaBits - 1);
  if (raw == half - 1) return Special::nan;
  if (raw == half) return Special::nres;
  if (raw == half - 2) return Special::positive_infinity;
  if (raw == half + 2) return Special::negative_infinity;
  if (raw == half + 1) return Special::reserved;
  return std::nullopt;
}

template <class Special>
double value_of(std::optional<Special> s, std::int32_t mantissa, int exponent) noexcept {
  if (!s) return mantissa * pow10(exponent);
  if (*s == Special::positive_infinity) return std::numeric_limits<double>::infinity();
  if (*s == Special::negative_infinity) return -std::numeric_limits<double>::infinity();
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

expected<Sfloat> Sfloat::make(std::int16_t mantissa, std::int8_t exponent) noexcept {
  if (mantissa < min_mantissa || mantissa > max_mantissa || exponent < min_exponent || exponent > max_exponent)
    return fail(codec_errc::invalid_value);
  const auto m = static_cast<std::uint16_t>(mantissa) & 0x0FFFu;
  const auto e = static_cast<std::uint16_t>(static_cast<std::uint8_t>(exponent) & 0x0Fu);
  return Sfloat(static_cast<std::uint16_t>(e << 12 | m));
}

expected<Sfloat> Sfloat::from(double value, std::int8_t exponent) noexcept {
  if (!std::isfinite(value) || exponent < min_exponent || exponent > max_exponent)
    return fail(codec_errc::invalid_value);
  const double m = std::round(value / pow10(exponent));
  if (m < min_mantissa || m > max_mantissa) return fail(codec_errc::invalid_value);
  return make(static_cast<std::int16_t>(m), exponent);
}

expected<Sfloat> Sfloat::nearest(double value) noexcept {
  if (!std::isfinite(value)) return fail(codec_errc::invalid_value);
  for (int e = min_exponent; e <= max_exponent; ++e) {
    const double m = std::round(value / pow10(e));
    if (m >= min_mantissa && m <= max_mantissa) {
      // Drop trailing zeros down to exponent 0: 120 is 120e0, not 1200e-1
      // (nor 12e1: integers keep exponent 0 when they fit).
      auto mi = static_cast<int>(m);
      while (mi != 0 && mi % 10 == 0 && e < 0) {
        mi /= 10;
        ++e;
      }
      if (mi == 0) e = 0;
      return make(static_cast<std::int16_t>(mi), static_cast<std::int8_t>(e));
    }
  }
  return fail(codec_errc::invalid_value);
}

std::optional<SfloatSpecial> Sfloat::special() const noexcept {
  return special_of<SfloatSpecial, 12>(raw_);
}

std::int16_t Sfloat::mantissa() const noexcept {
  const int m = raw_ & 0x0FFF;
  return static_cast<std::int16_t>(m >= 0x0800 ? m - 0x1000 : m);  // sign-extend 12 bits
}

std::int8_t Sfloat::exponent() const noexcept {
  const int e = raw_ >> 12;
  return static_cast<std::int8_t>(e >= 0x8 ? e - 0x10 : e);  // sign-extend 4 bits
}

double Sfloat::to_double() const noexcept { return value_of(special(), mantissa(), exponent()); }

// ------------------------------------------------------------ FLOAT (32-bit)
expected<Float32> Float32::make(std::int32_t mantissa, std::int8_t exponent) noexcept {
  if (mantissa < min_mantissa || mantissa > max_mantissa) return fail(codec_errc::invalid_value);
  const auto m = static_cast<std::uint32_t>(mantissa) & 0x00FFFFFFu;
  return Float32(static_cast<std::uint32_t>(static_cast<std::uint8_t>(exponent)) << 24 | m);
}

std::optional<Float32Special> Float32::special() const noexcept {
  return special_of<Float32Special, 24>(raw_);
}

std::int32_t Float32::mantissa() const noexcept {
  const std::int32_t m = static_cast<std::int32_t>(raw_ & 0x00FFFFFFu);
  return m >= 0x800000 ? m - 0x1000000 : m;  // sign-extend 24 bits
}

std::int8_t Float32::exponent() const noexcept { return static_cast<std::int8_t>(raw_ >> 24); }

double Float32::to_double() const noexcept { return value_of(special(), mantissa(), exponent()); }

}  // namespace bcms::gatt
