// AD structure parser (Core v5.4 Vol 3 Part C 11; CSS v11 Part A 1).
#include "protocol/ad/ad.hpp"

#include "protocol/codec_error.hpp"

namespace bcms::ad {
namespace {

template <class U>
bool read_uuid(ByteReader& r, U& out) noexcept {
  if constexpr (std::is_same_v<U, std::uint16_t>) return r.u16(out);
  else if constexpr (std::is_same_v<U, std::uint32_t>) return r.u32(out);
  else return r.array(out);
}

template <class U>
constexpr std::size_t uuid_size() noexcept {
  if constexpr (std::is_same_v<U, std::uint16_t>) return 2;
  else if constexpr (std::is_same_v<U, std::uint32_t>) return 4;
  else return 16;
}

// CSS Part A 1.1: a list of UUIDs of one width; the size must be a
// multiple of the width.  An empty list is allowed (a device stating that
// it has no services of that width, Part A 1.1.1).
template <class U>
expected<Value> uuid_list(byte_span data, bool complete) {
  if (data.size() % uuid_size<U>() != 0) return fail(codec_errc::invalid_length);
  ServiceUuids<U> list{complete, {}};
  list.uuids.reserve(data.size() / uuid_size<U>());
  ByteReader r(data);
  while (!r.empty()) {
    U u{};
    read_uuid(r, u);
    list.uuids.push_back(u);
  }
  return Value{std::move(list)};
}

// CSS Part A 1.11: UUID then data (possibly empty).
template <class U>
expected<Value> service_data(byte_span data) {
  ByteReader r(data);
  ServiceData<U> sd;
  if (!read_uuid(r, sd.uuid)) return fail(codec_errc::invalid_length);
  auto rest = r.rest();
  sd.data.assign(rest.begin(), rest.end());
  return Value{std::move(sd)};
}

std::string as_string(byte_span data) {
  return {reinterpret_cast<const char*>(data.data()), data.size()};
}

}  // namespace

expected<Value> decode_value(std::uint8_t type, byte_span data) {
  ByteReader r(data);
  switch (static_cast<AdType>(type)) {
    case AdType::flags: {
      // CSS Part A 1.3: zero or more octets of flag bits.
      Flags f;
      if (!data.empty()) f.bits = data[0];
      return Value{f};
    }
    case AdType::uuid16_incomplete: return uuid_list<std::uint16_t>(data, false);
    case AdType::uuid16_complete: return uuid_list<std::uint16_t>(data, true);
    case AdType::uuid32_incomplete: return uuid_list<std::uint32_t>(data, false);
    case AdType::uuid32_complete: return uuid_list<std::uint32_t>(data, true);
    case AdType::uuid128_incomplete: return uuid_list<Uuid128>(data, false);
    case AdType::uuid128_complete: return uuid_list<Uuid128>(data, true);
    case AdType::name_short: return Value{LocalName{false, as_string(data)}};
    case AdType::name_complete: return Value{LocalName{true, as_string(data)}};
    case AdType::tx_power: {
      // CSS Part A 1.5: one octet, -127..+127 dBm.
      if (data.size() != 1) return fail(codec_errc::invalid_length);
      TxPower t;
      r.i8(t.dbm);
      return Value{t};
    }
    case AdType::conn_interval_range: {
      // CSS Part A 1.9: min u16, max u16.
      if (data.size() != 4) return fail(codec_errc::invalid_length);
      ConnIntervalRange c;
      r.u16(c.min);
      r.u16(c.max);
      return Value{c};
    }
    case AdType::service_data16: return service_data<std::uint16_t>(data);
    case AdType::service_data32: return service_data<std::uint32_t>(data);
    case AdType::service_data128: return service_data<Uuid128>(data);
    case AdType::public_target_address: {
      // CSS Part A 1.13: one or more 6-octet addresses (wire order).
      if (data.empty() || data.size() % 6 != 0) return fail(codec_errc::invalid_length);
      PublicTargetAddress p;
      while (!r.empty()) {
        Address a;
        r.array(a.b);
        p.addresses.push_back(a);
      }
      return Value{std::move(p)};
    }
    case AdType::appearance: {
      // CSS Part A 1.12: u16.
      if (data.size() != 2) return fail(codec_errc::invalid_length);
      Appearance a;
      r.u16(a.value);
      return Value{a};
    }
    case AdType::adv_interval: {
      // CSS Part A 1.15: u16 in 0.625 ms units.
      if (data.size() != 2) return fail(codec_errc::invalid_length);
      AdvInterval a;
      r.u16(a.units);
      return Value{a};
    }
    case AdType::le_role: {
      // CSS Part A 1.17: one octet.
      if (data.size() != 1) return fail(codec_errc::invalid_length);
      return Value{LeRole{data[0]}};
    }
    case AdType::uri: {
      // CSS Part A 1.18: at least the scheme code point.
      if (data.empty()) return fail(codec_errc::invalid_length);
      return Value{Uri{as_string(data)}};
    }
    case AdType::manufacturer: {
      // CSS Part A 1.4: company identifier u16, then data.
      ManufacturerData m;
      if (!r.u16(m.company)) return fail(codec_errc::invalid_length);
      auto rest = r.rest();
      m.data.assign(rest.begin(), rest.end());
      return Value{std::move(m)};
    }
    default: break;
  }
  return Value{Raw{bytes(data.begin(), data.end())}};
}

AdData parse_ad(byte_span data) {
  AdData out;
  std::size_t pos = 0;
  auto note = [&](std::size_t at, std::uint8_t type, codec_errc e) {
    if (!out.issue) out.issue = ParseIssue{at, type, make_error_code(e)};
  };
  while (pos < data.size()) {
    const std::size_t len = data[pos];
    // Vol 3 Part C 11: a zero Length ends the significant part.
    if (len == 0) break;
    if (len > data.size() - pos - 1) {
      // Framing lost: the structure claims more octets than remain.
      note(pos, pos + 1 < data.size() ? data[pos + 1] : 0, codec_errc::truncated);
      break;
    }
    const std::uint8_t type = data[pos + 1];
    const byte_span payload = data.subspan(pos + 2, len - 1);
    auto v = decode_value(type, payload);
    if (v) {
      out.structures.push_back({type, std::move(*v)});
    } else {
      note(pos, type, static_cast<codec_errc>(v.error().value()));
      out.structures.push_back({type, Raw{bytes(payload.begin(), payload.end())}});
    }
    pos += 1 + len;
    out.significant = pos;
  }
  return out;
}

expected<AdData> parse_ad_strict(byte_span data) {
  AdData d = parse_ad(data);
  if (d.issue) return unexpected(d.issue->error);
  return d;
}

// ---------------------------------------------------------------- accessors

const LocalName* AdData::name() const noexcept {
  const LocalName* shortened = nullptr;
  for (const auto& s : structures) {
    if (const auto* n = std::get_if<LocalName>(&s.value)) {
      if (n->complete) return n;
      if (!shortened) shortened = n;
    }
  }
  return shortened;
}

std::optional<std::uint8_t> AdData::flags() const noexcept {
  for (const auto& s : structures)
    if (const auto* f = std::get_if<Flags>(&s.value)) return f->bits;
  return std::nullopt;
}

const ManufacturerData* AdData::manufacturer(std::uint16_t company) const noexcept {
  for (const auto& s : structures)
    if (const auto* m = std::get_if<ManufacturerData>(&s.value); m && m->company == company) return m;
  return nullptr;
}

const ServiceData<std::uint16_t>* AdData::service_data(std::uint16_t uuid) const noexcept {
  for (const auto& s : structures)
    if (const auto* d = std::get_if<ServiceData<std::uint16_t>>(&s.value); d && d->uuid == uuid) return d;
  return nullptr;
}

std::vector<std::uint16_t> AdData::uuids16() const {
  std::vector<std::uint16_t> all;
  for (const auto& s : structures)
    if (const auto* l = std::get_if<ServiceUuids<std::uint16_t>>(&s.value))
      all.insert(all.end(), l->uuids.begin(), l->uuids.end());
  return all;
}

}  // namespace bcms::ad
