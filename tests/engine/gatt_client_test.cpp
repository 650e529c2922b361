// GattClient procedures (Core v5.4 Vol 3 Part G 4) over a bearer on
// socketpair(AF_UNIX, SOCK_SEQPACKET): against our GattServer (the test
// database of gatt_test_db.hpp) and against a scripted peer that breaks
// the protocol.  Names follow the GATT test spec (TP/GAD, GAR, GAW, GAN).
#include <doctest/doctest.h>

#include <poll.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include "protocol/codec_error.hpp"
#include "protocol/sys_error.hpp"
#include "src/att/gatt_client.hpp"
#include "tests/engine/gatt_fixture.hpp"

using namespace bcms::att;
using namespace bcms::att::test;
using bcms::byte_span;
using bcms::bytes;
using bcms::expected;

namespace {

AttBearer::Socket wrap(asio::io_context& io, int fd) {
  return AttBearer::Socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), fd);
}

/// Runs `aw` on `io` to completion, calling `tick` between loop turns (the
/// scripted peer).
template <class T>
T run(asio::io_context& io, asio::awaitable<T> aw, const std::function<void()>& tick = {}) {
  std::optional<T> result;
  asio::co_spawn(io, std::move(aw), [&](std::exception_ptr, T r) { result = std::move(r); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!result && std::chrono::steady_clock::now() < deadline) {
    io.poll();
    io.restart();
    if (tick) tick();
  }
  REQUIRE(result);
  return std::move(*result);
}

/// Client and our GattServer, one bearer each, on one loop.
struct Pair {
  asio::io_context io;
  Hooks hooks;
  GattDb db;
  GattServer server{db};
  std::shared_ptr<AttBearer> server_bearer, client_bearer;
  std::unique_ptr<GattClient> client;
  Pair() {
    build_test_db(db, hooks);
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    ConnState s;
    s.id = 1;
    server_bearer = AttBearer::create(wrap(io, sv[0]), server, s);
    ConnState c;
    c.id = 2;
    client_bearer = AttBearer::create(wrap(io, sv[1]), std::move(c), AttBearer::Options{});
    client = std::make_unique<GattClient>(client_bearer);
    server_bearer->start();
    client_bearer->start();
  }
  ~Pair() {
    client.reset();
    client_bearer->close();
    server_bearer->close();
  }
};

/// Client against a script: `answer` maps each request to what the peer
/// sends back (several PDUs, or none).
struct Scripted {
  asio::io_context io;
  int peer = -1;
  std::shared_ptr<AttBearer> bearer;
  std::unique_ptr<GattClient> client;
  std::function<std::vector<bytes>(const bytes&)> answer;
  std::vector<bytes> requests;
  explicit Scripted(AttBearer::Options o = {}) {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    peer = sv[1];
    ConnState c;
    c.id = 1;
    bearer = AttBearer::create(wrap(io, sv[0]), std::move(c), o);
    client = std::make_unique<GattClient>(bearer);
    bearer->start();
  }
  ~Scripted() {
    client.reset();
    bearer->close();
    if (peer >= 0) ::close(peer);
  }
  void tick() {
    if (peer < 0) return;
    pollfd p{peer, POLLIN, 0};
    if (::poll(&p, 1, 1) <= 0) return;
    bytes b(1024);
    const auto n = ::recv(peer, b.data(), b.size(), MSG_DONTWAIT);
    if (n <= 0) return;
    b.resize(static_cast<std::size_t>(n));
    requests.push_back(b);
    if (!answer) return;
    for (const auto& out : answer(b)) {
      if (out.empty()) {  // an empty answer means: hang up
        ::close(peer);
        peer = -1;
        return;
      }
      REQUIRE(::send(peer, out.data(), out.size(), 0) == static_cast<ssize_t>(out.size()));
    }
  }
  template <class T>
  T go(asio::awaitable<T> aw) {
    return run(io, std::move(aw), [this] { tick(); });
  }
};

}  // namespace

TEST_CASE("TP/GAD/CL/BV-01-C: discover all primary services (against our server)") {
  Pair p;
  auto s = run(p.io, p.client->discover_services());
  REQUIRE(s);
  REQUIRE(s->size() == 5);
  CHECK((*s)[0].uuid == Uuid(0x1800));
  CHECK((*s)[0].start == 0x01);
  CHECK((*s)[0].end == 0x05);
  CHECK((*s)[1].uuid == Uuid(0x1801));
  CHECK((*s)[2].uuid == Uuid(0x180D));
  CHECK((*s)[2].start == 0x0D);
  CHECK((*s)[3].uuid == Uuid(0x180F));
  CHECK((*s)[4].uuid == Uuid(0xFFF0));
  CHECK((*s)[4].end == 0x2A);
}

