#include "protocol/gatt/health.hpp"

#include "protocol/codec_error.hpp"

namespace bcms::gatt {

// ------------------------------------------------------------ Heart Rate
expected<bytes> encode(const HeartRateMeasurement& m, std::size_t max_len) {
  const bool wide = m.wide || m.bpm > 0xFF;
  std::uint8_t flags = wide ? hrm_flag::value_uint16 : 0;
  if (m.sensor_contact) flags |= hrm_flag::contact_supported | (*m.sensor_contact ? hrm_flag::contact_detected : 0);
  if (m.energy_expended_kj) flags |= hrm_flag::energy_expended;
  const std::size_t fixed = 1 + (wide ? 2 : 1) + (m.energy_expended_kj ? 2 : 0);
  if (fixed > max_len) return fail(codec_errc::too_long);
  const std::size_t room = (max_len - fixed) / 2;
  const std::size_t n = m.rr_intervals.size() < room ? m.rr_intervals.size() : room;
  if (n > 0) flags |= hrm_flag::rr_interval;

  bytes out;
  ByteWriter w(out);
  w.u8(flags);
  if (wide) w.u16(m.bpm);
  else w.u8(static_cast<std::uint8_t>(m.bpm));
  if (m.energy_expended_kj) w.u16(*m.energy_expended_kj);
  for (std::size_t i = m.rr_intervals.size() - n; i < m.rr_intervals.size(); ++i) w.u16(m.rr_intervals[i]);
  return out;
}

expected<HeartRateMeasurement> decode_heart_rate_measurement(byte_span in) {
  ByteReader r(in);
  HeartRateMeasurement m;
  std::uint8_t flags = 0;
  if (!r.u8(flags)) return fail(codec_errc::truncated);
  m.wide = flags & hrm_flag::value_uint16;
  if (m.wide) {
    if (!r.u16(m.bpm)) return fail(codec_errc::truncated);
  } else {
    std::uint8_t v = 0;
    if (!r.u8(v)) return fail(codec_errc::truncated);
    m.bpm = v;
  }
  if (flags & hrm_flag::contact_supported) m.sensor_contact = (flags & hrm_flag::contact_detected) != 0;
  if (flags & hrm_flag::energy_expended) {
    std::uint16_t e = 0;
    if (!r.u16(e)) return fail(codec_errc::truncated);
    m.energy_expended_kj = e;
  }
  if (flags & hrm_flag::rr_interval) {
    if (r.remaining() == 0 || r.remaining() % 2 != 0) return fail(codec_errc::invalid_length);
    while (!r.empty()) {
      std::uint16_t rr = 0;
      r.u16(rr);
      m.rr_intervals.push_back(rr);
    }
  }
  if (!r.empty()) return fail(codec_errc::trailing_bytes);
  return m;
}

// ------------------------------------------------------------ Blood Pressure
bytes encode(const BloodPressureMeasurement& m) {
  std::uint8_t flags = m.kpa ? bpm_flag::units_kpa : 0;
  if (m.timestamp) flags |= bpm_flag::timestamp;
  if (m.pulse_rate) flags |= bpm_flag::pulse_rate;
  if (m.user_id) flags |= bpm_flag::user_id;
  if (m.status) flags |= bpm_flag::status;
  bytes out;
  ByteWriter w(out);
  w.u8(flags);
  put(w, m.systolic);
  put(w, m.diastolic);
  put(w, m.mean_arterial);
  if (m.timestamp) put(w, *m.timestamp);
  if (m.pulse_rate) put(w, *m.pulse_rate);
  if (m.user_id) w.u8(*m.user_id);
  if (m.status) w.u16(*m.status);
  return out;
}

expected<BloodPressureMeasurement> decode_blood_pressure_measurement(byte_span in) {
  ByteReader r(in);
  BloodPressureMeasurement m;
  std::uint8_t flags = 0;
  if (!r.u8(flags) || !get(r, m.systolic) || !get(r, m.diastolic) || !get(r, m.mean_arterial))
    return fail(codec_errc::truncated);
  m.kpa = flags & bpm_flag::units_kpa;
  if (flags & bpm_flag::timestamp) {
    DateTime t;
    if (!get(r, t)) return fail(codec_errc::truncated);
    m.timestamp = t;
  }
  if (flags & bpm_flag::pulse_rate) {
    Sfloat p;
    if (!get(r, p)) return fail(codec_errc::truncated);
    m.pulse_rate = p;
  }
  if (flags & bpm_flag::user_id) {
    std::uint8_t u = 0;
    if (!r.u8(u)) return fail(codec_errc::truncated);
    m.user_id = u;
  }
  if (flags & bpm_flag::status) {
    std::uint16_t s = 0;
    if (!r.u16(s)) return fail(codec_errc::truncated);
    m.status = s;
  }
  if (!r.empty()) return fail(codec_errc::trailing_bytes);
  return m;
}

}  // namespace bcms::gatt
