#include "src/daemon/iot/backend.hpp"

#include <spdlog/spdlog.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <fstream>
#include <sstream>

#include "src/daemon/iot/iot_error.hpp"

namespace bcms::iot {
namespace {

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::error_code classify(std::error_code transfer, const HttpResponse& r) noexcept {
  if (transfer) return transfer;
  if (r.status >= 200 && r.status < 300) return {};
  if (r.status == 401 || r.status == 403) return errc::unauthorized;
  if (r.status >= 400 && r.status < 500) return errc::client_error;
  return errc::server_error;
}

Backend::Backend(HttpClient& http, BackendOptions options) : http_(http), options_(std::move(options)) {
  while (!options_.base_url.empty() && options_.base_url.back() == '/') options_.base_url.pop_back();
}

asio::awaitable<expected<std::string>> Backend::token() {
  const auto now = std::chrono::steady_clock::now();
  if (!token_.empty() && (token_until_ == std::chrono::steady_clock::time_point{} || now < token_until_)) {
    co_return token_;
  }
  const auto& c = options_.credentials;
  if (!c.token_file.empty()) {
    std::ifstream f(c.token_file);
    std::stringstream ss;
    ss << f.rdbuf();
    token_ = trim(ss.str());
    token_until_ = {};
    if (!f || token_.empty()) {
      spdlog::error("iot: no bearer token in {}", c.token_file.string());
      co_return unexpected(make_error_code(errc::no_credentials));
    }
    co_return token_;
  }
  if (c.token_url.empty()) co_return unexpected(make_error_code(errc::no_credentials));
  HttpRequest req{"POST", c.token_url, {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json"},
                  token_request_body(http_, c.client_id, c.client_secret, c.scope), options_.timeout};
  const auto as_tuple = asio::experimental::as_tuple(asio::use_awaitable);
  auto [ec, resp] = co_await http_.async_request(std::move(req), as_tuple);
  last_status_ = resp.status;
  if (auto e = classify(ec, resp)) {
    spdlog::warn("iot: token endpoint {}: {} (HTTP {}) {}", c.token_url, e.message(), resp.status, resp.body);
    co_return unexpected(e == errc::unauthorized ? make_error_code(errc::no_credentials) : e);
  }
  auto t = parse_token(resp.body);
  if (!t) co_return unexpected(t.error());
  token_ = std::move(t->token);
  // Renewed 30 s early; a lifetime under a minute is used for half of it.
  const auto life = t->expires_in;
  token_until_ = life.count() == 0 ? std::chrono::steady_clock::time_point{}
                 : life > std::chrono::seconds(60) ? now + life - std::chrono::seconds(30)
                                                   : now + life / 2;
  co_return token_;
}

asio::awaitable<expected<std::string>> Backend::call(std::string_view method, std::string_view path, const std::string& body) {
  auto tok = co_await token();
  if (!tok) co_return unexpected(tok.error());
  HttpRequest req;
  req.method = std::string(method);
  req.url = options_.base_url;
  req.url += path;
  req.headers = {"Authorization: Bearer " + *tok, "Accept: application/json"};
  if (req.method == "POST") req.headers.push_back("Content-Type: application/json");
  req.body = body;
  req.timeout = options_.timeout;
  const auto as_tuple = asio::experimental::as_tuple(asio::use_awaitable);
  auto [ec, resp] = co_await http_.async_request(std::move(req), as_tuple);
  last_status_ = resp.status;
  last_body_ = resp.body;
  if (auto e = classify(ec, resp)) {
    if (e == errc::unauthorized) token_.clear();
    co_return unexpected(e);
  }
  co_return std::move(resp.body);
}

asio::awaitable<expected<ExistsAnswer>> Backend::exists(const std::string& hardware_id) {
  std::string body = exists_body(hardware_id);
  auto b = co_await call("POST", "/api/iot-devices/exists", body);
  if (!b) co_return unexpected(b.error());
  co_return parse_exists(*b);
}

asio::awaitable<expected<std::string>> Backend::create(const std::string& hardware_id) {
  std::string body = create_body(hardware_id);
  auto b = co_await call("POST", "/api/iot-devices", body);
  if (!b) co_return unexpected(b.error());
  co_return parse_created(*b);
}

asio::awaitable<expected<std::optional<std::int64_t>>> Backend::last_submission(const std::string& iot_id) {
  const std::string none;
  std::string path = "/api/iot-devices/" + iot_id + "/last-data-submission";
  auto b = co_await call("GET", path, none);
  if (!b) co_return unexpected(b.error());
  co_return parse_last_submission(*b);
}

asio::awaitable<expected<void>> Backend::submit(const std::string& iot_id, std::span<const Sample> samples) {
  std::string body = submit_body(iot_id, samples, options_.style);
  auto b = co_await call("POST", "/api/iot-devices/data/submit", body);
  if (!b) co_return unexpected(b.error());
  co_return parse_submit_answer(*b);
}

}  // namespace bcms::iot
