// Peripheral API engine tests: services declared as a class and with the
// builder, served over socketpair(AF_UNIX, SOCK_SEQPACKET) to a scripted
// client; aioble semantics (on_read refusing, captured writes with their
// overflow policies, buffered append characteristics) and bluez-peripheral
// style notify/indicate.
#include <doctest/doctest.h>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <initializer_list>

#include "src/att/peripheral.hpp"

using namespace bcms::att;
using bcms::bytes;

namespace {

bytes B(std::initializer_list<int> v) {
  bytes b;
  for (int x : v) b.push_back(static_cast<std::uint8_t>(x));
  return b;
}

struct HeartRate : Service {
  HeartRate() : Service(0x180D) {}
  Characteristic& measurement = characteristic(0x2A37, Flags::notify);
  Characteristic& location = characteristic(0x2A38, Flags::read, {.initial = {0x01}});
  Characteristic& control = characteristic(0x2A39, Flags::write, {.capture = true, .capture_capacity = 2});
};

struct Client {
  asio::io_context& io;
  int fd;
  void send(const bytes& b) const { REQUIRE(::send(fd, b.data(), b.size(), 0) == static_cast<ssize_t>(b.size())); }
  std::optional<bytes> receive(int ms = 1000) {
    for (int i = 0; i < ms; ++i) {
      io.poll();
      io.restart();
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 1) > 0) {
        bytes b(1024);
        auto n = ::recv(fd, b.data(), b.size(), MSG_DONTWAIT);
        if (n > 0) {
          b.resize(static_cast<std::size_t>(n));
          return b;
        }
      }
    }
    return std::nullopt;
  }
  std::optional<bytes> exchange(const bytes& b) {
    send(b);
    return receive();
  }
  void spin() {
    for (int i = 0; i < 5; ++i) {
      io.poll();
      io.restart();
    }
  }
};

struct Setup {
  asio::io_context io;
  // Without robust caching: the handle layout these tests spell out.
  Peripheral periph{io, PeripheralOptions{.name = "hr", .appearance = 0x0340, .robust_caching = false}};
  ConnId id = 0;
  int fd = -1;
  StaticLinkSecurity* security = nullptr;
  Client attach() {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    auto sec = std::make_unique<StaticLinkSecurity>();
    security = sec.get();
    id = periph.attach(AttBearer::Socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), sv[0]),
                       bcms::Peer{bcms::Address::parse("AA:BB:CC:DD:EE:FF").value(), bcms::AddressType::le_random},
                       std::move(sec));
    fd = sv[1];
    return Client{io, fd};
  }
  ~Setup() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

TEST_CASE("Class and builder services: laid out after GAP/GATT in declaration order") {
  Setup s;
  HeartRate hr;
  s.periph.add(hr);
  auto& bas = s.periph.service(0x180F);
  auto& level = bas.characteristic(0x2A19, Flags::read | Flags::notify, {.initial = {0x64}});
  level.presentation_format({.format = 0x04, .exponent = 0, .unit = 0x27AD});
  s.periph.register_services();
  // GAP 1-5, GATT 6-9, HRS 0x0A: decl 0B/0C HRM, 0D CCCD, 0E/0F BSL, 10/11 HRCP; BAS 0x12.
  CHECK(hr.handle() == 0x0A);
  CHECK(hr.measurement.value_handle() == 0x0C);
  CHECK(hr.measurement.handles().cccd == 0x0D);
  CHECK(hr.control.value_handle() == 0x11);
  CHECK(level.value_handle() == 0x14);
  auto c = s.attach();
  CHECK(c.exchange(B({0x10, 0x01, 0x00, 0xFF, 0xFF, 0x00, 0x28})) ==
        B({0x11, 0x06, 0x01, 0x00, 0x05, 0x00, 0x00, 0x18, 0x06, 0x00, 0x09, 0x00, 0x01, 0x18, 0x0A, 0x00, 0x11,
           0x00, 0x0D, 0x18}));
  CHECK(c.exchange(B({0x0A, 0x03, 0x00})) == B({0x0B, 'h', 'r'}));
  CHECK(c.exchange(B({0x0A, 0x0F, 0x00})) == B({0x0B, 0x01}));
  CHECK(c.exchange(B({0x0A, 0x16, 0x00})) == B({0x0B, 0x04, 0x00, 0xAD, 0x27, 0x01, 0x00, 0x00}));
  CHECK(c.exchange(B({0x12, 0x0F, 0x00, 0x02})) == B({0x01, 0x12, 0x0F, 0x00, 0x03}));  // read-only
}

