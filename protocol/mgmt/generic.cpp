#include "protocol/mgmt/generic.hpp"

#include <charconv>
#include <map>
#include <optional>

#include "protocol/address.hpp"
#include "protocol/codec_error.hpp"
#include "protocol/hex.hpp"

// Design: both directions walk a FieldDesc list in wire order.  decode
// reads with ByteReader and remembers the integer value of every field so
// that a list or data field finds its count/length by the descriptor's
// `link`.  encode first collects the arguments into a map (normalised
// keys), sizes every list and data field, then writes in wire order,
// computing the count/length fields.

namespace bcms::mgmt {
namespace {

// ------------------------------------------------------------------ text

/// Decimal or 0x-hex; negative only when `is_signed`.  Range-checked for
/// `octets`.
expected<std::uint64_t> parse_int(std::string_view s, std::size_t octets, bool is_signed) {
  bool neg = !s.empty() && s.front() == '-';
  if (neg) {
    if (!is_signed) return fail(codec_errc::invalid_value);
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size()) return fail(codec_errc::invalid_value);
  const unsigned bits = static_cast<unsigned>(octets * 8);
  const std::uint64_t umax = bits >= 64 ? ~0ull : (1ull << bits) - 1;
  if (is_signed && bits < 64) {
    const std::uint64_t lim = 1ull << (bits - 1);
    if (neg ? v > lim : (v > umax)) return fail(codec_errc::invalid_value);
    if (neg) v = (~v + 1) & umax;  // two's complement in `octets`
  } else if (v > umax) {
    return fail(codec_errc::invalid_value);
  }
  return v;
}

std::string norm_key(std::string_view k) {
  std::string s(k);
  for (auto& c : s) {
    if (c == ' ' || c == '-') c = '_';
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

bool scalar_list(const FieldDesc& f) noexcept {
  return f.kind == FieldKind::list && f.record.size() == 1;
}

// ------------------------------------------------------------------ decode

std::string scalar_text(const FieldDesc& f, ByteReader& r, std::uint64_t& ival) {
  switch (f.kind) {
    case FieldKind::uint:
    case FieldKind::count:
    case FieldKind::length:
    case FieldKind::sint: {
      std::uint64_t v = 0;
      for (std::size_t i = 0; i < f.size; ++i) {
        std::uint8_t b = 0;
        r.u8(b);
        v |= static_cast<std::uint64_t>(b) << (8 * i);
      }
      ival = v;
      if (f.kind == FieldKind::uint) return hex_int(v, f.size);
      if (f.kind != FieldKind::sint) return std::to_string(v);
      const unsigned bits = f.size * 8u;
      std::int64_t s = static_cast<std::int64_t>(v);
      if (bits < 64 && (v >> (bits - 1)) & 1) s = static_cast<std::int64_t>(v | ~((1ull << bits) - 1));
      return std::to_string(s);
    }
    case FieldKind::address: {
      Address a;
      r.array(a.b);
      return a.to_string();
    }
    case FieldKind::address_type: {
      std::uint8_t t = 0;
      r.u8(t);
      ival = t;
      return t <= 2 ? std::string(to_string(static_cast<AddressType>(t))) : std::to_string(t);
    }
    case FieldKind::bytes: {
      byte_span s;
      r.view(f.size, s);
      return hex_bytes(s);
    }
    case FieldKind::string: {
      // at most size-1 characters: the last octet is the terminator
      byte_span s;
      if (!r.view(f.size, s) || s.empty()) return {};
      return std::string(nul_padded(s.first(s.size() - 1)));
    }
    default:
      return {};
  }
}

std::error_code decode_block(std::span<const FieldDesc> fields, ByteReader& r, const std::string& prefix,
                             std::vector<NamedValue>& out) {
  std::vector<std::uint64_t> ival(fields.size(), 0);
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const FieldDesc& f = fields[i];
    // a trailing optional group is absent (no octets left) or complete
    if (f.optional && (i == 0 || !fields[i - 1].optional) && r.empty()) break;
    const std::string name = prefix + std::string(f.key);
    switch (f.kind) {
      case FieldKind::data: {
        byte_span s;
        if (!r.view(static_cast<std::size_t>(ival[static_cast<std::size_t>(f.link)]), s))
          return make_error_code(codec_errc::truncated);
        out.push_back({name, hex_bytes(s)});
        break;
      }
      case FieldKind::tail: {
        byte_span s = r.rest();
        if (s.size() < f.size) return make_error_code(codec_errc::truncated);
        out.push_back({name, hex_bytes(s)});
        break;
      }
      case FieldKind::list: {
        const bool counted = f.link >= 0;
        const std::uint64_t n = counted ? ival[static_cast<std::size_t>(f.link)] : 0;
        std::string joined;
        for (std::uint64_t k = 0; counted ? k < n : (r.ok() && !r.empty()); ++k) {
          if (scalar_list(f)) {
            std::uint64_t dummy = 0;
            std::string t = scalar_text(f.record[0], r, dummy);
            if (!r.ok()) return make_error_code(codec_errc::truncated);
            if (k) joined += ',';
            joined += t;
          } else {
            std::string p = name + "[" + std::to_string(k) + "].";
            if (auto ec = decode_block(f.record, r, p, out)) return ec;
          }
        }
        if (scalar_list(f)) out.push_back({name, joined});
        break;
      }
      default:
        out.push_back({name, scalar_text(f, r, ival[i])});
        break;
    }
    if (!r.ok()) return make_error_code(codec_errc::truncated);
  }
  return {};
}

// ------------------------------------------------------------------ encode

using Args = std::map<std::string, std::string, std::less<>>;

struct Encoder {
  Args args;
  std::map<std::string, bool, std::less<>> used;

  std::optional<std::string> take(const std::string& k) {
    auto it = args.find(k);
    if (it == args.end()) return std::nullopt;
    used[k] = true;
    return it->second;
  }

  // The argument for field `f` (its key, or its normalised spec name; the
  // address type after an address also answers to "type").
  std::optional<std::string> arg(const FieldDesc& f, const std::string& prefix, bool type_alias) {
    if (auto v = take(prefix + std::string(f.key))) return v;
    if (auto v = take(prefix + norm_key(f.name))) return v;
    if (type_alias)
      if (auto v = take(prefix + "type")) return v;
    return std::nullopt;
  }

  /// Number of entries given for record list `name` (max index + 1).
  std::size_t record_count(const std::string& name) const {
    std::size_t n = 0;
    const std::string p = name + "[";
    for (auto it = args.lower_bound(p); it != args.end() && it->first.compare(0, p.size(), p) == 0; ++it) {
      std::size_t idx = 0;
      auto [q, ec] = std::from_chars(it->first.data() + p.size(), it->first.data() + it->first.size(), idx);
      if (ec == std::errc{} && *q == ']' && idx < 0x10000 && idx + 1 > n) n = idx + 1;
    }
    return n;
  }

  std::error_code scalar(const FieldDesc& f, const std::optional<std::string>& v, ByteWriter& w) {
    switch (f.kind) {
      case FieldKind::uint:
      case FieldKind::sint: {
        std::uint64_t x = 0;
        if (v) {
          auto p = parse_int(*v, f.size, f.kind == FieldKind::sint);
          if (!p) return p.error();
          x = *p;
        }
        for (std::size_t i = 0; i < f.size; ++i) w.u8(static_cast<std::uint8_t>(x >> (8 * i)));
        return {};
      }
      case FieldKind::address: {
        Address a;
        if (v) {
          auto p = Address::parse(*v);
          if (!p) return p.error();
          a = *p;
        }
        w.array(a.b);
        return {};
      }
      case FieldKind::address_type: {
        AddressType t = AddressType::bredr;
        if (v) {
          auto p = parse_address_type(*v);
          if (!p) return p.error();
          t = *p;
        }
        w.u8(static_cast<std::uint8_t>(t));
        return {};
      }
      case FieldKind::bytes: {
        bytes b(f.size, 0);
        if (v) {
          auto p = parse_hex(*v);
          if (!p) return p.error();
          if (p->size() != f.size) return make_error_code(codec_errc::invalid_value);
          b = std::move(*p);
        }
        w.raw(b);
        return {};
      }
      case FieldKind::string: {
        std::string s = v.value_or("");
        if (s.size() >= f.size) return make_error_code(codec_errc::too_long);
        w.padded_string(s, f.size);
        return {};
      }
      default:
        return make_error_code(codec_errc::invalid_value);
    }
  }

  std::error_code block(std::span<const FieldDesc> fields, const std::string& prefix, ByteWriter& w) {
    // Pass 1: the value of every list and data field, to size them.
    std::vector<bytes> data(fields.size());
    std::vector<std::vector<std::string>> items(fields.size());
    std::vector<std::size_t> sizes(fields.size(), 0);
    std::vector<bool> present(fields.size(), false);
    bool any_optional = false;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const FieldDesc& f = fields[i];
      const std::string k = prefix + std::string(f.key);
      if (f.kind == FieldKind::data || f.kind == FieldKind::tail) {
        if (auto v = arg(f, prefix, false)) {
          auto p = parse_hex(*v);
          if (!p) return p.error();
          data[i] = std::move(*p);
        }
        if (data[i].size() < (f.kind == FieldKind::tail ? f.size : 0u))
          return make_error_code(codec_errc::invalid_value);
        sizes[i] = data[i].size();
      } else if (scalar_list(f)) {
        if (auto v = arg(f, prefix, false)) {
          std::string_view s = *v;
          while (!s.empty()) {
            auto c = s.find(',');
            items[i].emplace_back(s.substr(0, c));
            s = c == std::string_view::npos ? std::string_view{} : s.substr(c + 1);
          }
        }
        sizes[i] = items[i].size();
      } else if (f.kind == FieldKind::list) {
        sizes[i] = record_count(k);
      } else if (f.optional) {
        present[i] = args.count(k) > 0 || args.count(prefix + norm_key(f.name)) > 0;
        any_optional = any_optional || present[i];
      }
    }
    // Pass 2: write in wire order.
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const FieldDesc& f = fields[i];
      const std::string k = prefix + std::string(f.key);
      if (f.optional && !any_optional) break;
      const bool type_alias = f.kind == FieldKind::address_type && i > 0 && fields[i - 1].kind == FieldKind::address;
      switch (f.kind) {
        case FieldKind::count:
        case FieldKind::length: {
          const std::size_t n = sizes[static_cast<std::size_t>(f.link)];
          const std::uint64_t max = f.size >= 8 ? ~0ull : (1ull << (8 * f.size)) - 1;
          if (n > max) return make_error_code(codec_errc::too_long);
          if (auto v = arg(f, prefix, false)) {
            auto p = parse_int(*v, f.size, false);
            if (!p || *p != n) return make_error_code(codec_errc::invalid_value);
          }
          for (std::size_t b = 0; b < f.size; ++b) w.u8(static_cast<std::uint8_t>(n >> (8 * b)));
          break;
        }
        case FieldKind::data:
        case FieldKind::tail:
          w.raw(data[i]);
          break;
        case FieldKind::list:
          if (scalar_list(f)) {
            for (const auto& it : items[i])
              if (auto ec = scalar(f.record[0], it, w)) return ec;
          } else {
            for (std::size_t n = 0; n < sizes[i]; ++n)
              if (auto ec = block(f.record, k + "[" + std::to_string(n) + "].", w)) return ec;
          }
          break;
        default:
          if (auto ec = scalar(f, arg(f, prefix, type_alias), w)) return ec;
      }
    }
    return {};
  }
};

}  // namespace

expected<bytes> encode_fields(std::span<const FieldDesc> fields, std::span<const std::string> args) {
  Encoder e;
  for (const auto& a : args) {
    auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0) return fail(codec_errc::invalid_value);
    auto [it, fresh] = e.args.emplace(norm_key(std::string_view(a).substr(0, eq)), a.substr(eq + 1));
    if (!fresh) return fail(codec_errc::invalid_value);  // the same key twice
  }
  bytes out;
  ByteWriter w(out);
  if (auto ec = e.block(fields, "", w)) return unexpected(ec);
  for (const auto& [k, v] : e.args)
    if (!e.used.count(k)) return fail(codec_errc::invalid_value);  // unknown key
  return out;
}

expected<std::vector<NamedValue>> decode_fields(std::span<const FieldDesc> fields, byte_span params) {
  std::vector<NamedValue> out;
  ByteReader r(params);
  if (auto ec = decode_block(fields, r, "", out)) return unexpected(ec);
  if (!r.empty()) return fail(codec_errc::trailing_bytes);
  return out;
}

}  // namespace bcms::mgmt
