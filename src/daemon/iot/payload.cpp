#include "src/daemon/iot/payload.hpp"

#include <simdjson.h>

#include <nlohmann/json.hpp>
#include <algorithm>
#include <array>
#include <string_view>
#include <vector>

#include "src/daemon/iot/http.hpp"
#include "src/daemon/iot/iot_error.hpp"

namespace bcms::iot {
namespace {

using nlohmann::json;

json as_style(const json& v, ValueStyle style) {
  if (style == ValueStyle::numbers || v.is_string()) return v;
  return v.dump();  // 67 -> "67", 36.6 -> "36.6"
}

// simdjson DOM parse of a response body (it needs padding: a copy).
expected<simdjson::dom::element> parse(simdjson::dom::parser& p, std::string_view body) {
  simdjson::dom::element e;
  if (p.parse(body.data(), body.size(), true).get(e)) return unexpected(make_error_code(errc::bad_response));
  return e;
}

// The original's data types and their fields (spec README "The IoT
// backend API"): a backend built for them checks the shape exactly, so a
// sample of one of these types carries these fields only (a blood
// pressure's mean arterial pressure stays in the registry's readings).
// Other types (BTHome objects, weight, spo2, ...) go as they are.
struct OriginalType {
  std::string_view type;
  std::array<std::string_view, 2> fields;  // "" = none
};
constexpr OriginalType original_types[] = {
    {"heart_rate", {"rate"}},    {"battery_level", {"level"}}, {"temperature", {"level"}},
    {"pressure", {"level"}},     {"humidity", {"level"}},      {"blood_pressure", {"sys", "dias"}},
    {"alert", {"id"}},
};

bool submitted_field(std::string_view type, std::string_view field) {
  for (const auto& t : original_types)
    if (t.type == type) return std::find(t.fields.begin(), t.fields.end(), field) != t.fields.end();
  return true;
}

}  // namespace

std::string submit_body(std::string_view iot_device_id, std::span<const Sample> samples, ValueStyle style) {
  json entries = json::array();
  std::vector<std::string_view> types;  // index in `entries` by type
  for (const auto& s : samples) {
    std::size_t i = 0;
    while (i < types.size() && types[i] != s.type) ++i;
    if (i == types.size()) {
      types.push_back(s.type);
      entries.push_back({{"iotDeviceId", iot_device_id}, {"dataType", s.type}, {"data", json::array()}});
    }
    json fields = json::parse(s.data, nullptr, false);
    if (!fields.is_object()) fields = json::object();  // rows are ours: cannot happen short of a hand edit
    json data = json::object();
    for (auto& [k, v] : fields.items())
      if (submitted_field(s.type, k)) data[k] = as_style(v, style);
    entries[i]["data"].push_back({{"timestamp", as_style(s.timestamp, style)}, {"data", std::move(data)}});
  }
  return json{{"data", std::move(entries)}}.dump();
}

std::string exists_body(std::string_view hardware_id) { return json{{"hardwareIdentifier", hardware_id}}.dump(); }

std::string create_body(std::string_view hardware_id) {
  return json{{"hardwareIdentifier", hardware_id},
              {"model", "generic"},
              {"connectionType", "bluetooth_le"},
              {"connectionMeta", json::object()},
              {"supportedDataTypes", json::array()}}
      .dump();
}

std::string token_request_body(const HttpClient& http, std::string_view client_id, std::string_view client_secret,
                               std::string_view scope) {
  std::string b = "grant_type=client_credentials&client_id=" + http.escape(client_id) +
                  "&client_secret=" + http.escape(client_secret);
  if (!scope.empty()) b += "&scope=" + http.escape(scope);
  return b;
}

expected<ExistsAnswer> parse_exists(std::string_view body) {
  simdjson::dom::parser p;
  auto e = parse(p, body);
  if (!e) return unexpected(e.error());
  ExistsAnswer a;
  if ((*e)["exists"].get(a.exists)) return unexpected(make_error_code(errc::bad_response));
  bool remember = false;
  if (!(*e)["rememberDevice"].get(remember)) a.remember_device = remember;
  if (a.exists) {
    std::string_view id;
    if ((*e)["id"].get(id) || id.empty()) return unexpected(make_error_code(errc::bad_response));
    a.id = std::string(id);
  }
  return a;
}

expected<std::string> parse_created(std::string_view body) {
  simdjson::dom::parser p;
  auto e = parse(p, body);
  if (!e) return unexpected(e.error());
  std::string_view id;
  if ((*e)["id"].get(id) || id.empty()) return unexpected(make_error_code(errc::bad_response));
  return std::string(id);
}

expected<std::optional<std::int64_t>> parse_last_submission(std::string_view body) {
  simdjson::dom::parser p;
  auto e = parse(p, body);
  if (!e) return unexpected(e.error());
  simdjson::dom::element ts;
  if ((*e)["timestamp"].get(ts)) return unexpected(make_error_code(errc::bad_response));
  if (ts.is_null()) return std::optional<std::int64_t>();
  std::int64_t v = 0;
  if (ts.get(v)) return unexpected(make_error_code(errc::bad_response));
  return std::optional<std::int64_t>(v);
}

expected<AccessToken> parse_token(std::string_view body) {
  simdjson::dom::parser p;
  auto e = parse(p, body);
  if (!e) return unexpected(e.error());
  std::string_view tok;
  if ((*e)["access_token"].get(tok) || tok.empty()) return unexpected(make_error_code(errc::no_credentials));
  AccessToken t{std::string(tok), std::chrono::seconds(0)};
  std::int64_t exp = 0;
  if (!(*e)["expires_in"].get(exp) && exp > 0) t.expires_in = std::chrono::seconds(exp);
  return t;
}

expected<void> parse_submit_answer(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return {};
  simdjson::dom::parser p;
  auto e = parse(p, body);
  if (!e) return unexpected(e.error());
  return {};
}

}  // namespace bcms::iot
