// HttpClient: libcurl multi-socket on asio (design at the top of http.hpp).
#include "src/daemon/iot/http.hpp"

#include <spdlog/spdlog.h>

#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <unordered_map>

#include "protocol/sys_error.hpp"
#include "src/daemon/iot/curl_lib.hpp"
#include "src/daemon/iot/iot_error.hpp"

namespace bcms::iot {
namespace {

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

  Impl(asio::any_io_executor e, const CurlLib& lib) : c(lib), ex(std::move(e)), timer(ex) {
    multi = c.multi_init();
    c.multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &Impl::on_socket);
    c.multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
    c.multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &Impl::on_timer);
    c.multi_setopt(multi, CURLMOPT_TIMERDATA, this);
  }

  ~Impl() {
    for (auto& [easy, t] : transfers) {
      c.multi_remove_handle(multi, easy);
      c.easy_cleanup(easy);
      c.slist_free_all(t->headers);
    }
    transfers.clear();
    for (auto& [fd, s] : sockets) {
      s->removed = true;
      s->d.release();
    }
    sockets.clear();
    c.multi_cleanup(multi);
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
    c.multi_socket_action(multi, fd, events, &running);
    finish_done();
  }

  // Hands every finished transfer's result to its callback (posted).
  void finish_done() {
    int left = 0;
    while (CURLMsg* m = c.multi_info_read(multi, &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      auto it = transfers.find(m->easy_handle);
      if (it == transfers.end()) continue;
      std::unique_ptr<Transfer> t = std::move(it->second);
      transfers.erase(it);
      std::error_code ec;
      const CURLcode rc = m->data.result;
      if (rc == CURLE_OK) {
        c.easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->response.status);
      } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        ec = timeout_error();
      } else {
        ec = errc::transport;
        spdlog::debug("http: {} {}: {}", t->request.method, t->request.url,
                      t->error[0] ? t->error : c.easy_strerror(rc));
      }
      c.multi_remove_handle(multi, t->easy);
      c.easy_cleanup(t->easy);
      c.slist_free_all(t->headers);
      asio::post(ex, [w = weak_from_this(), done = std::move(t->done), ec, resp = std::move(t->response)]() mutable {
        if (w.lock()) done(ec, std::move(resp));
      });
    }
  }

  void start(HttpRequest req, Callback done) {
    auto t = std::make_unique<Transfer>();
    t->request = std::move(req);
    t->done = std::move(done);
    CURL* e = t->easy = c.easy_init();
    c.easy_setopt(e, CURLOPT_URL, t->request.url.c_str());
    c.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    c.easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    c.easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(t->request.timeout.count()));
    c.easy_setopt(e, CURLOPT_WRITEFUNCTION, &write_body);
    c.easy_setopt(e, CURLOPT_WRITEDATA, &t->response.body);
    c.easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
    for (const auto& h : t->request.headers) t->headers = c.slist_append(t->headers, h.c_str());
    // No "Expect: 100-continue" round trip for large bodies.
    t->headers = c.slist_append(t->headers, "Expect:");
    c.easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    if (t->request.method == "POST") {
      c.easy_setopt(e, CURLOPT_POSTFIELDS, t->request.body.data());
      c.easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->request.body.size()));
    } else if (t->request.method != "GET") {
      c.easy_setopt(e, CURLOPT_CUSTOMREQUEST, t->request.method.c_str());
    }
    transfers.emplace(e, std::move(t));
    c.multi_add_handle(multi, e);  // calls on_timer: the transfer starts from the loop
  }

  const CurlLib& c;
  asio::any_io_executor ex;
  CURLM* multi = nullptr;
  asio::steady_timer timer;
  std::unordered_map<curl_socket_t, std::shared_ptr<Socket>> sockets;
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> transfers;
};

HttpClient::HttpClient(asio::any_io_executor ex, const CurlLib& curl)
    : impl_(std::make_shared<Impl>(std::move(ex), curl)) {}
HttpClient::~HttpClient() = default;

void HttpClient::start(HttpRequest request, Callback done) { impl_->start(std::move(request), std::move(done)); }

std::size_t HttpClient::running() const noexcept { return impl_->transfers.size(); }

std::string HttpClient::escape(std::string_view s) const {
  char* e = impl_->c.easy_escape(nullptr, s.data(), static_cast<int>(s.size()));
  std::string out = e ? e : "";
  impl_->c.free(e);
  return out;
}

}  // namespace bcms::iot
