#include "protocol/ad/builder.hpp"

#include <algorithm>

#include "protocol/ad/text.hpp"
#include "protocol/codec_error.hpp"

namespace bcms::ad {
namespace {

// One AD structure can hold at most 254 data octets (Length is one octet
// and counts the type octet too; Core v5.4 Vol 3 Part C 11).
constexpr std::size_t max_struct_data = 254;

bytes structure(AdType type, byte_span data) {
  bytes out;
  out.reserve(2 + data.size());
  out.push_back(static_cast<std::uint8_t>(1 + data.size()));
  out.push_back(static_cast<std::uint8_t>(type));
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

BuildError too_long(AdField f, std::size_t needed, std::size_t available) {
  return {make_error_code(codec_errc::too_long), f, needed, available};
}

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// The name as a structure that fits in `room` octets: complete if it fits,
// else shortened (CSS Part A 1.2); empty when not one character fits.
bytes name_structure(std::string_view name, std::size_t room) {
  if (name.size() + 2 <= room) return structure(AdType::name_complete, as_bytes(name));
  if (room < 3) return {};
  auto shortened = shorten_name(name, room - 2);
  if (shortened.empty()) return {};
  return structure(AdType::name_short, as_bytes(shortened));
}

}  // namespace

std::string_view to_string(AdField f) noexcept {
  switch (f) {
    case AdField::flags: return "flags";
    case AdField::uuid16: return "16-bit service UUIDs";
    case AdField::uuid128: return "128-bit service UUIDs";
    case AdField::appearance: return "appearance";
    case AdField::tx_power: return "tx power";
    case AdField::service_data: return "service data";
    case AdField::manufacturer: return "manufacturer data";
    case AdField::name: return "name";
  }
  return "?";
}

std::string BuildError::message() const {
  return std::string(to_string(field)) + " does not fit: needs " + std::to_string(needed) + " octets, " +
         std::to_string(available) + " left (" + code.message() + ")";
}

std::string_view shorten_name(std::string_view name, std::size_t max_octets) noexcept {
  std::size_t end = 0;
  while (end < name.size()) {
    char32_t cp = 0;
    std::size_t n = utf8_sequence(name, end, cp);
    if (n == 0) n = 1;  // an invalid octet counts as one character
    if (end + n > max_octets) break;
    end += n;
  }
  return name.substr(0, end);
}

AdBuilder& AdBuilder::flags(std::uint8_t bits) {
  flags_ = bits;
  return *this;
}
AdBuilder& AdBuilder::name(std::string name) {
  name_ = std::move(name);
  return *this;
}
AdBuilder& AdBuilder::uuid16(std::uint16_t uuid) {
  uuid16_.push_back(uuid);
  return *this;
}
AdBuilder& AdBuilder::uuid128(const Uuid128& uuid) {
  uuid128_.push_back(uuid);
  return *this;
}
AdBuilder& AdBuilder::appearance(std::uint16_t value) {
  appearance_ = value;
  return *this;
}
AdBuilder& AdBuilder::tx_power(std::int8_t dbm) {
  tx_power_ = dbm;
  return *this;
}
AdBuilder& AdBuilder::manufacturer(std::uint16_t company, bytes data) {
  manufacturer_.push_back({company, std::move(data)});
  return *this;
}
AdBuilder& AdBuilder::service_data(std::uint16_t uuid, bytes data) {
  service_data16_.push_back({uuid, std::move(data)});
  return *this;
}
AdBuilder& AdBuilder::service_data(const Uuid128& uuid, bytes data) {
  service_data128_.push_back({uuid, std::move(data)});
  return *this;
}

// Every field except the name, encoded, in the documented order.
expected<std::vector<AdBuilder::Piece>, BuildError> AdBuilder::pieces() const {
  std::vector<Piece> out;
  auto add = [&](AdField f, AdType t, const bytes& data) -> bool {
    if (data.size() > max_struct_data) return false;
    out.push_back({f, structure(t, data)});
    return true;
  };
  auto fail_field = [](AdField f, std::size_t data_size) {
    return unexpected(too_long(f, data_size + 2, max_struct_data + 2));
  };
  bytes d;
  ByteWriter w(d);
  if (flags_) {
    w.u8(*flags_);  // CSS Part A 1.3
    add(AdField::flags, AdType::flags, d);
  }
  if (!uuid16_.empty()) {
    d.clear();
    for (auto u : uuid16_) w.u16(u);  // CSS Part A 1.1
    if (!add(AdField::uuid16, AdType::uuid16_complete, d)) return fail_field(AdField::uuid16, d.size());
  }
  if (!uuid128_.empty()) {
    d.clear();
    for (const auto& u : uuid128_) w.array(u);
    if (!add(AdField::uuid128, AdType::uuid128_complete, d)) return fail_field(AdField::uuid128, d.size());
  }
  if (appearance_) {
    d.clear();
    w.u16(*appearance_);  // CSS Part A 1.12
    add(AdField::appearance, AdType::appearance, d);
  }
  if (tx_power_) {
    d.clear();
    w.i8(*tx_power_);  // CSS Part A 1.5
    add(AdField::tx_power, AdType::tx_power, d);
  }
  for (const auto& sd : service_data16_) {
    d.clear();
    w.u16(sd.uuid);  // CSS Part A 1.11
    w.raw(sd.data);
    if (!add(AdField::service_data, AdType::service_data16, d)) return fail_field(AdField::service_data, d.size());
  }
  for (const auto& sd : service_data128_) {
    d.clear();
    w.array(sd.uuid);
    w.raw(sd.data);
    if (!add(AdField::service_data, AdType::service_data128, d)) return fail_field(AdField::service_data, d.size());
  }
  for (const auto& m : manufacturer_) {
    d.clear();
    w.u16(m.company);  // CSS Part A 1.4
    w.raw(m.data);
    if (!add(AdField::manufacturer, AdType::manufacturer, d)) return fail_field(AdField::manufacturer, d.size());
  }
  return out;
}

expected<bytes, BuildError> AdBuilder::build(std::size_t max_len) const {
  auto ps = pieces();
  if (!ps) return unexpected(ps.error());
  bytes out;
  for (const auto& p : *ps) {
    if (p.encoded.size() > max_len - out.size()) return unexpected(too_long(p.field, p.encoded.size(), max_len - out.size()));
    out.insert(out.end(), p.encoded.begin(), p.encoded.end());
  }
  if (name_) {
    const std::size_t room = std::min(max_len - out.size(), max_struct_data + 2);
    bytes n = name_structure(*name_, room);
    // Not even one character (or, for an empty name, the bare header) fits.
    if (n.empty()) return unexpected(too_long(AdField::name, std::min<std::size_t>(name_->size() + 2, 3), room));
    out.insert(out.end(), n.begin(), n.end());
  }
  return out;
}

expected<AdSplit, BuildError> AdBuilder::split(std::size_t max_adv, std::size_t max_scan_rsp) const {
  auto ps = pieces();
  if (!ps) return unexpected(ps.error());
  AdSplit out;
  auto room = [](const bytes& b, std::size_t max) { return max - std::min(max, b.size()); };
  for (const auto& p : *ps) {
    const std::size_t n = p.encoded.size();
    bytes* dst = nullptr;
    if (n <= room(out.adv, max_adv)) dst = &out.adv;
    else if (p.field != AdField::flags && n <= room(out.scan_rsp, max_scan_rsp)) dst = &out.scan_rsp;
    if (!dst) {
      const std::size_t avail = p.field == AdField::flags
                                    ? room(out.adv, max_adv)
                                    : std::max(room(out.adv, max_adv), room(out.scan_rsp, max_scan_rsp));
      return unexpected(too_long(p.field, n, avail));
    }
    dst->insert(dst->end(), p.encoded.begin(), p.encoded.end());
  }
  if (name_) {
    const std::size_t full = name_->size() + 2;
    const std::size_t ra = std::min(room(out.adv, max_adv), max_struct_data + 2);
    const std::size_t rs = std::min(room(out.scan_rsp, max_scan_rsp), max_struct_data + 2);
    bytes* dst = full <= ra ? &out.adv : full <= rs ? &out.scan_rsp : ra >= rs ? &out.adv : &out.scan_rsp;
    bytes n = name_structure(*name_, dst == &out.adv ? ra : rs);
    if (n.empty()) return unexpected(too_long(AdField::name, std::min<std::size_t>(full, 3), std::max(ra, rs)));
    dst->insert(dst->end(), n.begin(), n.end());
  }
  return out;
}

}  // namespace bcms::ad
