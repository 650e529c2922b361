#include "tests/backend/state.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>

namespace bcms::testing {
namespace {

using nlohmann::json;

Reply json_reply(int status, const json& j) { return {status, j.dump(), false}; }
Reply error_reply(int status, const std::string& why) { return json_reply(status, {{"error", why}}); }

bool digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool numeric_string(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

// The fields each data type takes (spec README "Data types and payloads").
const std::map<std::string, std::vector<std::string>>& known_types() {
  static const std::map<std::string, std::vector<std::string>> t{
      {"heart_rate", {"rate"}},      {"battery_level", {"level"}}, {"temperature", {"level"}},
      {"pressure", {"level"}},       {"humidity", {"level"}},      {"blood_pressure", {"dias", "sys"}},
      {"alert", {"id"}}};
  return t;
}

// Why a submit entry's sample is malformed ("" when it is fine).
std::string check_sample(const std::string& type, const json& s) {
  if (!s.is_object() || !s.contains("timestamp") || !s.contains("data")) return "sample needs timestamp and data";
  const json& ts = s["timestamp"];
  if (!(ts.is_number_integer() || (ts.is_string() && digits(ts.get<std::string>())))) return "bad timestamp";
  const json& d = s["data"];
  if (!d.is_object() || d.empty()) return "data must be a non-empty object";
  std::vector<std::string> keys;
  for (auto& [k, v] : d.items()) {
    keys.push_back(k);
    const bool text_ok = type == "alert" || !known_types().count(type);
    if (!(v.is_number() || (v.is_string() && (text_ok || numeric_string(v.get<std::string>()))))) {
      return "bad value for " + k;
    }
  }
  if (auto it = known_types().find(type); it != known_types().end()) {
    std::sort(keys.begin(), keys.end());
    if (keys != it->second) return "wrong fields for " + type;
  }
  return "";
}

std::int64_t as_int(const json& v) { return v.is_string() ? std::stoll(v.get<std::string>()) : v.get<std::int64_t>(); }

}  // namespace

BackendState::BackendState(BackendConfig c) : config_(std::move(c)) {
  if (config_.state_file.empty()) return;
  std::ifstream in(config_.state_file);
  if (!in) return;
  const json j = json::parse(in, nullptr, false);
  if (j.is_discarded()) return;
  devices_ = j.value("devices", decltype(devices_){});
  last_ts_ = j.value("last_ts", decltype(last_ts_){});
  data_ = j.value("data", json::array());
  keys_ = j.value("keys", decltype(keys_){});
  duplicates_ = j.value("duplicates", std::uint64_t{0});
  next_id_ = j.value("next_id", 1);
}

// Written whole after each request that changed something (a test backend:
// a few hundred samples), through a temporary file and a rename.
void BackendState::save() const {
  if (config_.state_file.empty()) return;
  const std::string tmp = config_.state_file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << json{{"devices", devices_}, {"last_ts", last_ts_}, {"data", data_},
                {"keys", keys_},       {"duplicates", duplicates_}, {"next_id", next_id_}}
               .dump();
  }
  std::rename(tmp.c_str(), config_.state_file.c_str());
}

Reply BackendState::handle(const std::string& method, const std::string& url, const std::string& authorization,
                           const std::string& body) {
  const std::string path = url.substr(0, url.find('?'));
  ++requests_[method + " " + path];
  if (path == "/oauth/token" && method == "POST") return token(body);
  json j;
  if (!body.empty()) {
    j = json::parse(body, nullptr, false);
    if (j.is_discarded()) return error_reply(400, "body is not JSON");
  }
  if (path == "/_test/received" && method == "GET") return received();
  if (path == "/_test/control" && method == "POST") return control(j);
  if (path == "/_test/reset" && method == "POST") {
    const std::string file = config_.state_file;
    BackendConfig fresh = config_;
    fresh.state_file.clear();  // a reset forgets, also on disk
    *this = BackendState(fresh);
    config_.state_file = file;
    save();
    return json_reply(200, json::object());
  }
  if (path.rfind("/api/", 0) != 0) return error_reply(404, "no such endpoint");
  const std::string bearer = "Bearer ";
  const bool authorised = authorization.rfind(bearer, 0) == 0 &&
                          (authorization.substr(bearer.size()) == config_.token ||
                           tokens_.count(authorization.substr(bearer.size())));
  if (!authorised) return error_reply(401, "missing or wrong bearer token");
  const Rule* rule = match(path, j);
  const std::string mode = rule ? rule->mode : "ok";
  if (mode == "hang") return {0, "", true};
  if (mode == "fail") return error_reply(rule->status ? rule->status : 503, "failing as told");
  if (mode == "garbage") return {200, "<html>this is not JSON", false};
  if (mode == "reject") return error_reply(rule->status ? rule->status : 400, "rejected as told");
  Reply r = api(method, path, j);
  if (method == "POST") save();
  if (mode == "hang_after_record") r.hang = true;
  return r;
}

const Rule* BackendState::match(const std::string& url, const json& body) {
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if (!it->path.empty() && url.find(it->path) == std::string::npos) continue;
    if (!it->device.empty()) {
      bool names = false;
      if (body.is_object() && body.contains("data") && body["data"].is_array()) {
        for (const auto& e : body["data"]) names = names || (e.is_object() && e.value("iotDeviceId", "") == it->device);
      }
      if (!names) continue;
    }
    if (it->count == 0) continue;
    if (it->count > 0) --it->count;
    return &*it;
  }
  return nullptr;
}

