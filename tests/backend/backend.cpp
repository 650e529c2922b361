// bcms-test-backend: a real HTTP server on loopback (kj-http from
// Debian's libcapnp-dev) standing in for the IoT backend in engine tests,
// benchmarks and the VM scenario.  What it does is in state.hpp.
//
//   bcms-test-backend [--port N] [--token T] [--client-id ID]
//                     [--client-secret S] [--token-lifetime SECONDS]
//                     [--state FILE]   (devices and data kept across restarts)
//
// Prints "listening on 127.0.0.1:PORT" on stdout once it accepts
// connections (port 0, the default, picks a free one), then serves until
// killed.
#include <kj/async-io.h>
#include <kj/compat/http.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/backend/state.hpp"

namespace {

using bcms::testing::BackendState;
using bcms::testing::Reply;

const char* status_text(int s) {
  switch (s) {
    case 200: return "OK";
    case 201: return "Created";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

class Service final : public kj::HttpService {
 public:
  Service(const kj::HttpHeaderTable& table, kj::HttpHeaderId authorization, BackendState& state)
      : table_(table), authorization_(authorization), state_(state) {}

  kj::Promise<void> request(kj::HttpMethod method, kj::StringPtr url, const kj::HttpHeaders& headers,
                            kj::AsyncInputStream& body, Response& response) override {
    std::string m = method == kj::HttpMethod::GET ? "GET" : method == kj::HttpMethod::POST ? "POST" : "OTHER";
    std::string u(url.cStr());
    std::string auth;
    KJ_IF_MAYBE (a, headers.get(authorization_)) {
      auth = a->cStr();
    }
    return body.readAllText().then(
        [this, m = std::move(m), u = std::move(u), auth = std::move(auth), &response](kj::String text) -> kj::Promise<void> {
          Reply r = state_.handle(m, u, auth, std::string(text.cStr(), text.size()));
          if (r.hang) return kj::NEVER_DONE;
          kj::HttpHeaders h(table_);
          h.set(kj::HttpHeaderId::CONTENT_TYPE, "application/json");
          auto out = kj::heapString(r.body.data(), r.body.size());
          auto stream = response.send(static_cast<uint>(r.status), status_text(r.status), h, out.size());
          auto done = stream->write(out.begin(), out.size());
          return done.attach(kj::mv(stream), kj::mv(out));
        });
  }

 private:
  const kj::HttpHeaderTable& table_;
  kj::HttpHeaderId authorization_;
  BackendState& state_;
};

}  // namespace

int main(int argc, char** argv) {
  bcms::testing::BackendConfig config;
  unsigned port = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--port") port = static_cast<unsigned>(std::stoul(v));
    else if (k == "--token") config.token = v;
    else if (k == "--client-id") config.client_id = v;
    else if (k == "--client-secret") config.client_secret = v;
    else if (k == "--token-lifetime") config.token_lifetime = std::stoi(v);
    else if (k == "--state") config.state_file = v;
    else {
      std::fprintf(stderr, "bcms-test-backend: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  auto io = kj::setupAsyncIo();
  kj::HttpHeaderTable::Builder builder;
  const kj::HttpHeaderId authorization = builder.add("Authorization");
  auto table = builder.build();
  BackendState state(config);
  Service service(*table, authorization, state);
  auto address = io.provider->getNetwork().parseAddress("127.0.0.1", port).wait(io.waitScope);
  auto listener = address->listen();
  kj::HttpServer server(io.provider->getTimer(), *table, service);
  std::printf("listening on 127.0.0.1:%u\n", listener->getPort());
  std::fflush(stdout);
  server.listenHttp(*listener).wait(io.waitScope);
  return 0;
}
