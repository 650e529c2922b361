// Time characteristics: Date Time (0x2A08, used inside the health
// records' Time Stamp fields) and Current Time (0x2A2B, Current Time
// Service 1.1 (CTS) 3.1).  Layouts from the GATT Specification Supplement
// (GSS).  A collector reads them to check a device's clock and writes them
// to set it.  Pure codecs, no I/O.
#pragma once

#include <cstdint>

#include "protocol/bytes.hpp"
#include "protocol/expected.hpp"

namespace bcms::gatt {

inline constexpr std::uint16_t date_time_uuid = 0x2A08;
inline constexpr std::uint16_t current_time_uuid = 0x2A2B;
inline constexpr std::uint16_t current_time_service = 0x1805;

/// Date Time (GSS "Date Time"), 7 octets:
///
///   Year     uint16  1582..9999, 0 = not known
///   Month    uint8   1..12, 0 = not known
///   Day      uint8   1..31, 0 = not known
///   Hours    uint8   0..23
///   Minutes  uint8   0..59
///   Seconds  uint8   0..59
struct DateTime {
  std::uint16_t year = 0;
  std::uint8_t month = 0;
  std::uint8_t day = 0;
  std::uint8_t hours = 0;
  std::uint8_t minutes = 0;
  std::uint8_t seconds = 0;
  friend bool operator==(const DateTime&, const DateTime&) = default;
};

/// Every field inside the ranges above.
[[nodiscard]] bool valid(const DateTime& t) noexcept;
/// The UTC calendar time of a Unix time (seconds since 1970-01-01), for
/// the years 1582..9999 that Date Time can hold.
[[nodiscard]] DateTime date_time_from_unix(std::int64_t unix_seconds) noexcept;
/// Seconds since 1970-01-01 of a UTC Date Time; invalid_value when a
/// field is out of range or not known (0).
expected<std::int64_t> to_unix(const DateTime& t);
/// Day of week (GSS "Day of Week"): 1 = Monday .. 7 = Sunday; 0 (not
/// known) for a date that is not known or does not exist.
[[nodiscard]] std::uint8_t day_of_week(const DateTime& t) noexcept;

/// The 7 octets without checking the ranges (the health records' Time
/// Stamp fields, whose decoders report what the sensor sent).
void put(ByteWriter& w, const DateTime& t);
bool get(ByteReader& r, DateTime& t) noexcept;

/// Exactly 7 octets with every field in range; else truncated,
/// trailing_bytes or invalid_value.
expected<DateTime> decode_date_time(byte_span in);
/// invalid_value when a field is out of range.
expected<bytes> encode_date_time(const DateTime& t);

/// Current Time (GSS "Current Time", CTS 3.1), 10 octets:
///
///   Exact Time 256
///     Day Date Time
///       Date Time      7 octets
///       Day of Week    uint8   1 = Monday .. 7 = Sunday, 0 = not known
///     Fractions256     uint8   1/256 s
///   Adjust Reason      uint8   bit 0 manual time update, bit 1 external
///                              reference time update, bit 2 change of
///                              time zone, bit 3 change of DST; 4-7 RFU
struct CurrentTime {
  DateTime date_time{};
  std::uint8_t day_of_week = 0;
  std::uint8_t fractions256 = 0;
  std::uint8_t adjust_reason = 0;
  friend bool operator==(const CurrentTime&, const CurrentTime&) = default;
};

namespace adjust_reason {
inline constexpr std::uint8_t manual = 0x01;
inline constexpr std::uint8_t external_reference = 0x02;
inline constexpr std::uint8_t time_zone = 0x04;
inline constexpr std::uint8_t dst = 0x08;
}  // namespace adjust_reason

/// Exactly 10 octets; invalid_value for an out-of-range Date Time or a
/// Day of Week above 7.  Adjust Reason's RFU bits are kept as received.
expected<CurrentTime> decode_current_time(byte_span in);
/// invalid_value for an out-of-range Date Time, Day of Week above 7 or
/// an RFU Adjust Reason bit.
expected<bytes> encode_current_time(const CurrentTime& t);
/// A Current Time for a Unix time (what a collector writes to set a
/// device's clock), with its day of week and 1/256 s fraction.
[[nodiscard]] CurrentTime current_time_from_unix(std::int64_t unix_seconds, std::uint8_t fractions256 = 0,
                                                 std::uint8_t reason = adjust_reason::manual) noexcept;

}  // namespace bcms::gatt