Reply BackendState::api(const std::string& method, const std::string& path, const json& body) {
  if (path == "/api/iot-devices/data/submit" && method == "POST") return submit(body);
  if (path == "/api/iot-devices/exists" && method == "POST") {
    if (!body.is_object() || !body.contains("hardwareIdentifier") || !body["hardwareIdentifier"].is_string() ||
        body.size() != 1) {
      return error_reply(400, "exists takes {hardwareIdentifier}");
    }
    auto it = devices_.find(body["hardwareIdentifier"].get<std::string>());
    const bool found = it != devices_.end();
    return json_reply(200, {{"exists", found}, {"rememberDevice", found}, {"id", found ? it->second : ""}});
  }
  if (path == "/api/iot-devices" && method == "POST") {
    const bool shape = body.is_object() && body.size() == 5 && body.value("hardwareIdentifier", json()).is_string() &&
                       body.value("model", "") == "generic" && body.value("connectionType", "") == "bluetooth_le" &&
                       body.value("connectionMeta", json()).is_object() &&
                       body.value("supportedDataTypes", json()).is_array();
    if (!shape) return error_reply(400, "create takes the original's five fields");
    const std::string hw = body["hardwareIdentifier"].get<std::string>();
    if (devices_.count(hw)) return error_reply(409, "device exists");
    char id[64];
    std::snprintf(id, sizeof id, "cd553938-8960-4e70-864a-%012d", next_id_++);
    devices_[hw] = id;
    return json_reply(201, {{"id", id}, {"hardwareIdentifier", hw}, {"createdAt", "2026-01-01T00:00:00Z"},
                            {"modifiedAt", "2026-01-01T00:00:00Z"}, {"revision", 1}});
  }
  const std::string prefix = "/api/iot-devices/", suffix = "/last-data-submission";
  if (method == "GET" && path.size() > prefix.size() + suffix.size() && path.rfind(prefix, 0) == 0 &&
      path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0) {
    const std::string id = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
    const bool known = std::any_of(devices_.begin(), devices_.end(), [&](const auto& kv) { return kv.second == id; });
    if (!known) return error_reply(404, "no such device");
    auto it = last_ts_.find(id);
    return json_reply(200, {{"timestamp", it == last_ts_.end() ? json(nullptr) : json(it->second)},
                            {"createdAt", "2026-01-01T00:00:00Z"}});
  }
  return error_reply(404, "no such endpoint");
}

