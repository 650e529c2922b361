// AttBearer: roles, security raising and "every request is answered",
// over socketpair(AF_UNIX, SOCK_SEQPACKET) with the test playing the peer
// (Core v5.4 Vol 3 Part F 3.3, 3.4.1.1, Part C 10.3.2).
#include <doctest/doctest.h>

#include <sys/ioctl.h>

#include "protocol/sys_error.hpp"
#include "tests/engine/gatt_fixture.hpp"

using namespace bcms::att;
using namespace bcms::att::test;
using bcms::byte_span;
using bcms::bytes;

namespace {


int pending_octets(int fd) {
  int n = 0;
  ::ioctl(fd, FIONREAD, &n);
  return n;
}

constexpr std::uint16_t kEncrypted = 0x0020;  // 0xFFF2: encrypted read, key size 16 (gatt_test_db.hpp)

// Read Request to the encrypted characteristic and its error response.
const bytes kReadEncrypted = B({0x0A, 0x20, 0x00});
const bytes kInsufficientEncryption = B({0x01, 0x0A, 0x20, 0x00, 0x0F});

struct Recorder : ClientRole {
  std::vector<std::pair<std::uint16_t, bytes>> notifications, indications;
  std::error_code closed{};
  bool was_closed = false;
  void on_notification(std::uint16_t h, byte_span v) override { notifications.emplace_back(h, bytes(v.begin(), v.end())); }
  void on_indication(std::uint16_t h, byte_span v) override { indications.emplace_back(h, bytes(v.begin(), v.end())); }
  void on_bearer_closed(std::error_code ec) override {
    closed = ec;
    was_closed = true;
  }
};

}  // namespace

TEST_CASE("Vol 3 Part C 10.3.2: security is raised after the error response has been sent") {
  Rig rig;
  int on_wire_at_request = -1;
  rig.security.on_request = [&] { on_wire_at_request = pending_octets(rig.peer); };
  CHECK(rig.exchange(kReadEncrypted) == kInsufficientEncryption);
  rig.spin(std::chrono::milliseconds(20));
  REQUIRE(rig.security.requests == std::vector<SecurityLevel>{SecurityLevel::medium});
  CHECK(on_wire_at_request == static_cast<int>(kInsufficientEncryption.size()));
  // Granted: the client's retry succeeds.
  auto retry = rig.exchange(kReadEncrypted);
  REQUIRE(retry);
  CHECK((*retry)[0] == 0x0B);
  CHECK(rig.bearer->stats().security_raises == 1);
}

TEST_CASE("permission checks are pure: filtering attributes never raises security") {
  Rig rig;
  // Read By Type over everything for 0xFFF2: the only match is encrypted,
  // so the answer is the error and security is raised, once.
  CHECK(rig.exchange(B({0x08, 0x01, 0x00, 0xFF, 0xFF, 0xF2, 0xFF})) == B({0x01, 0x08, 0x20, 0x00, 0x0F}));
  rig.spin(std::chrono::milliseconds(10));
  CHECK(rig.security.requests.size() == 1);
  // Find By Type Value skips what the client may not read: no raise.
  rig.security.requests.clear();
  rig.security.set(SecurityLevel::low, 0);
  auto r = rig.exchange(B({0x06, 0x01, 0x00, 0xFF, 0xFF, 0x00, 0x28, 0x0F, 0x18}));
  REQUIRE(r);
  rig.spin(std::chrono::milliseconds(10));
  CHECK(rig.security.requests.empty());
}

TEST_CASE("with raise_security off, the error response is all") {
  Rig rig({}, {}, false);
  AttBearer::Options o;
  o.raise_security = false;
  rig.connect(o);
  CHECK(rig.exchange(kReadEncrypted) == kInsufficientEncryption);
  rig.spin(std::chrono::milliseconds(10));
  CHECK(rig.security.requests.empty());
}

