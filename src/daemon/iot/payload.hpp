// The IoT backend's JSON (spec README "The IoT backend API"; seed 000
// "Spec"): request bodies built with nlohmann-json, responses parsed with
// simdjson and validated (a missing or mistyped field is
// errc::bad_response, never a default).
//
//   POST /api/iot-devices/data/submit
//     {"data": [{"iotDeviceId": ID, "dataType": TYPE,
//                "data": [{"timestamp": T, "data": {FIELD: VALUE, ...}}, ...]}, ...]}
//   POST /api/iot-devices/exists   {"hardwareIdentifier": ADDR}
//     -> {"exists": bool, "rememberDevice": bool, "id": str}
//   POST /api/iot-devices          {"hardwareIdentifier": ADDR, "model": "generic",
//                                   "connectionType": "bluetooth_le",
//                                   "connectionMeta": {}, "supportedDataTypes": []}
//     -> {"id": str, "createdAt": ..., "modifiedAt": ..., "revision": ...}
//   GET  /api/iot-devices/{id}/last-data-submission -> {"timestamp": int, "createdAt": ...}
//   OAuth2 token endpoint (RFC 6749 4.4.3 / 5.1) -> {"access_token": str, "expires_in": int}
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "protocol/expected.hpp"
#include "src/daemon/iot/outbox.hpp"

namespace bcms::iot {

class HttpClient;

enum class ValueStyle {
  numbers,  // timestamps and values as JSON numbers (what the original client sent)
  strings,  // as strings, exactly like the seed's example
};

/// The submit body for one device's samples: one entry per data type (in
/// the order of each type's first sample), its samples in order.
std::string submit_body(std::string_view iot_device_id, std::span<const Sample> samples, ValueStyle style);
std::string exists_body(std::string_view hardware_id);
std::string create_body(std::string_view hardware_id);
/// application/x-www-form-urlencoded client-credentials grant (RFC 6749
/// 4.4.2), escaped by `http`'s libcurl.
std::string token_request_body(const HttpClient& http, std::string_view client_id, std::string_view client_secret,
                               std::string_view scope);

struct ExistsAnswer {
  bool exists = false;
  bool remember_device = false;
  std::string id;  // set when exists
};
expected<ExistsAnswer> parse_exists(std::string_view body);
/// The created device's id.
expected<std::string> parse_created(std::string_view body);
/// last-data-submission's timestamp (seconds); nullopt when the backend
/// has none (`null`).
expected<std::optional<std::int64_t>> parse_last_submission(std::string_view body);

struct AccessToken {
  std::string token;
  std::chrono::seconds expires_in{0};  // 0: the answer gave no lifetime
};
expected<AccessToken> parse_token(std::string_view body);

/// A submit answer: empty, or any JSON value; anything else is garbage.
expected<void> parse_submit_answer(std::string_view body);

}  // namespace bcms::iot
