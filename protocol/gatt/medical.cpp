#include "protocol/gatt/medical.hpp"

#include "protocol/codec_error.hpp"

namespace bcms::gatt {
namespace {

bool get(ByteReader& r, SpO2Pr& v) noexcept { return get(r, v.spo2) && get(r, v.pulse_rate); }

bool u24(ByteReader& r, std::uint32_t& v) noexcept {
  std::uint16_t lo = 0;
  std::uint8_t hi = 0;
  if (!r.u16(lo) || !r.u8(hi)) return false;
  v = static_cast<std::uint32_t>(hi) << 16 | lo;
  return true;
}

// Reads an optional field when `present`: false only when truncated.
template <class T, class Get>
bool optional_field(bool present, ByteReader& r, std::optional<T>& out, Get get_fn) {
  if (!present) return true;
  T v{};
  if (!get_fn(r, v)) return false;
  out = v;
  return true;
}

constexpr auto get_u8 = [](ByteReader& r, std::uint8_t& v) { return r.u8(v); };
constexpr auto get_u16 = [](ByteReader& r, std::uint16_t& v) { return r.u16(v); };
constexpr auto get_i16 = [](ByteReader& r, std::int16_t& v) { return r.i16(v); };
constexpr auto get_u24 = [](ByteReader& r, std::uint32_t& v) { return u24(r, v); };
constexpr auto get_sfloat = [](ByteReader& r, Sfloat& v) { return get(r, v); };
constexpr auto get_date_time = [](ByteReader& r, DateTime& v) { return get(r, v); };
constexpr auto get_spo2pr = [](ByteReader& r, SpO2Pr& v) { return get(r, v); };

// The end of every decoder: truncated / trailing_bytes / the value.
template <class T>
expected<T> finish(bool ok, const ByteReader& r, T&& v) {
  if (!ok) return fail(codec_errc::truncated);
  if (!r.empty()) return fail(codec_errc::trailing_bytes);
  return std::forward<T>(v);
}

}  // namespace

expected<TemperatureMeasurement> decode_temperature_measurement(byte_span in) {
  ByteReader r(in);
  TemperatureMeasurement m;
  std::uint8_t flags = 0;
  bool ok = r.u8(flags) && get(r, m.value);
  m.fahrenheit = flags & 0x01;
  ok = ok && optional_field(flags & 0x02, r, m.timestamp, get_date_time) &&
       optional_field(flags & 0x04, r, m.type, get_u8);
  return finish(ok, r, std::move(m));
}

std::optional<double> WeightMeasurement::weight() const noexcept {
  if (weight_raw == unsuccessful) return std::nullopt;
  return weight_raw * (imperial ? 0.01 : 0.005);
}

std::optional<double> WeightMeasurement::bmi() const noexcept {
  if (!bmi_raw) return std::nullopt;
  return *bmi_raw * 0.1;
}

std::optional<double> WeightMeasurement::height() const noexcept {
  if (!height_raw) return std::nullopt;
  return *height_raw * (imperial ? 0.1 : 0.001);
}

expected<WeightMeasurement> decode_weight_measurement(byte_span in) {
  ByteReader r(in);
  WeightMeasurement m;
  std::uint8_t flags = 0;
  bool ok = r.u8(flags) && r.u16(m.weight_raw);
  m.imperial = flags & 0x01;
  ok = ok && optional_field(flags & 0x02, r, m.timestamp, get_date_time) &&
       optional_field(flags & 0x04, r, m.user_id, get_u8) && optional_field(flags & 0x08, r, m.bmi_raw, get_u16) &&
       optional_field(flags & 0x08, r, m.height_raw, get_u16);
  return finish(ok, r, std::move(m));
}

expected<PlxSpotCheck> decode_plx_spot_check(byte_span in) {
  ByteReader r(in);
  PlxSpotCheck m;
  std::uint8_t flags = 0;
  bool ok = r.u8(flags) && get(r, m.reading);
  m.clock_not_set = flags & 0x10;
  ok = ok && optional_field(flags & 0x01, r, m.timestamp, get_date_time) &&
       optional_field(flags & 0x02, r, m.measurement_status, get_u16) &&
       optional_field(flags & 0x04, r, m.device_sensor_status, get_u24) &&
       optional_field(flags & 0x08, r, m.pulse_amplitude_index, get_sfloat);
  return finish(ok, r, std::move(m));
}

expected<PlxContinuous> decode_plx_continuous(byte_span in) {
  ByteReader r(in);
  PlxContinuous m;
  std::uint8_t flags = 0;
  bool ok = r.u8(flags) && get(r, m.normal) && optional_field(flags & 0x01, r, m.fast, get_spo2pr) &&
            optional_field(flags & 0x02, r, m.slow, get_spo2pr) &&
            optional_field(flags & 0x04, r, m.measurement_status, get_u16) &&
            optional_field(flags & 0x08, r, m.device_sensor_status, get_u24) &&
            optional_field(flags & 0x10, r, m.pulse_amplitude_index, get_sfloat);
  return finish(ok, r, std::move(m));
}

expected<GlucoseMeasurement> decode_glucose_measurement(byte_span in) {
  ByteReader r(in);
  GlucoseMeasurement m;
  std::uint8_t flags = 0;
  bool ok = r.u8(flags) && r.u16(m.sequence) && get(r, m.base_time) &&
            optional_field(flags & 0x01, r, m.time_offset_minutes, get_i16);
  m.mol_per_l = flags & 0x04;
  m.context_follows = flags & 0x10;
  if (ok && (flags & 0x02)) {
    std::uint8_t type_location = 0;
    Sfloat c;
    ok = get(r, c) && r.u8(type_location);
    m.concentration = c;
    m.type = type_location & 0x0F;
    m.sample_location = type_location >> 4;
  }
  ok = ok && optional_field(flags & 0x08, r, m.sensor_status, get_u16);
  return finish(ok, r, std::move(m));
}

}  // namespace bcms::gatt
