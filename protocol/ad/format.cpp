#include "protocol/ad/format.hpp"

#include <cstdio>
#include <type_traits>

#include "protocol/ad/names.hpp"
#include "protocol/att/uuid.hpp"
#include "protocol/ad/text.hpp"

namespace bcms::ad {
namespace {

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

std::string expand_uri(const Uri& uri, bool visible);

std::string hex16(std::uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", static_cast<unsigned>(v));
  return buf;
}
std::string hex32(std::uint32_t v) {
  char buf[12];
  std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(v));
  return buf;
}
std::string hex8(std::uint8_t v) {
  char buf[6];
  std::snprintf(buf, sizeof buf, "0x%02x", static_cast<unsigned>(v));
  return buf;
}

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

std::string data_text(const bytes& d) { return d.empty() ? "(no data)" : hex(d); }

std::string type_label(std::uint8_t type) {
  auto n = ad_type_name(type);
  return n.empty() ? "Unknown AD type " + hex8(type) : std::string(n) + " (" + hex8(type) + ")";
}

// ---------------------------------------------------------------- JSON

class Json {
 public:
  explicit Json(std::string& out) : out_(out) {}
  Json& key(std::string_view k) {
    out_ += ',';
    append_json_string(out_, k);
    out_ += ':';
    return *this;
  }
  void str(std::string_view v) { append_json_string(out_, v); }
  void raw(std::string_view v) { out_ += v; }
  void num(long long v) { out_ += std::to_string(v); }
  void boolean(bool v) { out_ += v ? "true" : "false"; }

 private:
  std::string& out_;
};

void name_json(Json& j, std::string_view member, std::string_view text) {
  j.key(member).str(text);
  if (!valid_utf8(text)) {
    // The octets as sent; the string above has U+FFFD in their place.
    j.key(std::string(member) + "_hex")
        .str(hex({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}));
  }
}

void structure_json(std::string& out, const Structure& s) {
  out += "{\"type\":";
  out += std::to_string(s.type);
  Json j(out);
  std::visit(
      overloaded{
          [&](const Flags& f) {
            j.key("kind").str("flags");
            j.key("flags").num(f.bits);
            j.key("flag_names").raw("[");
            const char* sep = "";
            for (unsigned b = 0; b < 8; ++b) {
              if (!(f.bits & (1u << b)) || flag_bit_key(b).empty()) continue;
              out += sep;
              j.str(flag_bit_key(b));
              sep = ",";
            }
            out += ']';
          },
          [&]<class U>(const ServiceUuids<U>& l) {
            j.key("kind").str(std::string("uuid") + (sizeof(U) == 2 ? "16" : sizeof(U) == 4 ? "32" : "128"));
            j.key("complete").boolean(l.complete);
            j.key("uuids").raw("[");
            const char* sep = "";
            for (const auto& u : l.uuids) {
              out += sep;
              j.str(uuid_text(u));
              sep = ",";
            }
            out += ']';
          },
          [&](const LocalName& n) {
            j.key("kind").str("name");
            j.key("complete").boolean(n.complete);
            name_json(j, "name", n.name);
          },
          [&](const TxPower& t) {
            j.key("kind").str("tx_power");
            j.key("dbm").num(t.dbm);
          },
          [&](const ConnIntervalRange& c) {
            j.key("kind").str("conn_interval_range");
            j.key("min_ms").raw(c.min == ConnIntervalRange::unspecified ? "null" : interval_ms(c.min));
            j.key("max_ms").raw(c.max == ConnIntervalRange::unspecified ? "null" : interval_ms(c.max));
          },
          [&]<class U>(const ServiceData<U>& d) {
            j.key("kind").str("service_data");
            j.key("uuid").str(uuid_text(d.uuid));
            j.key("data").str(hex(d.data));
          },
          [&](const PublicTargetAddress& p) {
            j.key("kind").str("public_target_address");
            j.key("addresses").raw("[");
            const char* sep = "";
            for (const auto& a : p.addresses) {
              out += sep;
              j.str(a.to_string());
              sep = ",";
            }
            out += ']';
          },
          [&](const Appearance& a) {
            j.key("kind").str("appearance");
            j.key("appearance").num(a.value);
            j.key("category").str(appearance_category_name(a.category()));
            j.key("subcategory").str(appearance_subcategory_name(a.value));
          },
          [&](const AdvInterval& a) {
            j.key("kind").str("adv_interval");
            j.key("interval_ms").raw(adv_ms(a.units));
          },
          [&](const LeRole& r) {
            j.key("kind").str("le_role");
            j.key("role").num(r.role);
            j.key("role_name").str(le_role_name(r.role));
          },
          [&](const Uri& u) {
            j.key("kind").str("uri");
            name_json(j, "uri", expand_uri(u, false));
          },
          [&](const ManufacturerData& m) {
            j.key("kind").str("manufacturer");
            j.key("company").num(m.company);
            j.key("company_name").str(company_name(m.company));
            j.key("data").str(hex(m.data));
          },
          [&](const Raw& r) {
            j.key("kind").str("raw");
            j.key("type_name").str(ad_type_name(s.type));
            j.key("malformed").boolean(!decode_value(s.type, r.data).has_value());
            j.key("data").str(hex(r.data));
          },
      },
      s.value);
  out += '}';
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
    char buf[24];
    std::snprintf(buf, sizeof buf, "[scheme 0x%02x]", static_cast<unsigned>(cp));
    out = buf;
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

std::string to_json(const AdData& ad) {
  std::string out = "{\"structures\":[";
  const char* sep = "";
  for (const auto& s : ad.structures) {
    out += sep;
    structure_json(out, s);
    sep = ",";
  }
  out += "],\"error\":";
  if (ad.issue) {
    out += "{\"offset\":" + std::to_string(ad.issue->offset) + ",\"type\":" + std::to_string(ad.issue->type) +
           ",\"message\":";
    append_json_string(out, ad.issue->error.message());
    out += '}';
  } else {
    out += "null";
  }
  out += '}';
  return out;
}

}  // namespace bcms::ad
