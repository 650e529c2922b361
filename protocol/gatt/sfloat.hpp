// SFLOAT: the 16-bit medical float of IEEE 11073-20601 ("SFLOAT-Type",
// called medfloat16 in the GATT Specification Supplement (GSS) 2.3), used
// by the health characteristics (Blood Pressure Measurement, Temperature
// Measurement, Weight, ...), and its 32-bit sibling FLOAT (Float32).
// Pure codecs, no I/O.
//
// Wire format (one little-endian uint16):
//
//   bit 15..12   exponent  4-bit two's complement, base 10, -8..+7
//   bit 11..0    mantissa  12-bit two's complement, -2048..+2047
//   value = mantissa * 10^exponent
//
// Reserved values (exponent 0, IEEE 11073-20601 F.8 / GSS 2.3):
//   0x07FF NaN (not a number)      0x0800 NRes (not at this resolution)
//   0x07FE +INFINITY               0x0802 -INFINITY
//   0x0801 reserved for future use
// So finite mantissas are -2045..+2045 with exponent 0; with another
// exponent the same five mantissas are still refused by encode() (a
// decoder meets them only from a peer that breaks the rule; it reports
// them as finite numbers, as the standard gives them no other meaning).
#pragma once

#include <cstdint>
#include <optional>
#include <system_error>

#include "protocol/bytes.hpp"
#include "protocol/expected.hpp"

namespace bcms::gatt {

/// Special SFLOAT values.
enum class SfloatSpecial : std::uint16_t {
  nan = 0x07FF,
  nres = 0x0800,
  positive_infinity = 0x07FE,
  negative_infinity = 0x0802,
  reserved = 0x0801,
};

class Sfloat {
 public:
  static constexpr std::int16_t max_mantissa = 2045;
  static constexpr std::int16_t min_mantissa = -2045;
  static constexpr std::int8_t max_exponent = 7;
  static constexpr std::int8_t min_exponent = -8;

  /// 0 (mantissa 0, exponent 0).
  constexpr Sfloat() noexcept = default;

  /// mantissa * 10^exponent; codec_errc::invalid_value when either is out
  /// of range (mantissa -2045..2045, exponent -8..7).
  static expected<Sfloat> make(std::int16_t mantissa, std::int8_t exponent) noexcept;
  /// `value` rounded to a multiple of 10^exponent (e.g. 36.64 with
  /// exponent -1 -> 366 * 10^-1); invalid_value when it does not fit.
  static expected<Sfloat> from(double value, std::int8_t exponent) noexcept;
  /// The most precise encoding of `value` (the smallest exponent whose
  /// mantissa fits), with trailing zeros dropped down to exponent 0
  /// (120 -> 120e0, 36.60 -> 366e-1); invalid_value for NaN, infinities
  /// and |value| above 2045e7.
  static expected<Sfloat> nearest(double value) noexcept;
  static constexpr Sfloat special(SfloatSpecial s) noexcept { return Sfloat(static_cast<std::uint16_t>(s)); }

  /// From the 16-bit wire value (any value is valid).
  static constexpr Sfloat from_raw(std::uint16_t raw) noexcept { return Sfloat(raw); }
  [[nodiscard]] constexpr std::uint16_t raw() const noexcept { return raw_; }

  /// The special value, if this is one.
  [[nodiscard]] std::optional<SfloatSpecial> special() const noexcept;
  [[nodiscard]] std::int16_t mantissa() const noexcept;
  [[nodiscard]] std::int8_t exponent() const noexcept;
  /// The value; NaN for NaN/NRes/reserved, +-infinity for the infinities.
  [[nodiscard]] double to_double() const noexcept;

  friend constexpr bool operator==(Sfloat a, Sfloat b) noexcept { return a.raw_ == b.raw_; }

 private:
  explicit constexpr Sfloat(std::uint16_t raw) noexcept : raw_(raw) {}
  std::uint16_t raw_ = 0;
};

/// Appends the two octets (little-endian).
inline void put(ByteWriter& w, Sfloat v) { w.u16(v.raw()); }
/// Reads two octets; false (and the reader not ok) when truncated.
inline bool get(ByteReader& r, Sfloat& v) noexcept {
  std::uint16_t raw = 0;
  if (!r.u16(raw)) return false;
  v = Sfloat::from_raw(raw);
  return true;
}

/// Special FLOAT values (exponent 0, IEEE 11073-20601 F.8 / GSS 2.3).
enum class Float32Special : std::uint32_t {
  nan = 0x007FFFFF,
  nres = 0x00800000,
  positive_infinity = 0x007FFFFE,
  negative_infinity = 0x00800002,
  reserved = 0x00800001,
};

/// FLOAT: the 32-bit medical float of IEEE 11073-20601 ("FLOAT-Type",
/// medfloat32 in GSS 2.3), used by Temperature Measurement (HTS 3.1).
/// One little-endian uint32:
///
///   bit 31..24   exponent  8-bit two's complement, base 10
///   bit 23..0    mantissa  24-bit two's complement
///   value = mantissa * 10^exponent
///
/// Specials (exponent 0): 0x007FFFFF NaN, 0x00800000 NRes, 0x007FFFFE
/// +INFINITY, 0x00800002 -INFINITY, 0x00800001 reserved.
class Float32 {
 public:
  static constexpr std::int32_t max_mantissa = 0x7FFFFD;   // 8388605
  static constexpr std::int32_t min_mantissa = -0x7FFFFD;

  constexpr Float32() noexcept = default;
  /// mantissa * 10^exponent; invalid_value when the mantissa is out of range.
  static expected<Float32> make(std::int32_t mantissa, std::int8_t exponent) noexcept;
  static constexpr Float32 from_raw(std::uint32_t raw) noexcept { return Float32(raw); }
  static constexpr Float32 special(Float32Special s) noexcept { return Float32(static_cast<std::uint32_t>(s)); }
  [[nodiscard]] constexpr std::uint32_t raw() const noexcept { return raw_; }

  [[nodiscard]] std::optional<Float32Special> special() const noexcept;
  [[nodiscard]] std::int32_t mantissa() const noexcept;
  [[nodiscard]] std::int8_t exponent() const noexcept;
  /// The value; NaN for NaN/NRes/reserved, +-infinity for the infinities.
  [[nodiscard]] double to_double() const noexcept;

  friend constexpr bool operator==(Float32 a, Float32 b) noexcept { return a.raw_ == b.raw_; }

 private:
  explicit constexpr Float32(std::uint32_t raw) noexcept : raw_(raw) {}
  std::uint32_t raw_ = 0;
};

inline void put(ByteWriter& w, Float32 v) { w.u32(v.raw()); }
inline bool get(ByteReader& r, Float32& v) noexcept {
  std::uint32_t raw = 0;
  if (!r.u32(raw)) return false;
  v = Float32::from_raw(raw);
  return true;
}

}  // namespace bcms::gatt