Reply BackendState::submit(const json& body) {
  if (!body.is_object() || body.size() != 1 || !body.contains("data") || !body["data"].is_array()) {
    return error_reply(400, "submit takes {data: [...]}");
  }
  // Validate everything first: a malformed request stores nothing.
  for (const auto& e : body["data"]) {
    if (!e.is_object() || e.size() != 3 || !e.value("iotDeviceId", json()).is_string() ||
        !e.value("dataType", json()).is_string() || !e.value("data", json()).is_array()) {
      return error_reply(400, "entry takes {iotDeviceId, dataType, data: [...]}");
    }
    const std::string id = e["iotDeviceId"].get<std::string>();
    if (std::none_of(devices_.begin(), devices_.end(), [&](const auto& kv) { return kv.second == id; })) {
      return error_reply(404, "unknown iotDeviceId " + id);
    }
    for (const auto& s : e["data"]) {
      if (auto why = check_sample(e["dataType"].get<std::string>(), s); !why.empty()) return error_reply(400, why);
    }
  }
  std::uint64_t accepted = 0, dup = 0;
  for (const auto& e : body["data"]) {
    const std::string id = e["iotDeviceId"].get<std::string>();
    const std::string type = e["dataType"].get<std::string>();
    for (const auto& s : e["data"]) {
      const std::int64_t ts = as_int(s["timestamp"]);
      if (!keys_.insert(id + "/" + type + "/" + std::to_string(ts)).second) {
        ++dup;
        continue;
      }
      ++accepted;
      data_.push_back({{"iotDeviceId", id}, {"dataType", type}, {"timestamp", s["timestamp"]}, {"data", s["data"]}});
      last_ts_[id] = std::max(last_ts_[id], ts);
    }
  }
  duplicates_ += dup;
  return json_reply(200, {{"accepted", accepted}, {"duplicates", dup}});
}

Reply BackendState::token(const std::string& body) {
  // application/x-www-form-urlencoded; our values need no unescaping.
  std::map<std::string, std::string> form;
  std::size_t pos = 0;
  while (pos <= body.size()) {
    const std::size_t amp = std::min(body.find('&', pos), body.size());
    const std::string kv = body.substr(pos, amp - pos);
    const std::size_t eq = kv.find('=');
    if (eq != std::string::npos) form[kv.substr(0, eq)] = kv.substr(eq + 1);
    pos = amp + 1;
  }
  if (form["grant_type"] != "client_credentials") return error_reply(400, "unsupported_grant_type");
  if (form["client_id"] != config_.client_id || form["client_secret"] != config_.client_secret) {
    return error_reply(401, "invalid_client");
  }
  const std::string t = "oauth-" + std::to_string(tokens_.size() + 1);
  tokens_.insert(t);
  return json_reply(200, {{"access_token", t}, {"token_type", "Bearer"}, {"expires_in", config_.token_lifetime}});
}

Reply BackendState::control(const json& body) {
  if (!body.is_object() || !body.value("mode", json()).is_string()) return error_reply(400, "control takes {mode}");
  Rule r;
  r.mode = body["mode"].get<std::string>();
  static const std::set<std::string> modes{"ok", "fail", "hang", "garbage", "reject", "hang_after_record"};
  if (!modes.count(r.mode)) return error_reply(400, "unknown mode " + r.mode);
  r.count = body.value("count", -1);
  r.path = body.value("path", "");
  r.device = body.value("device", "");
  r.status = body.value("status", 0);
  if (body.value("clear", false)) rules_.clear();
  rules_.insert(rules_.begin(), r);  // the newest rule first
  return json_reply(200, json::object());
}

Reply BackendState::received() const {
  json devices = json::array();
  for (const auto& [hw, id] : devices_) devices.push_back({{"hardwareIdentifier", hw}, {"id", id}});
  json requests = json::object();
  for (const auto& [k, n] : requests_) requests[k] = n;
  return json_reply(200, {{"data", data_}, {"duplicates", duplicates_}, {"devices", devices}, {"requests", requests}});
}

}  // namespace bcms::testing
