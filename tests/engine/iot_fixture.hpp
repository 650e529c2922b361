// Shared by the IoT engine tests: a loop, an HttpClient, a temporary
// directory, a running bcms-test-backend and helpers to talk to its
// /_test/ endpoints and to run a coroutine to completion.
#pragma once

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "src/daemon/iot/backend.hpp"
#include "src/daemon/iot/curl_lib.hpp"
#include "src/daemon/iot/http.hpp"
#include "tests/backend/process.hpp"

namespace bcms::testing {

/// libcurl, loaded as the daemon loads it; a test cannot run without it.
inline const iot::CurlLib& curl() {
  std::string why;
  if (const iot::CurlLib* c = iot::curl_lib(&why)) return *c;
  throw std::runtime_error("libcurl: " + why);
}

/// Runs `aw` on `io` until it completes; returns its value.
template <class T>
T run_co(asio::io_context& io, asio::awaitable<T> aw) {
  std::optional<T> out;
  std::exception_ptr error;
  asio::co_spawn(io, std::move(aw), [&](std::exception_ptr e, T v) {
    error = e;
    out.emplace(std::move(v));
  });
  io.restart();
  while (!out && !error) io.run_one();
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

class TempDir {
 public:
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "bcms-iot-XXXXXX").string();
    if (!::mkdtemp(t.data())) throw std::runtime_error("mkdtemp");
    path_ = t;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

struct IotFixture {
  asio::io_context io;
  iot::HttpClient http{io.get_executor(), curl()};
  TempDir dir;
  BackendProcess backend;

  /// One request, waited for on the loop.
  iot::HttpResponse fetch(const std::string& method, const std::string& path, const std::string& body = {}) {
    iot::HttpRequest r{method, backend.url() + path, {"Content-Type: application/json"}, body,
                       std::chrono::milliseconds(5000)};
    std::optional<iot::HttpResponse> out;
    http.start(std::move(r), [&](std::error_code ec, iot::HttpResponse resp) {
      if (ec) resp.status = -1;
      out = std::move(resp);
    });
    io.restart();
    while (!out) io.run_one();
    return *out;
  }
  nlohmann::json received() { return nlohmann::json::parse(fetch("GET", "/_test/received").body); }
  void control(const nlohmann::json& rule) { fetch("POST", "/_test/control", rule.dump()); }

  iot::BackendOptions backend_options(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) {
    std::filesystem::path token = dir.path() / "token";
    if (!std::filesystem::exists(token)) {
      FILE* f = std::fopen(token.c_str(), "w");
      std::fputs("test-token\n", f);
      std::fclose(f);
    }
    iot::BackendOptions o;
    o.base_url = backend.url();
    o.credentials.token_file = token;
    o.timeout = timeout;
    return o;
  }
};

}  // namespace bcms::testing
