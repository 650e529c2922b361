// HttpClient: libcurl multi-socket on asio (design at the top of http.hpp).
#include "src/daemon/iot/http.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <mutex>
#include <unordered_map>

#include "protocol/sys_error.hpp"
#include "src/daemon/iot/iot_error.hpp"

namespace bcms::iot {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t write_body(char* p, size_t size, size_t n, void* userp) {
  static_cast<std::string*>(userp)->append(p, size * n);
  return size * n;
}

}  // namespace

struct HttpClient::Impl : std::enable_shared_from_this<HttpClient::Impl> {
  struct Socket {
    explicit Socket(const asio::any_io_executor& ex, int fd) : d(ex, fd) {}
    asio::posix::stream_descriptor d;
    int what = 0;  // CURL_POLL_IN / OUT / INOUT
    bool reading = false, writing = false, removed = false;
  };
  struct Transfer {
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    HttpRequest request;
    HttpResponse response;
    Callback done;
    char error[CURL_ERROR_SIZE] = {};
  };

  explicit Impl(asio::any_io_executor e) : ex(std::move(e)), timer(ex) {
    global_init();
    multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &Impl::on_socket);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &Impl::on_timer);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this);
  }

  ~Impl() {
    for (auto& [easy, t] : transfers) {
      curl_multi_remove_handle(multi, easy);
      curl_easy_cleanup(easy);
      curl_slist_free_all(t->headers);
    }
    transfers.clear();
    for (auto& [fd, s] : sockets) {
      s->removed = true;
      s->d.release();
    }
    sockets.clear();
    curl_multi_cleanup(multi);
  }

  // CURLMOPT_SOCKETFUNCTION: watch `fd` for `what`, or stop watching it.
  static int on_socket(CURL*, curl_socket_t fd, int what, void* userp, void*) {
    auto* self = static_cast<Impl*>(userp);
    if (what == CURL_POLL_REMOVE) {
      if (auto it = self->sockets.find(fd); it != self->sockets.end()) {
        it->second->removed = true;
        it->second->d.release();  // cancels the waits; libcurl closes the fd
        self->sockets.erase(it);
      }
      return 0;
    }
    auto& s = self->sockets[fd];
    if (!s) s = std::make_shared<Socket>(self->ex, fd);
    s->what = what;
    self->arm(s);
    return 0;
  }

  // CURLMOPT_TIMERFUNCTION: call socket_action(TIMEOUT) in timeout_ms
  // (-1: no timeout).  Never calls libcurl from inside the callback.
  static int on_timer(CURLM*, long timeout_ms, void* userp) {
    auto* self = static_cast<Impl*>(userp);
    self->timer.cancel();
    if (timeout_ms < 0) return 0;
    self->timer.expires_after(std::chrono::milliseconds(timeout_ms));
    self->timer.async_wait([w = self->weak_from_this()](std::error_code ec) {
      auto me = w.lock();
      if (ec || !me) return;
      me->action(CURL_SOCKET_TIMEOUT, 0);
    });
    return 0;
  }

  void arm(const std::shared_ptr<Socket>& s) {
    if ((s->what & CURL_POLL_IN) && !s->reading) {
      s->reading = true;
      s->d.async_wait(asio::posix::stream_descriptor::wait_read, [w = weak_from_this(), s](std::error_code ec) {
        s->reading = false;
        auto me = w.lock();
        if (ec || !me || s->removed) return;
        me->action(s->d.native_handle(), CURL_CSELECT_IN);
        if (!s->removed) me->arm(s);
      });
    }
    if ((s->what & CURL_POLL_OUT) && !s->writing) {
      s->writing = true;
      s->d.async_wait(asio::posix::stream_descriptor::wait_write, [w = weak_from_this(), s](std::error_code ec) {
        s->writing = false;
        auto me = w.lock();
        if (ec || !me || s->removed) return;
        me->action(s->d.native_handle(), CURL_CSELECT_OUT);
        if (!s->removed) me->arm(s);
      });
    }
  }

  void action(curl_socket_t fd, int events) {
    int running = 0;
    curl_multi_socket_action(multi, fd, events, &running);
    finish_done();
  }

  // Hands every finished transfer's result to its callback (posted).
  void finish_done() {
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      auto it = transfers.find(m->easy_handle);
      if (it == transfers.end()) continue;
      std::unique_ptr<Transfer> t = std::move(it->second);
      transfers.erase(it);
      std::error_code ec;
      const CURLcode rc = m->data.result;
      if (rc == CURLE_OK) {
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->response.status);
      } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        ec = timeout_error();
      } else {
        ec = errc::transport;
        spdlog::debug("http: {} {}: {}", t->request.method, t->request.url,
                      t->error[0] ? t->error : curl_easy_strerror(rc));
      }
      curl_multi_remove_handle(multi, t->easy);
      curl_easy_cleanup(t->easy);
      curl_slist_free_all(t->headers);
      asio::post(ex, [w = weak_from_this(), done = std::move(t->done), ec, resp = std::move(t->response)]() mutable {
        if (w.lock()) done(ec, std::move(resp));
      });
    }
  }

  void start(HttpRequest req, Callback done) {
    auto t = std::make_unique<Transfer>();
    t->request = std::move(req);
    t->done = std::move(done);
    CURL* e = t->easy = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, t->request.url.c_str());
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(t->request.timeout.count()));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &write_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t->response.body);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
    for (const auto& h : t->request.headers) t->headers = curl_slist_append(t->headers, h.c_str());
    // No "Expect: 100-continue" round trip for large bodies.
    t->headers = curl_slist_append(t->headers, "Expect:");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    if (t->request.method == "POST") {
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->request.body.data());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->request.body.size()));
    } else if (t->request.method != "GET") {
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, t->request.method.c_str());
    }
    transfers.emplace(e, std::move(t));
    curl_multi_add_handle(multi, e);  // calls on_timer: the transfer starts from the loop
  }

  asio::any_io_executor ex;
  CURLM* multi = nullptr;
  asio::steady_timer timer;
  std::unordered_map<curl_socket_t, std::shared_ptr<Socket>> sockets;
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> transfers;
};

HttpClient::HttpClient(asio::any_io_executor ex) : impl_(std::make_shared<Impl>(std::move(ex))) {}
HttpClient::~HttpClient() = default;

void HttpClient::start(HttpRequest request, Callback done) { impl_->start(std::move(request), std::move(done)); }

std::size_t HttpClient::running() const noexcept { return impl_->transfers.size(); }

}  // namespace bcms::iot
