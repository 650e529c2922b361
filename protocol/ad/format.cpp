#include "protocol/ad/format.hpp"

#include <cstdio>
#include <type_traits>

#include "protocol/ad/names.hpp"
#include "protocol/att/uuid.hpp"
#include "protocol/ad/text.hpp"
#include "protocol/hex.hpp"

namespace bcms::ad {
namespace {

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

std::string expand_uri(const Uri& uri, bool visible);

std::string uuid_text(std::uint16_t u) { return hex16(u); }
std::string uuid_text(std::uint32_t u) { return hex32(u); }
std::string uuid_text(const Uuid128& u) { return format_uuid128(u); }

template <class U>
constexpr const char* width_label() {
  if constexpr (std::is_same_v<U, std::uint16_t>) return "16-bit";
  else if constexpr (std::is_same_v<U, std::uint32_t>) return "32-bit";
  else return "128-bit";
}

// Fixed-point decimal: value * num / den with `places` decimals, exact.
std::string decimal(std::uint64_t value, std::uint64_t num, std::uint64_t den, int places) {
  std::uint64_t scale = 1;
  for (int i = 0; i < places; ++i) scale *= 10;
  const std::uint64_t scaled = value * num * scale / den;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%llu.%0*llu", static_cast<unsigned long long>(scaled / scale), places,
                static_cast<unsigned long long>(scaled % scale));
  return buf;
}

// Connection interval (1.25 ms units) in ms, CSS Part A 1.9.
std::string interval_ms(std::uint16_t units) { return decimal(units, 125, 100, 2); }
// Advertising interval (0.625 ms units) in ms, CSS Part A 1.15.
std::string adv_ms(std::uint16_t units) { return decimal(units, 625, 1000, 3); }

std::string appearance_text(std::uint16_t v) {
  std::string out = hex16(v);
  auto cat = appearance_category_name(static_cast<std::uint16_t>(v >> 6));
  auto sub = appearance_subcategory_name(v);
  if (!cat.empty()) {
    out += ' ';
    out += cat;
    if (!sub.empty()) {
      out += " / ";
      out += sub;
    }
  }
  return out;
}

std::string flags_text(std::uint8_t bits) {
  std::string out = hex8(bits);
  const char* sep = " ";
  for (unsigned b = 0; b < 8; ++b) {
    if (!(bits & (1u << b))) continue;
    auto n = flag_bit_name(b);
    if (n.empty()) continue;
    out += sep;
    out += n;
    sep = ", ";
  }
  if (bits & 0xe0) {
    out += sep;
    out += "Reserved " + hex8(static_cast<std::uint8_t>(bits & 0xe0));
  }
  return out;
}

std::string data_text(const bytes& d) { return d.empty() ? "(no data)" : hex_bytes(d); }

std::string type_label(std::uint8_t type) {
  auto n = ad_type_name(type);
  return n.empty() ? "Unknown AD type " + hex8(type) : std::string(n) + " (" + hex8(type) + ")";
}

// ---------------------------------------------------------------- JSON
// Written with nlohmann::json (escaping and number formatting are the
// library's); strings that are not UTF-8 are dumped with U+FFFD in place of
// the invalid octets (error_handler_t::replace), and names and URIs also
// carry their exact octets as "<member>_hex".

void name_json(json& j, const std::string& member, std::string_view text) {
  j[member] = std::string(text);
  if (!valid_utf8(text)) j[member + "_hex"] = hex_bytes({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

// "7.5" -> 7.5: the decimal renderings above are exact, so parse them back.
double number(const std::string& decimal_text) { return std::strtod(decimal_text.c_str(), nullptr); }

json structure_json(const Structure& s) {
  json j{{"type", s.type}};
  std::visit(
      overloaded{
          [&](const Flags& f) {
            j["kind"] = "flags";
            j["flags"] = f.bits;
            json names = json::array();
            for (unsigned b = 0; b < 8; ++b)
              if ((f.bits & (1u << b)) && !flag_bit_key(b).empty()) names.push_back(flag_bit_key(b));
            j["flag_names"] = names;
          },
          [&]<class U>(const ServiceUuids<U>& l) {
            j["kind"] = std::string("uuid") + (sizeof(U) == 2 ? "16" : sizeof(U) == 4 ? "32" : "128");
            j["complete"] = l.complete;
            json uuids = json::array();
            for (const auto& u : l.uuids) uuids.push_back(uuid_text(u));
            j["uuids"] = uuids;
          },
          [&](const LocalName& n) {
            j["kind"] = "name";
            j["complete"] = n.complete;
            name_json(j, "name", n.name);
          },
          [&](const TxPower& t) {
            j["kind"] = "tx_power";
            j["dbm"] = t.dbm;
          },
          [&](const ConnIntervalRange& c) {
            j["kind"] = "conn_interval_range";
            j["min_ms"] = c.min == ConnIntervalRange::unspecified ? json(nullptr) : json(number(interval_ms(c.min)));
            j["max_ms"] = c.max == ConnIntervalRange::unspecified ? json(nullptr) : json(number(interval_ms(c.max)));
          },
          [&]<class U>(const ServiceData<U>& d) {
            j["kind"] = "service_data";
            j["uuid"] = uuid_text(d.uuid);
            j["data"] = hex_bytes(d.data);
          },
          [&](const PublicTargetAddress& p) {
            j["kind"] = "public_target_address";
            json addrs = json::array();
            for (const auto& a : p.addresses) addrs.push_back(a.to_string());
            j["addresses"] = addrs;
          },
          [&](const Appearance& a) {
            j["kind"] = "appearance";
            j["appearance"] = a.value;
            j["category"] = appearance_category_name(a.category());
            j["subcategory"] = appearance_subcategory_name(a.value);
          },
          [&](const AdvInterval& a) {
            j["kind"] = "adv_interval";
            j["interval_ms"] = number(adv_ms(a.units));
          },
          [&](const LeRole& r) {
            j["kind"] = "le_role";
            j["role"] = r.role;
            j["role_name"] = le_role_name(r.role);
          },
          [&](const Uri& u) {
            j["kind"] = "uri";
            name_json(j, "uri", expand_uri(u, false));
          },
          [&](const ManufacturerData& m) {
            j["kind"] = "manufacturer";
            j["company"] = m.company;
            j["company_name"] = company_name(m.company);
            j["data"] = hex_bytes(m.data);
          },
          [&](const Raw& r) {
            j["kind"] = "raw";
            j["type_name"] = ad_type_name(s.type);
            j["malformed"] = !decode_value(s.type, r.data).has_value();
            j["data"] = hex_bytes(r.data);
          },
      },
      s.value);
  return j;
}

}  // namespace

std::string format_uuid128(const Uuid128& u) { return att::Uuid::from128_le(u).to_string128(); }

std::string format_uri(const Uri& uri) { return expand_uri(uri, true); }

namespace {

// The scheme code point expanded (Assigned Numbers 2.7); the rest as sent
// (visible = false, for JSON) or through printable() (for a terminal).
std::string expand_uri(const Uri& uri, bool visible) {
  auto text = [&](std::string_view s) { return visible ? printable(s) : std::string(s); };
  char32_t cp = 0;
  const std::size_t n = utf8_sequence(uri.raw, 0, cp);
  if (n == 0) return text(uri.raw);
  const auto scheme = uri_scheme(static_cast<std::uint32_t>(cp));
  std::string out;
  if (scheme.known) {
    out = scheme.text;
  } else {
    out = "[scheme " + hex_int(cp, 1) + "]";
  }
  out += text(std::string_view(uri.raw).substr(n));
  return out;
}

}  // namespace

std::string format_structure(const Structure& s) {
  return std::visit(
      overloaded{
          [](const Flags& f) { return "Flags: " + flags_text(f.bits); },
          []<class U>(const ServiceUuids<U>& l) {
            std::string out = std::string(width_label<U>()) + " Service UUIDs (" +
                              (l.complete ? "complete" : "incomplete") + "):";
            if (l.uuids.empty()) return out + " none";
            const char* sep = " ";
            for (const auto& u : l.uuids) {
              out += sep;
              out += uuid_text(u);
              if constexpr (std::is_same_v<U, std::uint16_t>) {
                if (auto n = uuid16_name(u); !n.empty()) out += " (" + std::string(n) + ")";
              }
              sep = ", ";
            }
            return out;
          },
          [](const LocalName& n) {
            return std::string("Name (") + (n.complete ? "complete" : "short") + "): " + printable(n.name);
          },
          [](const TxPower& t) { return "TX Power: " + std::to_string(t.dbm) + " dBm"; },
          [](const ConnIntervalRange& c) {
            auto end = [](std::uint16_t v, const char* none) {
              return v == ConnIntervalRange::unspecified ? std::string(none) : interval_ms(v) + " ms";
            };
            return "Peripheral Connection Interval Range: " + end(c.min, "no minimum") + " - " +
                   end(c.max, "no maximum");
          },
          []<class U>(const ServiceData<U>& d) {
            return "Service Data " + uuid_text(d.uuid) + ": " + data_text(d.data);
          },
          [](const PublicTargetAddress& p) {
            std::string out = "Public Target Address:";
            const char* sep = " ";
            for (const auto& a : p.addresses) {
              out += sep + a.to_string();
              sep = ", ";
            }
            return out;
          },
          [](const Appearance& a) { return "Appearance: " + appearance_text(a.value); },
          [](const AdvInterval& a) { return "Advertising Interval: " + adv_ms(a.units) + " ms (" + hex16(a.units) + ")"; },
          [](const LeRole& r) {
            auto n = le_role_name(r.role);
            return "LE Role: " + (n.empty() ? std::string("Reserved") : std::string(n)) + " (" + hex8(r.role) + ")";
          },
          [](const Uri& u) { return "URI: " + format_uri(u); },
          [](const ManufacturerData& m) {
            std::string out = "Manufacturer " + hex16(m.company);
            if (auto n = company_name(m.company); !n.empty()) out += " (" + std::string(n) + ")";
            return out + ": " + data_text(m.data);
          },
          [&](const Raw& r) {
            const bool decodable = decode_value(s.type, r.data).has_value();
            // A known type kept raw because its data did not fit the type.
            std::string label = type_label(s.type);
            if (!decodable) label.insert(label.size() - 1, ", malformed");
            return label + ": " + data_text(r.data);
          },
      },
      s.value);
}

std::vector<std::string> format_ad(const AdData& ad) {
  std::vector<std::string> lines;
  lines.reserve(ad.structures.size() + 1);
  for (const auto& s : ad.structures) lines.push_back(format_structure(s));
  if (ad.issue) {
    lines.push_back("Malformed AD structure at offset " + std::to_string(ad.issue->offset) + " (type " +
                    hex8(ad.issue->type) + "): " + ad.issue->error.message());
  }
  return lines;
}

json to_json_value(const AdData& ad) {
  json structures = json::array();
  for (const auto& st : ad.structures) structures.push_back(structure_json(st));
  json error = nullptr;
  if (ad.issue)
    error = json{{"offset", ad.issue->offset}, {"type", ad.issue->type}, {"message", ad.issue->error.message()}};
  return json{{"structures", std::move(structures)}, {"error", std::move(error)}};
}

std::string to_json(const AdData& ad) {
  return to_json_value(ad).dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace bcms::ad
