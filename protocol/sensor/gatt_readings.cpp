#include "protocol/sensor/gatt_readings.hpp"

#include <cmath>

#include "protocol/ad/text.hpp"
#include "protocol/codec_error.hpp"
#include "protocol/gatt/environment.hpp"
#include "protocol/sensor/le_int.hpp"

namespace bcms::sensor {
namespace {

// Appends a reading when the value is a number.
void add(Readings& out, std::string_view type, std::string_view field, double value, std::string_view unit) {
  if (std::isfinite(value)) out.push_back(Reading{type, field, value, unit});
}
void add(Readings& out, std::string_view type, std::string_view field, const gatt::Sfloat& v, std::string_view unit) {
  add(out, type, field, v.to_double(), unit);
}

void add_spo2pr(Readings& out, const gatt::SpO2Pr& v) {
  add(out, "spo2", "level", v.spo2, "%");
  add(out, "heart_rate", "rate", v.pulse_rate, "bpm");
}

template <class T>
expected<Readings> as_readings(const expected<T>& v) {
  if (!v) return unexpected(v.error());
  return readings(*v);
}

expected<Readings> one(const expected<std::optional<double>>& v, std::string_view type, std::string_view unit) {
  if (!v) return unexpected(v.error());
  Readings out;
  if (*v) add(out, type, "level", **v, unit);
  return out;
}

}  // namespace

Readings readings(const gatt::HeartRateMeasurement& m) {
  Readings out;
  add(out, "heart_rate", "rate", m.bpm, "bpm");
  if (m.energy_expended_kj) add(out, "energy_expended", "level", *m.energy_expended_kj, "kJ");
  for (auto rr : m.rr_intervals) add(out, "rr_interval", "level", rr / 1024.0, "s");
  return out;
}

Readings readings(const gatt::BloodPressureMeasurement& m) {
  Readings out;
  const std::string_view unit = m.kpa ? "kPa" : "mmHg";
  add(out, "blood_pressure", "sys", m.systolic, unit);
  add(out, "blood_pressure", "dias", m.diastolic, unit);
  add(out, "blood_pressure", "map", m.mean_arterial, unit);
  if (m.pulse_rate) add(out, "heart_rate", "rate", *m.pulse_rate, "bpm");
  return out;
}

Readings cuff_pressure_readings(const gatt::BloodPressureMeasurement& m) {
  Readings out;
  add(out, "cuff_pressure", "level", m.systolic, m.kpa ? "kPa" : "mmHg");
  return out;
}

Readings readings(const gatt::TemperatureMeasurement& m) {
  Readings out;
  add(out, "temperature", "level", m.value.to_double(), m.fahrenheit ? "°F" : "°C");
  return out;
}

Readings readings(const gatt::WeightMeasurement& m) {
  Readings out;
  if (auto w = m.weight()) add(out, "weight", "level", *w, m.imperial ? "lb" : "kg");
  if (auto b = m.bmi()) add(out, "bmi", "level", *b, "kg/m²");
  if (auto h = m.height()) add(out, "height", "level", *h, m.imperial ? "in" : "m");
  return out;
}

Readings readings(const gatt::PlxSpotCheck& m) {
  Readings out;
  add_spo2pr(out, m.reading);
  if (m.pulse_amplitude_index) add(out, "pulse_amplitude_index", "level", *m.pulse_amplitude_index, "%");
  return out;
}

Readings readings(const gatt::PlxContinuous& m) {
  Readings out;
  add_spo2pr(out, m.normal);
  if (m.pulse_amplitude_index) add(out, "pulse_amplitude_index", "level", *m.pulse_amplitude_index, "%");
  return out;
}

Readings readings(const gatt::GlucoseMeasurement& m) {
  Readings out;
  if (m.concentration) add(out, "glucose", "level", *m.concentration, m.mol_per_l ? "mol/L" : "kg/L");
  return out;
}

expected<Readings> decode_characteristic(std::uint16_t uuid, byte_span value) {
  switch (uuid) {
    case gatt::heart_rate_measurement_uuid: return as_readings(gatt::decode_heart_rate_measurement(value));
    case gatt::blood_pressure_measurement_uuid: return as_readings(gatt::decode_blood_pressure_measurement(value));
    case gatt::intermediate_cuff_pressure_uuid: {
      auto m = gatt::decode_intermediate_cuff_pressure(value);
      if (!m) return unexpected(m.error());
      return cuff_pressure_readings(*m);
    }
    case gatt::temperature_measurement_uuid: return as_readings(gatt::decode_temperature_measurement(value));
    case gatt::weight_measurement_uuid: return as_readings(gatt::decode_weight_measurement(value));
    case gatt::plx_spot_check_uuid: return as_readings(gatt::decode_plx_spot_check(value));
    case gatt::plx_continuous_uuid: return as_readings(gatt::decode_plx_continuous(value));
    case gatt::glucose_measurement_uuid: return as_readings(gatt::decode_glucose_measurement(value));
    case gatt::battery_level_uuid: {
      auto b = gatt::decode_battery_level(value);
      if (!b) return unexpected(b.error());
      return Readings{Reading{"battery_level", "level", static_cast<double>(*b), "%"}};
    }
    case gatt::temperature_uuid: return one(gatt::decode_temperature(value), "temperature", "°C");
    case gatt::humidity_uuid: return one(gatt::decode_humidity(value), "humidity", "%");
    case gatt::pressure_uuid: {
      auto p = gatt::decode_pressure(value);
      if (!p) return unexpected(p.error());
      return Readings{Reading{"pressure", "level", *p, "Pa"}};
    }
    default: return fail(codec_errc::unknown_opcode);
  }
}

expected<Reading> decode_passive_service_data(std::uint16_t uuid, byte_span data) {
  bool is_signed = true;
  Reading r{};
  switch (uuid) {
    case 0x2A37: r = {"heart_rate", "rate"}; break;
    case 0x2A6D: r = {"pressure", "level"}; is_signed = false; break;
    case 0x2A6E: r = {"temperature", "level"}; break;
    case 0x180F: r = {"battery_level", "level"}; break;
    case 0x2A46: {
      const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
      if (!ad::valid_utf8(text)) return fail(codec_errc::invalid_value);
      return Reading{"alert", "id", 0.0, "", std::string(text)};
    }
    default: return fail(codec_errc::unknown_opcode);
  }
  if (data.empty()) return fail(codec_errc::truncated);
  if (data.size() > 8) return fail(codec_errc::too_long);
  r.value = is_signed ? static_cast<double>(le_sint(data)) : static_cast<double>(le_uint(data));
  return r;
}

}  // namespace bcms::sensor