TEST_CASE("aioble on_read: refuse with an ATT error, or refresh the value") {
  Setup s;
  auto& svc = s.periph.service(0x181A);
  auto& temp = svc.characteristic(0x2A6E, Flags::read, {.initial = {0x00, 0x00}});
  int reads = 0;
  temp.on_read([&](const Connection& conn) -> std::optional<att_errc> {
    CHECK(conn.peer.addr.to_string() == "AA:BB:CC:DD:EE:FF");
    if (++reads % 2 == 0) return att_errc::read_not_permitted;
    temp.write({0x9A, 0x09});
    return std::nullopt;
  });
  s.periph.register_services();
  auto c = s.attach();
  const std::uint16_t h = temp.value_handle();
  const auto lo = static_cast<int>(h & 0xFF);
  CHECK(c.exchange(B({0x0A, lo, 0x00})) == B({0x0B, 0x9A, 0x09}));
  CHECK(c.exchange(B({0x0A, lo, 0x00})) == B({0x01, 0x0A, lo, 0x00, 0x02}));
}

TEST_CASE("Captured writes: every write in order; drop_oldest overflow counted") {
  Setup s;
  HeartRate hr;
  s.periph.add(hr);
  s.periph.register_services();
  auto c = s.attach();
  for (int i = 1; i <= 3; ++i) CHECK(c.exchange(B({0x12, 0x11, 0x00, i})) == B({0x13}));
  CHECK(hr.control.pending_writes() == 2);
  CHECK(hr.control.dropped_writes() == 1);
  auto w = hr.control.next_write();
  REQUIRE(w);
  CHECK(w->data == B({2}));
  CHECK(w->conn.id == s.id);
  CHECK(hr.control.next_write()->data == B({3}));
  CHECK_FALSE(hr.control.next_write());
  // A waiting reader gets the next write directly.
  std::vector<bytes> got;
  hr.control.written([&](CapturedWrite cw) { got.push_back(cw.data); });
  CHECK(c.exchange(B({0x12, 0x11, 0x00, 0x04})) == B({0x13}));
  c.spin();
  CHECK(got == std::vector<bytes>{B({4})});
}

TEST_CASE("Captured writes: reject policy answers Insufficient Resources") {
  Setup s;
  auto& svc = s.periph.service(0xFFE0);
  auto& cmd = svc.characteristic(0xFFE1, Flags::write | Flags::write_without_response,
                                 {.capture = true, .capture_capacity = 1, .overflow = OverflowPolicy::reject});
  s.periph.register_services();
  auto c = s.attach();
  const auto h = static_cast<int>(cmd.value_handle());
  CHECK(c.exchange(B({0x12, h, 0x00, 0x01})) == B({0x13}));
  CHECK(c.exchange(B({0x12, h, 0x00, 0x02})) == B({0x01, 0x12, h, 0x00, 0x11}));
  c.send(B({0x52, h, 0x00, 0x03}));
  c.spin();
  CHECK(cmd.dropped_writes() == 2);
  CHECK(cmd.value() == B({0x01}));
  CHECK(cmd.next_write()->data == B({0x01}));
}

TEST_CASE("Buffered characteristic: max_len and append mode") {
  Setup s;
  auto& svc = s.periph.service(0xFFE0);
  auto& blob = svc.characteristic(0xFFE2, Flags::read | Flags::write, {.max_len = 4, .append = true});
  auto& box = svc.characteristic(0xFFE3, Flags::read | Flags::write, {.max_len = 3});
  s.periph.register_services();
  auto c = s.attach();
  const auto hb = static_cast<int>(blob.value_handle());
  const auto hx = static_cast<int>(box.value_handle());
  CHECK(c.exchange(B({0x12, hb, 0x00, 0x01, 0x02})) == B({0x13}));
  CHECK(c.exchange(B({0x12, hb, 0x00, 0x03})) == B({0x13}));
  CHECK(c.exchange(B({0x0A, hb, 0x00})) == B({0x0B, 0x01, 0x02, 0x03}));
  CHECK(c.exchange(B({0x12, hb, 0x00, 0x04, 0x05})) == B({0x01, 0x12, hb, 0x00, 0x0D}));
  CHECK(blob.take() == B({0x01, 0x02, 0x03}));
  CHECK(c.exchange(B({0x12, hb, 0x00, 0x04, 0x05})) == B({0x13}));
  CHECK(blob.value() == B({0x04, 0x05}));
  CHECK(c.exchange(B({0x12, hx, 0x00, 0x01, 0x02, 0x03, 0x04})) == B({0x01, 0x12, hx, 0x00, 0x0D}));
  CHECK(c.exchange(B({0x12, hx, 0x00, 0x01, 0x02})) == B({0x13}));
  CHECK(c.exchange(B({0x12, hx, 0x00, 0x09})) == B({0x13}));  // replaces, not appends
  CHECK(box.value() == B({0x09}));
}