TEST_CASE("sends are held while security is being raised; nothing is lost") {
  Rig rig;
  rig.security.on_raise = StaticLinkSecurity::OnRaise::hold;
  CHECK(rig.exchange(kReadEncrypted) == kInsufficientEncryption);
  rig.spin(std::chrono::milliseconds(10));
  REQUIRE(rig.bearer->raising_security());
  // A notification queued meanwhile (the kernel would refuse it: ENOTCONN).
  CHECK_FALSE(rig.bearer->send_notification(0x0010, B({0x00, 0x48})));
  CHECK_FALSE(rig.receive(std::chrono::milliseconds(100)));
  rig.security.complete({});
  CHECK(rig.receive() == B({0x1B, 0x10, 0x00, 0x00, 0x48}));
  CHECK_FALSE(rig.bearer->raising_security());
  CHECK(rig.bearer->usable());
}

TEST_CASE("a failed pairing does not leave the channel stuck: the bearer ends") {
  Rig rig;
  rig.security.on_raise = StaticLinkSecurity::OnRaise::hold;
  CHECK(rig.exchange(kReadEncrypted) == kInsufficientEncryption);
  rig.spin(std::chrono::milliseconds(10));
  REQUIRE(rig.bearer->raising_security());
  rig.bearer->security_failed(std::make_error_code(std::errc::permission_denied));
  CHECK(rig.peer_sees_eof());
  CHECK_FALSE(rig.bearer->usable());
  CHECK(rig.bearer->stats().security_failures == 1);
}

TEST_CASE("a raise that never completes ends the bearer after the security timeout") {
  Rig rig({}, {}, false);
  AttBearer::Options o;
  o.security_timeout = std::chrono::milliseconds(50);
  rig.connect(o);
  rig.security.on_raise = StaticLinkSecurity::OnRaise::hold;
  CHECK(rig.exchange(kReadEncrypted) == kInsufficientEncryption);
  CHECK(rig.peer_sees_eof());
  CHECK_FALSE(rig.bearer->usable());
}

TEST_CASE("raise_security on request: completes when raised, at once when the level is already there") {
  Rig rig;
  std::vector<std::error_code> done;
  rig.bearer->raise_security(SecurityLevel::medium, [&](std::error_code ec) { done.push_back(ec); });
  rig.spin(std::chrono::milliseconds(10));
  REQUIRE(done.size() == 1);
  CHECK_FALSE(done[0]);
  CHECK(rig.security.requests == std::vector<SecurityLevel>{SecurityLevel::medium});
  rig.bearer->raise_security(SecurityLevel::medium, [&](std::error_code ec) { done.push_back(ec); });
  REQUIRE(done.size() == 2);  // no second request: the link has it
  CHECK_FALSE(done[1]);
  CHECK(rig.security.requests.size() == 1);
}

TEST_CASE("a raise refused at once (level already there) holds nothing") {
  Rig rig;
  rig.security.on_raise = StaticLinkSecurity::OnRaise::refuse;
  CHECK(rig.exchange(kReadEncrypted) == kInsufficientEncryption);
  rig.spin(std::chrono::milliseconds(10));
  CHECK_FALSE(rig.bearer->raising_security());
  CHECK(rig.exchange(B({0x0A, 0x03, 0x00})).value().at(0) == 0x0B);
}

namespace {
// A server role that fails internally: it answers with nothing.
struct BrokenServer : ServerRole {
  void connect(ConnState&) override {}
  void disconnect(ConnState&) override {}
  void handle(byte_span, ConnState&, Respond r) override {
    if (r) r(Response{});
  }
};
}  // namespace

TEST_CASE("Vol 3 Part F 3.4.1.1: an internal failure is answered Unlikely Error, never dropped") {
  Rig rig({}, {}, false);
  BrokenServer broken;
  rig.connect();
  rig.bearer->set_server(&broken);
  CHECK(rig.exchange(B({0x0A, 0x03, 0x00})) == B({0x01, 0x0A, 0x00, 0x00, 0x0E}));
  CHECK(rig.bearer->stats().internal_errors == 1);
  rig.bearer->set_server(rig.server.get());
}

TEST_CASE("a PDU longer than the receive buffer is detected (MSG_TRUNC) and answered Invalid PDU") {
  Rig rig;
  bytes big(1100, 0x00);
  big[0] = 0x12;  // Write Request
  big[1] = 0x1D;
  CHECK(rig.exchange(big) == B({0x01, 0x12, 0x00, 0x00, 0x04}));
  CHECK(rig.bearer->stats().oversized == 1);
  CHECK(rig.bearer->usable());
}

