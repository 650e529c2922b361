// Backend: the IoT backend's four endpoints (payload.hpp) over
// HttpClient, with credentials: a bearer token read from a file, or an
// OAuth2 client-credentials grant against a token endpoint (RFC 6749
// 4.4), cached until 30 s before it expires.  A 401/403 drops the cached
// token (the file is read again, or a new one is requested).
//
// Every call classifies the answer once (classify()): 2xx ok; 401/403
// errc::unauthorized; other 4xx errc::client_error (the body is kept in
// last_body() for the log); 5xx and anything else errc::server_error; a
// 2xx whose body is not the expected JSON errc::bad_response; no answer
// bcms::timeout_error() or errc::transport.
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "protocol/expected.hpp"
#include "src/daemon/iot/http.hpp"
#include "src/daemon/iot/payload.hpp"

namespace bcms::iot {

struct Credentials {
  std::filesystem::path token_file;  // bearer token (surrounding whitespace trimmed)
  std::string token_url;             // OAuth2 token endpoint; used when token_file is empty
  std::string client_id;
  std::string client_secret;
  std::string scope;
};

struct BackendOptions {
  std::string base_url;  // "https://iot.example.com" (no trailing slash needed)
  Credentials credentials;
  std::chrono::milliseconds timeout{10'000};
  ValueStyle style = ValueStyle::numbers;
};

class Backend {
 public:
  Backend(HttpClient& http, BackendOptions options);

  asio::awaitable<expected<ExistsAnswer>> exists(const std::string& hardware_id);
  /// Creates the device; returns its id.
  asio::awaitable<expected<std::string>> create(const std::string& hardware_id);
  asio::awaitable<expected<std::optional<std::int64_t>>> last_submission(const std::string& iot_id);
  /// Submits one device's samples.
  asio::awaitable<expected<void>> submit(const std::string& iot_id, std::span<const Sample> samples);

  /// The body of the last answer (for logging a 4xx).
  [[nodiscard]] const std::string& last_body() const noexcept { return last_body_; }
  [[nodiscard]] long last_status() const noexcept { return last_status_; }
  [[nodiscard]] const BackendOptions& options() const noexcept { return options_; }

 private:
  asio::awaitable<expected<std::string>> token();
  /// One authorised request; the answer's body on 2xx.
  asio::awaitable<expected<std::string>> call(std::string_view method, std::string_view path, const std::string& body);

  HttpClient& http_;
  BackendOptions options_;
  std::string token_;
  std::chrono::steady_clock::time_point token_until_{};
  std::string last_body_;
  long last_status_ = 0;
};

/// What an answer means (see the top).
std::error_code classify(std::error_code transfer, const HttpResponse& r) noexcept;

}  // namespace bcms::iot