TEST_CASE("notify / notify_all need a subscription; indicate completes on confirmation") {
  Setup s;
  HeartRate hr;
  s.periph.add(hr);
  auto& bas = s.periph.service(0x180F);
  auto& level = bas.characteristic(0x2A19, Flags::read | Flags::indicate, {.initial = {0x64}});
  s.periph.register_services();
  auto c = s.attach();
  CHECK(hr.measurement.notify(s.id, B({0x00, 0x48})) == att_errc::cccd_improperly_configured);
  CHECK(hr.measurement.notify(99, B({0x00, 0x48})) == asio::error::not_connected);
  CHECK(c.exchange(B({0x12, 0x0D, 0x00, 0x01, 0x00})) == B({0x13}));
  CHECK_FALSE(hr.measurement.notify(s.id, B({0x00, 0x48})));
  CHECK(c.receive() == B({0x1B, 0x0C, 0x00, 0x00, 0x48}));
  hr.measurement.write({0x00, 0x49}, true);  // aioble send_update
  CHECK(c.receive() == B({0x1B, 0x0C, 0x00, 0x00, 0x49}));
  const auto cccd = static_cast<int>(level.handles().cccd);
  CHECK(c.exchange(B({0x12, cccd, 0x00, 0x02, 0x00})) == B({0x13}));
  std::optional<std::error_code> done;
  level.indicate(s.id, B({0x63}), [&](std::error_code ec) { done = ec; });
  const auto lh = static_cast<int>(level.value_handle());
  CHECK(c.receive() == B({0x1D, lh, 0x00, 0x63}));
  CHECK_FALSE(done);
  c.send(B({0x1E}));
  c.spin();
  REQUIRE(done);
  CHECK_FALSE(*done);
  CHECK(level.notify_all(B({0x62})) == 1);
  CHECK(c.receive() == B({0x1D, lh, 0x00, 0x62}));
}

TEST_CASE("Asynchronous handlers answer later; disconnect is reported") {
  Setup s;
  auto& svc = s.periph.service(0xFFE0);
  ReadDone pending;
  auto& slow = svc.characteristic(0xFFE4, Flags::read | Flags::write);
  slow.read_handler([&](const Connection&, ReadDone done) { pending = std::move(done); });
  slow.write_handler([](const Connection&, bcms::byte_span v) -> WriteResult {
    if (v.size() != 1) return tl::unexpected(att_errc::value_not_allowed);
    return {};
  });
  s.periph.register_services();
  std::optional<std::error_code> gone;
  s.periph.on_disconnect([&](const Connection&, std::error_code ec) { gone = ec; });
  auto c = s.attach();
  const auto h = static_cast<int>(slow.value_handle());
  c.send(B({0x0A, h, 0x00}));
  CHECK_FALSE(c.receive(30));
  REQUIRE(pending);
  pending(bytes{0x42});
  CHECK(c.receive() == B({0x0B, 0x42}));
  CHECK(c.exchange(B({0x12, h, 0x00, 0x01, 0x02})) == B({0x01, 0x12, h, 0x00, 0x13}));
  CHECK(c.exchange(B({0x12, h, 0x00, 0x01})) == B({0x13}));
  CHECK(s.periph.connections() == std::vector<ConnId>{s.id});
  ::close(s.fd);
  s.fd = -1;
  c.spin();
  REQUIRE(gone);
  CHECK(*gone == asio::error::eof);
  CHECK(s.periph.connections().empty());
}