// ------------------------------------------------------------ client role
TEST_CASE("client role: a request gets its response; a wrong opcode is dropped and counted") {
  Rig rig({}, {}, false);
  Recorder rec;
  rig.connect();
  rig.bearer->set_client(&rec);
  std::vector<bytes> got;
  rig.bearer->request(B({0x0A, 0x03, 0x00}), [&](std::error_code ec, byte_span rsp) {
    CHECK_FALSE(ec);
    got.emplace_back(rsp.begin(), rsp.end());
  });
  CHECK(rig.receive() == B({0x0A, 0x03, 0x00}));
  rig.send(B({0x05, 0x01, 0x03, 0x00, 0x00, 0x2A}));  // Find Information Response: not ours
  rig.spin(std::chrono::milliseconds(10));
  CHECK(got.empty());
  CHECK(rig.bearer->stats().unexpected_responses == 1);
  rig.send(B({0x0B, 0x62, 0x63}));
  rig.spin(std::chrono::milliseconds(10));
  REQUIRE(got.size() == 1);
  CHECK(got[0] == B({0x0B, 0x62, 0x63}));
}

TEST_CASE("client role: an Error Response for our request completes it; requests go one at a time") {
  Rig rig({}, {}, false);
  Recorder rec;
  rig.connect();
  rig.bearer->set_client(&rec);
  std::vector<bytes> got;
  auto keep = [&](std::error_code, byte_span rsp) { got.emplace_back(rsp.begin(), rsp.end()); };
  rig.bearer->request(B({0x0A, 0x20, 0x00}), keep);
  rig.bearer->request(B({0x0A, 0x03, 0x00}), keep);
  CHECK(rig.receive() == B({0x0A, 0x20, 0x00}));
  CHECK_FALSE(rig.receive(std::chrono::milliseconds(50)));  // 3.3.2: the second waits
  rig.send(B({0x01, 0x0A, 0x20, 0x00, 0x0F}));
  CHECK(rig.receive() == B({0x0A, 0x03, 0x00}));
  rig.send(B({0x0B, 0x41}));
  rig.spin(std::chrono::milliseconds(10));
  CHECK(got == std::vector<bytes>{B({0x01, 0x0A, 0x20, 0x00, 0x0F}), B({0x0B, 0x41})});
}

TEST_CASE("client role: notifications are delivered, indications delivered and confirmed") {
  Rig rig({}, {}, false);
  Recorder rec;
  rig.connect();
  rig.bearer->set_client(&rec);
  rig.send(B({0x1B, 0x10, 0x00, 0x06, 0x48}));
  rig.send(B({0x1D, 0x08, 0x00, 0x01, 0x00, 0xFF, 0xFF}));
  CHECK(rig.receive() == B({0x1E}));
  REQUIRE(rec.notifications.size() == 1);
  CHECK(rec.notifications[0] == std::make_pair(std::uint16_t{0x0010}, B({0x06, 0x48})));
  REQUIRE(rec.indications.size() == 1);
  CHECK(rec.indications[0] == std::make_pair(std::uint16_t{0x0008}, B({0x01, 0x00, 0xFF, 0xFF})));
}

TEST_CASE("client role only: the peer's requests are not supported") {
  Rig rig({}, {}, false);
  Recorder rec;
  rig.connect();
  rig.bearer->set_server(nullptr);
  rig.bearer->set_client(&rec);
  CHECK(rig.exchange(B({0x0A, 0x03, 0x00})) == B({0x01, 0x0A, 0x03, 0x00, 0x06}));
}

TEST_CASE("Vol 3 Part F 3.3.3: our request without a response ends the bearer with timed_out") {
  Rig rig({}, {}, false);
  AttBearer::Options o;
  o.transaction_timeout = std::chrono::milliseconds(50);
  Recorder rec;
  rig.connect(o);
  rig.bearer->set_client(&rec);
  std::error_code got;
  rig.bearer->request(B({0x0A, 0x03, 0x00}), [&](std::error_code ec, byte_span) { got = ec; });
  CHECK(rig.peer_sees_eof());
  CHECK(got == bcms::timeout_error());
  CHECK(rec.was_closed);
}