TEST_CASE("TP/GAD/CL/BV-02-C: discover primary services by UUID") {
  Pair p;
  auto s = run(p.io, p.client->discover_services(Uuid(0x180F)));
  REQUIRE(s);
  REQUIRE(s->size() == 1);
  CHECK((*s)[0].start == 0x16);
  CHECK((*s)[0].end == 0x1A);
  auto none = run(p.io, p.client->discover_services(Uuid(0x1234)));
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE("TP/GAD/CL/BV-04-C and BV-06-C: characteristics and descriptors of a service") {
  Pair p;
  auto c = run(p.io, p.client->discover_characteristics(0x0D, 0x15));
  REQUIRE(c);
  REQUIRE(c->size() == 3);
  CHECK((*c)[0].declaration == 0x0F);
  CHECK((*c)[0].value_handle == 0x10);
  CHECK((*c)[0].uuid == Uuid(0x2A37));
  CHECK((*c)[0].properties == prop::notify);
  CHECK((*c)[2].uuid == Uuid(0x2A39));
  auto d = run(p.io, p.client->discover_descriptors(0x11, 0x11));
  REQUIRE(d);
  REQUIRE(d->size() == 1);
  CHECK((*d)[0].type == Uuid(0x2902));
}

TEST_CASE("Part G 4.3.1: MTU exchange, once per connection") {
  Pair p;
  auto m = run(p.io, p.client->exchange_mtu(247));
  REQUIRE(m);
  CHECK(*m == 247);
  CHECK(p.client->mtu() == 247);
  CHECK(run(p.io, p.client->exchange_mtu(517)).value() == 247);
}

TEST_CASE("TP/GAR/CL/BV-04-C: read a long characteristic value (Read + Read Blob)") {
  Pair p;
  const bytes expected_value = p.db.find(0x1D)->value;
  REQUIRE(expected_value.size() == 60);
  auto v = run(p.io, p.client->read(0x1D));
  REQUIRE(v);
  CHECK(*v == expected_value);
  CHECK(p.server.stats().requests == 3);  // 22 + 22 + 16 octets at ATT_MTU 23
}

TEST_CASE("TP/GAW/CL/BV-05-C: write a long characteristic value (prepared writes), read back") {
  Pair p;
  bytes value(50);
  for (std::size_t i = 0; i < value.size(); ++i) value[i] = static_cast<std::uint8_t>(0xA0 + i);
  auto w = run(p.io, p.client->write(0x1D, value));
  REQUIRE(w);
  CHECK(run(p.io, p.client->read(0x1D)).value() == value);
}

TEST_CASE("TP/GAR/CL/BI-04-C: an error response ends the read with that ATT error") {
  Pair p;
  auto v = run(p.io, p.client->read(0x20));  // encrypted read
  REQUIRE_FALSE(v);
  CHECK(v.error() == make_error_code(att_errc::insufficient_encryption));
}

TEST_CASE("TP/GAN/CL/BV-01-C: notifications after subscribing") {
  Pair p;
  std::vector<bytes> got;
  auto sub = run(p.io, p.client->subscribe(0x10, 0x11, false, [&](byte_span v) { got.emplace_back(v.begin(), v.end()); }));
  REQUIRE(sub);
  CHECK(p.server.subscription(p.server_bearer->state(), 0x10) == cccd_notify);
  CHECK_FALSE(p.server_bearer->send_notification(0x10, B({0x00, 0x48})));
  for (int i = 0; i < 20 && got.empty(); ++i) {
    p.io.poll();
    p.io.restart();
  }
  CHECK(got == std::vector<bytes>{B({0x00, 0x48})});
  sub->reset();  // unregistered: no more deliveries
  CHECK_FALSE(p.server_bearer->send_notification(0x10, B({0x00, 0x49})));
  for (int i = 0; i < 20; ++i) {
    p.io.poll();
    p.io.restart();
  }
  CHECK(got.size() == 1);
}

// ------------------------------------------------------------ faults
TEST_CASE("a notification sent right after the CCCD Write Response is not lost") {
  Scripted s;
  std::vector<bytes> got;
  s.answer = [](const bytes& req) -> std::vector<bytes> {
    if (req[0] == 0x12) return {B({0x13}), B({0x1B, 0x10, 0x00, 0x07})};
    return {};
  };
  auto sub = s.go(s.client->subscribe(0x10, 0x11, false, [&](byte_span v) { got.emplace_back(v.begin(), v.end()); }));
  REQUIRE(sub);
  CHECK(s.requests.at(0) == B({0x12, 0x11, 0x00, 0x01, 0x00}));
  for (int i = 0; i < 20 && got.empty(); ++i) {
    s.io.poll();
    s.io.restart();
  }
  CHECK(got == std::vector<bytes>{B({0x07})});
}

TEST_CASE("the handler is registered before the CCCD write: a value sent even before the Write Response arrives") {
  Scripted s;
  std::vector<bytes> got;
  s.answer = [](const bytes& req) -> std::vector<bytes> {
    if (req[0] == 0x12) return {B({0x1D, 0x10, 0x00, 0x08}), B({0x13})};  // indication, then the response
    return {};
  };
  auto sub = s.go(s.client->subscribe(0x10, 0x11, true, [&](byte_span v) { got.emplace_back(v.begin(), v.end()); }));
  REQUIRE(sub);
  CHECK(s.requests.at(0) == B({0x12, 0x11, 0x00, 0x02, 0x00}));
  CHECK(got == std::vector<bytes>{B({0x08})});
  for (int i = 0; i < 20 && s.requests.size() < 2; ++i) s.tick();
  CHECK(s.requests.at(1) == B({0x1E}));  // the indication was confirmed
}

TEST_CASE("a notification interleaved before a response is delivered, and the response still completes") {
  Scripted s;
  std::vector<bytes> got;
  s.answer = [](const bytes& req) -> std::vector<bytes> {
    if (req[0] == 0x12) return {B({0x13})};
    if (req[0] == 0x0A) return {B({0x1B, 0x10, 0x00, 0x01}), B({0x0B, 0x2A})};
    return {};
  };
  auto sub = s.go(s.client->subscribe(0x10, 0x11, false, [&](byte_span v) { got.emplace_back(v.begin(), v.end()); }));
  REQUIRE(sub);
  auto v = s.go(s.client->read(0x03));
  REQUIRE(v);
  CHECK(*v == B({0x2A}));
  CHECK(got == std::vector<bytes>{B({0x01})});
}

TEST_CASE("an error response at each discovery step ends discovery with that error") {
  for (std::uint8_t op : {0x10, 0x08, 0x04}) {
    CAPTURE(op);
    Scripted s;
    s.answer = [](const bytes& req) -> std::vector<bytes> {
      return {B({0x01, req[0], req[1], req[2], 0x05})};  // Insufficient Authentication
    };
    std::error_code ec;
    if (op == 0x10) ec = s.go(s.client->discover_services()).error();
    if (op == 0x08) ec = s.go(s.client->discover_characteristics(1, 0xFFFF)).error();
    if (op == 0x04) ec = s.go(s.client->discover_descriptors(1, 0xFFFF)).error();
    CHECK(ec == make_error_code(att_errc::insufficient_authentication));
  }
}

TEST_CASE("a truncated response is a protocol error, not a result") {
  Scripted s;
  s.answer = [](const bytes&) -> std::vector<bytes> { return {B({0x11, 0x06, 0x01, 0x00, 0x05})}; };
  auto r = s.go(s.client->discover_services());
  REQUIRE_FALSE(r);
  CHECK(r.error().category() == bcms::make_error_code(bcms::codec_errc::invalid_value).category());
}

TEST_CASE("a server whose handles do not increase is refused (no endless discovery)") {
  Scripted s;
  s.answer = [](const bytes&) -> std::vector<bytes> {
    return {B({0x11, 0x06, 0x01, 0x00, 0x05, 0x00, 0x00, 0x18, 0x01, 0x00, 0x05, 0x00, 0x01, 0x18})};
  };
  auto r = s.go(s.client->discover_services());
  REQUIRE_FALSE(r);
  CHECK(r.error() == bcms::make_error_code(bcms::codec_errc::invalid_value));
}

TEST_CASE("a peer that answers with the wrong opcode: the transaction times out and the bearer ends") {
  AttBearer::Options o;
  o.transaction_timeout = std::chrono::milliseconds(100);
  Scripted s(o);
  s.answer = [](const bytes&) -> std::vector<bytes> { return {B({0x13})}; };  // Write Response to a Read
  auto r = s.go(s.client->read(0x03));
  REQUIRE_FALSE(r);
  CHECK(r.error() == bcms::timeout_error());
  CHECK(s.bearer->stats().unexpected_responses == 1);
  CHECK_FALSE(s.bearer->usable());
}

TEST_CASE("a disconnect in the middle of a long read fails the read") {
  Scripted s;
  s.answer = [](const bytes& req) -> std::vector<bytes> {
    if (req[0] == 0x0A) {
      bytes full{0x0B};
      full.resize(23, 0x55);  // fills ATT_MTU-1: more may follow
      return {full};
    }
    return {bytes{}};  // the Read Blob: hang up
  };
  auto r = s.go(s.client->read(0x1D));
  REQUIRE_FALSE(r);
  CHECK(s.requests.size() == 2);
  CHECK(s.requests[1] == B({0x0C, 0x1D, 0x00, 0x16, 0x00}));
  CHECK_FALSE(s.bearer->usable());
}
