// HttpClient: libcurl's multi-socket interface driven by the asio loop.
//
// libcurl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and
// when to time out (CURLMOPT_TIMERFUNCTION); we watch them with asio
// (a non-owning posix::stream_descriptor per socket, async_wait for
// read/write readiness) and a steady_timer, and call
// curl_multi_socket_action when either fires.  Nothing blocks the loop:
// DNS for "127.0.0.1"/IP literals needs no resolver, and libcurl runs
// name resolution for host names in its threaded resolver.  Completions
// are posted to the loop, never run inside a libcurl callback.
//
// Sockets stay libcurl's: it opens and closes them; we release() the
// descriptor when libcurl says CURL_POLL_REMOVE (which it does before
// closing).  Per the libcurl docs (curl_multi_socket_action(3),
// CURLMOPT_SOCKETFUNCTION(3)).
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace bcms::iot {

struct CurlLib;

struct HttpRequest {
  std::string method = "GET";            // GET or POST
  std::string url;
  std::vector<std::string> headers;      // "Name: value"
  std::string body;                      // sent when method is POST
  std::chrono::milliseconds timeout{10'000};  // the whole transfer, connect included
};

struct HttpResponse {
  long status = 0;  // HTTP status; 0 when no response came
  std::string body;
};

class HttpClient {
 public:
  using Callback = std::function<void(std::error_code, HttpResponse)>;

  /// `curl`: libcurl as curl_lib() loaded it (it outlives every client).
  HttpClient(asio::any_io_executor ex, const CurlLib& curl);
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  /// Abandons transfers still running (their callbacks are not called).
  ~HttpClient();

  /// Starts a transfer; `done` runs on the loop with the response (any
  /// status: the caller decides what a status means), or with
  /// bcms::timeout_error() / iot errc::transport when no response came.
  void start(HttpRequest request, Callback done);

  /// The same as an asio async operation (use_awaitable, ...).
  template <class Token>
  auto async_request(HttpRequest request, Token&& token) {
    return asio::async_initiate<Token, void(std::error_code, HttpResponse)>(
        [this](auto handler, HttpRequest r) {
          auto h = std::make_shared<decltype(handler)>(std::move(handler));
          start(std::move(r), [h](std::error_code ec, HttpResponse resp) { (*h)(ec, std::move(resp)); });
        },
        token, std::move(request));
  }

  [[nodiscard]] std::size_t running() const noexcept;

  /// `s` percent-encoded for a URL or an x-www-form-urlencoded body
  /// (curl_easy_escape: everything but ALPHA / DIGIT / "-._~").
  [[nodiscard]] std::string escape(std::string_view s) const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace bcms::iot
