#include "protocol/gatt/time.hpp"

#include <chrono>

#include "protocol/codec_error.hpp"

namespace bcms::gatt {
namespace {

using std::chrono::days;
using std::chrono::sys_days;

constexpr std::size_t date_time_size = 7;
constexpr std::size_t current_time_size = 10;

sys_days to_days(const DateTime& t) {
  return sys_days(std::chrono::year(t.year) / std::chrono::month(t.month) / std::chrono::day(t.day));
}

}  // namespace

bool valid(const DateTime& t) noexcept {
  return (t.year == 0 || (t.year >= 1582 && t.year <= 9999)) && t.month <= 12 && t.day <= 31 && t.hours <= 23 &&
         t.minutes <= 59 && t.seconds <= 59;
}

DateTime date_time_from_unix(std::int64_t unix_seconds) noexcept {
  const auto secs = std::chrono::sys_seconds(std::chrono::seconds(unix_seconds));
  const auto day = std::chrono::floor<days>(secs);
  const std::chrono::year_month_day ymd(day);
  const std::chrono::hh_mm_ss hms(secs - day);
  return DateTime{static_cast<std::uint16_t>(static_cast<int>(ymd.year())),
                  static_cast<std::uint8_t>(static_cast<unsigned>(ymd.month())),
                  static_cast<std::uint8_t>(static_cast<unsigned>(ymd.day())),
                  static_cast<std::uint8_t>(hms.hours().count()), static_cast<std::uint8_t>(hms.minutes().count()),
                  static_cast<std::uint8_t>(hms.seconds().count())};
}

expected<std::int64_t> to_unix(const DateTime& t) {
  if (!valid(t) || t.year == 0 || t.month == 0 || t.day == 0) return fail(codec_errc::invalid_value);
  const std::chrono::year_month_day ymd(std::chrono::year(t.year), std::chrono::month(t.month),
                                        std::chrono::day(t.day));
  if (!ymd.ok()) return fail(codec_errc::invalid_value);  // 31 April, 29 February of 2023
  return to_days(t).time_since_epoch().count() * 86400LL + t.hours * 3600LL + t.minutes * 60LL + t.seconds;
}

std::uint8_t day_of_week(const DateTime& t) noexcept {
  const std::chrono::year_month_day ymd(std::chrono::year(t.year), std::chrono::month(t.month),
                                        std::chrono::day(t.day));
  if (t.year == 0 || !ymd.ok()) return 0;  // "not known"
  return static_cast<std::uint8_t>(std::chrono::weekday(to_days(t)).iso_encoding());
}

void put(ByteWriter& w, const DateTime& t) {
  w.u16(t.year);
  w.u8(t.month);
  w.u8(t.day);
  w.u8(t.hours);
  w.u8(t.minutes);
  w.u8(t.seconds);
}

bool get(ByteReader& r, DateTime& t) noexcept {
  return r.u16(t.year) && r.u8(t.month) && r.u8(t.day) && r.u8(t.hours) && r.u8(t.minutes) && r.u8(t.seconds);
}

expected<DateTime> decode_date_time(byte_span in) {
  if (in.size() < date_time_size) return fail(codec_errc::truncated);
  if (in.size() > date_time_size) return fail(codec_errc::trailing_bytes);
  ByteReader r(in);
  DateTime t;
  get(r, t);
  if (!valid(t)) return fail(codec_errc::invalid_value);
  return t;
}

expected<bytes> encode_date_time(const DateTime& t) {
  if (!valid(t)) return fail(codec_errc::invalid_value);
  bytes out;
  ByteWriter w(out);
  put(w, t);
  return out;
}

expected<CurrentTime> decode_current_time(byte_span in) {
  if (in.size() < current_time_size) return fail(codec_errc::truncated);
  if (in.size() > current_time_size) return fail(codec_errc::trailing_bytes);
  ByteReader r(in);
  CurrentTime t;
  get(r, t.date_time);
  r.u8(t.day_of_week);
  r.u8(t.fractions256);
  r.u8(t.adjust_reason);
  if (!valid(t.date_time) || t.day_of_week > 7) return fail(codec_errc::invalid_value);
  return t;
}

expected<bytes> encode_current_time(const CurrentTime& t) {
  if (!valid(t.date_time) || t.day_of_week > 7 || (t.adjust_reason & 0xF0) != 0) return fail(codec_errc::invalid_value);
  bytes out;
  ByteWriter w(out);
  put(w, t.date_time);
  w.u8(t.day_of_week);
  w.u8(t.fractions256);
  w.u8(t.adjust_reason);
  return out;
}

CurrentTime current_time_from_unix(std::int64_t unix_seconds, std::uint8_t fractions256, std::uint8_t reason) noexcept {
  const DateTime dt = date_time_from_unix(unix_seconds);
  return CurrentTime{dt, day_of_week(dt), fractions256, reason};
}

}  // namespace bcms::gatt
