#include "protocol/sensor/bthome.hpp"

#include <cmath>

#include "protocol/ad/text.hpp"
#include "protocol/codec_error.hpp"
#include "protocol/hex.hpp"
#include "protocol/sensor/le_int.hpp"

namespace bcms::sensor {
namespace {

constexpr std::size_t counter_size = 4;
constexpr std::size_t mic_size = 4;

tl::unexpected<BthomeError> error(std::error_code code, std::size_t offset,
                                  std::optional<std::uint8_t> id = std::nullopt) {
  return tl::unexpected<BthomeError>(BthomeError{code, offset, id});
}

constexpr double pow10(int d) noexcept {
  double r = 1.0;
  for (int i = 0; i < d; ++i) r *= 10.0;
  return r;
}

// integer x factor, rounded to the factor's decimal places so that 2506 x
// 0.01 is the double nearest 25.06 (as bthome-ble rounds).
double scaled(double integer, const BthomeObjectType& t) noexcept {
  if (t.decimals == 0) return integer * t.factor;
  const double p = pow10(t.decimals);
  return std::round(integer * t.factor * p) / p;
}

std::string_view button_event_name(std::uint8_t e) noexcept {
  switch (e) {
    case 0x00: return "none";
    case 0x01: return "press";
    case 0x02: return "double_press";
    case 0x03: return "triple_press";
    case 0x04: return "long_press";
    case 0x05: return "long_double_press";
    case 0x06: return "long_triple_press";
    case 0x80: return "hold_press";
    default: return "";
  }
}

std::string_view dimmer_event_name(std::uint8_t e) noexcept {
  switch (e) {
    case 0x00: return "none";
    case 0x01: return "rotate_left";
    case 0x02: return "rotate_right";
    default: return "";
  }
}

}  // namespace

expected<BthomeHeader, BthomeError> parse_bthome_header(byte_span in) {
  ByteReader r(in);
  BthomeHeader h;
  if (!r.u8(h.device_info)) return error(codec_errc::truncated, 0);
  if ((h.device_info >> bthome_info::version_shift) != 2) return error(bthome_errc::unsupported_version, 0);
  if (h.device_info & bthome_info::reserved) return error(bthome_errc::reserved_bits, 0);
  h.encrypted = h.device_info & bthome_info::encrypted;
  h.trigger_based = h.device_info & bthome_info::trigger_based;
  if (h.device_info & bthome_info::mac_included) {
    Address a;
    if (!r.array(a.b)) return error(codec_errc::truncated, 1);
    h.mac = a;
  }
  h.payload_offset = r.position();
  h.payload = r.rest();
  if (h.encrypted && h.payload.size() < counter_size + mic_size) return error(codec_errc::truncated, in.size());
  return h;
}

expected<std::vector<BthomeObject>, BthomeError> decode_bthome_objects(byte_span payload, std::size_t base) {
  std::vector<BthomeObject> out;
  ByteReader r(payload);
  while (!r.empty()) {
    const std::size_t at = base + r.position();
    std::uint8_t id = 0;
    r.u8(id);
    const BthomeObjectType* t = bthome_object_type(id);
    if (!t) return error(bthome_errc::unknown_object, at, id);
    std::size_t len = t->length;
    if (t->format == BthomeFormat::text || t->format == BthomeFormat::raw) {
      std::uint8_t n = 0;
      if (!r.u8(n)) return error(codec_errc::truncated, at, id);
      len = n;
    }
    byte_span v;
    if (!r.view(len, v)) return error(codec_errc::truncated, at, id);
    BthomeObject obj{t};
    switch (t->format) {
      case BthomeFormat::uint: obj.value = scaled(static_cast<double>(le_uint(v)), *t); break;
      case BthomeFormat::sint: obj.value = scaled(static_cast<double>(le_sint(v)), *t); break;
      case BthomeFormat::binary: obj.value = v[0]; break;
      case BthomeFormat::text: {
        const std::string_view s(reinterpret_cast<const char*>(v.data()), v.size());
        if (!ad::valid_utf8(s)) return error(codec_errc::invalid_value, at, id);
        obj.text = s;
        break;
      }
      case BthomeFormat::raw: obj.text = hex_bytes(v); break;
      case BthomeFormat::button_event:
        obj.value = v[0];
        obj.text = button_event_name(v[0]);
        break;
      case BthomeFormat::dimmer_event:
        obj.value = v[1];
        obj.text = dimmer_event_name(v[0]);
        break;
    }
    out.push_back(std::move(obj));
  }
  return out;
}

expected<BthomePacket, BthomeError> decode_bthome(byte_span in) {
  auto h = parse_bthome_header(in);
  if (!h) return tl::unexpected(h.error());
  if (h->encrypted) return error(bthome_errc::encrypted, 0);
  auto objects = decode_bthome_objects(h->payload, h->payload_offset);
  if (!objects) return tl::unexpected(objects.error());
  return make_bthome_packet(*h, std::move(*objects));
}

BthomePacket make_bthome_packet(const BthomeHeader& h, std::vector<BthomeObject> objects,
                                std::optional<std::uint32_t> counter) {
  BthomePacket p{h.device_info, h.encrypted, h.trigger_based, h.mac, counter};
  p.objects = std::move(objects);
  for (const auto& o : p.objects)
    if (o.type->id == 0x00) p.packet_id = static_cast<std::uint8_t>(o.value);
  return p;
}

Readings readings(const BthomePacket& p) {
  Readings out;
  out.reserve(p.objects.size());
  for (const auto& o : p.objects) {
    const auto& t = *o.type;
    if (t.id == 0x00 || t.id >= 0xF0) continue;  // packet id, device information
    Reading r{t.name, "level", o.value, t.unit};
    if (t.format == BthomeFormat::text || t.format == BthomeFormat::raw) {
      r.field = "text";
      r.value = 0.0;
      r.text = o.text;
    } else if (t.format == BthomeFormat::button_event || t.format == BthomeFormat::dimmer_event) {
      r.field = "event";
      r.text = o.text;
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace bcms::sensor
