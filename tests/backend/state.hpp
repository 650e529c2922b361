// The test backend's behaviour, apart from HTTP (backend.cpp serves it
// with kj-http): the IoT backend's four endpoints (spec README "The IoT
// backend API"), an OAuth2 token endpoint, and the /_test/ control
// endpoints.  Everything a test can observe goes through HTTP.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace bcms::testing {

struct Reply {
  int status = 200;
  std::string body;
  bool hang = false;  // never answer (the connection stays open)
};

struct BackendConfig {
  std::string token = "test-token";        // the bearer token accepted
  std::string client_id = "test-client";   // OAuth2 client credentials
  std::string client_secret = "test-secret";
  int token_lifetime = 3600;               // seconds, in issued tokens' expires_in
  std::string state_file;                  // --state: devices and data kept across restarts
};

/// A rule set by POST /_test/control: how to answer the next `count`
/// matching requests (-1: all, until the next control or reset).
struct Rule {
  std::string mode;    // ok, fail, hang, garbage, reject, hang_after_record
  int count = -1;
  std::string path;    // applies to URLs containing this ("" = every /api URL)
  std::string device;  // submit only: applies when the body names this iotDeviceId
  int status = 0;      // for fail (default 503) and reject (default 400)
};

class BackendState {
 public:
  /// Loads config.state_file when it exists (a backend that was stopped
  /// and started again remembers its devices and data, as a real one does).
  explicit BackendState(BackendConfig c);
  /// One request: method "GET"/"POST", url (path and query), the
  /// Authorization header's value, the body.
  Reply handle(const std::string& method, const std::string& url, const std::string& authorization,
               const std::string& body);

 private:
  Reply api(const std::string& method, const std::string& url, const nlohmann::json& body);
  Reply submit(const nlohmann::json& body);
  Reply token(const std::string& body);
  Reply control(const nlohmann::json& body);
  Reply received() const;
  const Rule* match(const std::string& url, const nlohmann::json& body);
  void save() const;

  BackendConfig config_;
  std::set<std::string> tokens_;                 // issued by /oauth/token
  std::map<std::string, std::string> devices_;   // hardwareIdentifier -> id
  std::map<std::string, std::int64_t> last_ts_;  // id -> newest timestamp received
  nlohmann::json data_ = nlohmann::json::array();  // every sample received, in order
  std::set<std::string> keys_;                   // id/type/timestamp of data_
  std::uint64_t duplicates_ = 0;
  std::map<std::string, std::uint64_t> requests_;  // "METHOD path" -> count
  std::vector<Rule> rules_;
  int next_id_ = 1;
};

}  // namespace bcms::testing