TEST_CASE("Vol 3 Part F 3.4.6.3: Execute Write validates every queued write before any handler runs") {
  Setup s;
  auto& svc = s.periph.service(0xFFE0);
  std::vector<bytes> first_writes, second_writes;
  auto& first = svc.characteristic(0xFFE4, Flags::write, {.max_len = 8});
  first.write_handler([&](const Connection&, bcms::byte_span v) -> WriteResult {
    first_writes.emplace_back(v.begin(), v.end());
    return {};
  });
  auto& second = svc.characteristic(0xFFE5, Flags::write, {.max_len = 4});
  second.write_handler([&](const Connection&, bcms::byte_span v) -> WriteResult {
    second_writes.emplace_back(v.begin(), v.end());
    return {};
  });
  s.periph.register_services();
  auto c = s.attach();
  const auto h1 = static_cast<int>(first.value_handle());
  const auto h2 = static_cast<int>(second.value_handle());
  CHECK(c.exchange(B({0x16, h1, 0x00, 0x00, 0x00, 0xA1, 0xA2})) == B({0x17, h1, 0x00, 0x00, 0x00, 0xA1, 0xA2}));
  // Five octets for a characteristic of at most four: the whole queue fails,
  // and the first characteristic's handler never runs.
  CHECK(c.exchange(B({0x16, h2, 0x00, 0x00, 0x00, 1, 2, 3, 4, 5})) == B({0x17, h2, 0x00, 0x00, 0x00, 1, 2, 3, 4, 5}));
  CHECK(c.exchange(B({0x18, 0x01})) == B({0x01, 0x18, h2, 0x00, 0x0D}));
  CHECK(first_writes.empty());
  CHECK(second_writes.empty());
  // A whole-value handler cannot take a part at offset 2: Invalid Offset, nothing written.
  CHECK(c.exchange(B({0x16, h1, 0x00, 0x02, 0x00, 0xB1})) == B({0x17, h1, 0x00, 0x02, 0x00, 0xB1}));
  CHECK(c.exchange(B({0x18, 0x01})) == B({0x01, 0x18, h1, 0x00, 0x07}));
  CHECK(first_writes.empty());
}

TEST_CASE("write offsets reach offset-aware handlers and captured writes") {
  Setup s;
  auto& svc = s.periph.service(0xFFE0);
  std::vector<std::pair<std::uint16_t, bytes>> seen;
  auto& at = svc.characteristic(0xFFE6, Flags::write, {.max_len = 16});
  at.write_handler([&](const Connection&, std::uint16_t offset, bcms::byte_span v) -> WriteResult {
    seen.emplace_back(offset, bytes(v.begin(), v.end()));
    return {};
  });
  auto& cap = svc.characteristic(0xFFE7, Flags::write, {.initial = B({0, 0, 0, 0}), .capture = true});
  s.periph.register_services();
  auto c = s.attach();
  const auto ha = static_cast<int>(at.value_handle());
  const auto hc = static_cast<int>(cap.value_handle());
  CHECK(c.exchange(B({0x16, ha, 0x00, 0x03, 0x00, 0xC1, 0xC2})).value().at(0) == 0x17);
  CHECK(c.exchange(B({0x16, hc, 0x00, 0x02, 0x00, 0xD1})).value().at(0) == 0x17);
  CHECK(c.exchange(B({0x18, 0x01})) == B({0x19}));
  CHECK(seen == std::vector<std::pair<std::uint16_t, bytes>>{{3, B({0xC1, 0xC2})}});
  auto w = cap.next_write();
  REQUIRE(w);
  CHECK(w->offset == 2);
  CHECK(w->data == B({0xD1}));
  CHECK(cap.value() == B({0, 0, 0xD1}));
}

TEST_CASE("Vol 3 Part G 7.2/7.3: by default the GATT service carries Client Supported Features and Database Hash") {
  asio::io_context io;
  Peripheral periph{io, PeripheralOptions{.name = "hr"}};
  periph.register_services();
  const auto& core = periph.core_handles();
  // GAP 1-5; GATT 6: Service Changed 7/8 + CCCD 9, features 0A/0B, hash 0C/0D.
  CHECK(core.service_changed == 0x08);
  CHECK(core.client_features == 0x0B);
  CHECK(core.database_hash == 0x0D);
  const Attribute* hash = periph.db().find(0x0D);
  REQUIRE(hash);
  CHECK(hash->type == Uuid(0x2B2A));
  CHECK(periph.db().find(0x06)->end_group == 0x0D);
}
