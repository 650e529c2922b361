#include "cli/mgmt/common.hpp"

#include "protocol/ad/format.hpp"
#include "protocol/codec_error.hpp"

namespace bcms::cli {

std::string hci(std::uint16_t index) { return "hci" + std::to_string(index); }

int print_settings(Ctx& ctx, std::string_view command, std::uint32_t settings) {
  if (ctx.json_output) {
    ctx.emit(json{{"index", ctx.index}, {"command", command}, {"current_settings", settings},
                  {"settings", mgmt::settings_string(settings)}});
  } else {
    std::cout << hci(ctx.idx()) << " " << command << " complete, settings: " << mgmt::settings_string(settings)
              << "\n";
  }
  return kOk;
}

std::string_view addr_type_text(AddressType t) {
  switch (t) {
    case AddressType::bredr: return "BR/EDR";
    case AddressType::le_public: return "LE Public";
    case AddressType::le_random: return "LE Random";
  }
  return "unknown";
}

Address must_address(const std::string& s) { return *Address::parse(s); }

bytes must_hex(Ctx& ctx, std::string_view what, std::string_view text) {
  std::size_t at = 0;
  auto d = parse_hex(text, &at);
  if (d) return std::move(*d);
  std::string why;
  if (d.error() == codec_errc::invalid_length) why = "odd number of digits";
  else if (at >= text.size()) why = "a digit expected at the end";
  else why = "unexpected '" + std::string(1, text[at]) + "' at offset " + std::to_string(at);
  throw ExitError{ctx.usage(std::string(what) + " (" + why + ")")};
}

AddressType must_address_type(Ctx& ctx, const std::string& s) {
  auto t = parse_address_type(s);
  if (!t) throw ExitError{ctx.usage("invalid address type '" + s + "' (use public, random or bredr)")};
  return *t;
}

void print_ad(byte_span data, const std::string& indent) {
  auto ad = ad::parse_ad(data);
  for (const auto& line : ad::format_ad(ad)) std::cout << indent << line << "\n";
}

json ad_json(byte_span data) { return ad::to_json_value(ad::parse_ad(data)); }

namespace {
constexpr std::string_view kIoCaps[] = {"DisplayOnly", "DisplayYesNo", "KeyboardOnly", "NoInputNoOutput",
                                        "KeyboardDisplay"};
}

expected<std::uint8_t> parse_io_cap(std::string_view s) {
  for (std::uint8_t i = 0; i < 5; ++i) {
    std::string a(kIoCaps[i]), b(s);
    for (auto& c : a) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (auto& c : b) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (a == b || s == std::to_string(i)) return i;
  }
  return fail(codec_errc::invalid_value);
}

std::string_view io_cap_name(std::uint8_t cap) { return cap < 5 ? kIoCaps[cap] : "unknown"; }

}  // namespace bcms::cli
