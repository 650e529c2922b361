// PeripheralApp engine tests: the start-up sequence against a scripted
// fake kernel (the exact commands, in order, with their parameters), bonded
// clients getting their stored CCCDs back, and a client that bonds during a
// connection having its configuration persisted.
#include "src/gap/peripheral_app.hpp"

#include <doctest/doctest.h>

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include "src/gap/gap_error.hpp"
#include "tests/engine/gap_kernel.hpp"

using namespace bcms;
using namespace bcms::gap;
using bcms::test::Answer;
using bcms::test::Command;
using bcms::test::ScriptedKernel;

namespace {

// Controller 00:AA:01:00:00:00 (wire order 00 00 00 01 AA 00); settings:
// LE on, powered off.
const bytes kCtrlWire{0x00, 0x00, 0x00, 0x01, 0xAA, 0x00};
const Address kCtrl = Address::parse("00:AA:01:00:00:00").value();
const Address kPeer = Address::parse("11:22:33:44:55:66").value();

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/bcms-gap-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

struct HeartRate : att::Service {
  HeartRate() : Service(0x180D) {}
  att::Characteristic& measurement = characteristic(0x2A37, att::Flags::notify);
  att::Characteristic& secret =
      characteristic(0x2A38, att::Flags::read | att::Flags::encrypt_read, {.initial = {0x01}});
};

struct Rig {
  asio::io_context io;
  ScriptedKernel kernel{io};
  mgmt::MgmtChannel ch{kernel.channel_socket()};
  TempDir dir;
  storage::Storage store = storage::Storage::open(dir.path / "bonds.db").value();
  att::Peripheral periph{io, att::PeripheralOptions{.name = "hr", .appearance = 0x0340}};
  HeartRate hr;
  std::unique_ptr<PairingAgent> agent = auto_accept_agent();
  std::unique_ptr<PeripheralApp> app;

  explicit Rig(std::uint32_t settings = 0x00000200) {
    kernel.on(0x0004, [settings](const Command&) { return Answer{0, test::controller_info(kCtrlWire, 0x0001FFFF, settings)}; });
    kernel.on(0x003D, [](const Command&) { return Answer{0, test::adv_features(0x0000007F, 31, 31, 5)}; });
    kernel.on(0x0040, test::linux_size_info);
    kernel.on(0x003E, [](const Command& c) { return Answer{0, bytes{c.params[0]}}; });
    periph.add(hr);
    periph.register_services();
  }
  void make_app(bool with_store = true, std::string name = "hr") {
    AppOptions o;
    o.index = 0;
    o.local_name = "hr";
    o.appearance = 0x0340;
    o.listen = false;
    Advertisement a;
    a.name = std::move(name);
    a.uuid16 = {0x180D};
    a.appearance = 0x0340;
    o.advertising.push_back(a);
    app = std::make_unique<PeripheralApp>(ch, periph, *agent, with_store ? &store : nullptr, o);
  }
  std::error_code start() { return test::await_on(io, app->start()); }

  att::StaticLinkSecurity* security = nullptr;  // the last client's link
  /// A client on a socketpair, served as `peer`; returns its fd.
  int client(const Address& peer, att::SecurityLevel level = att::SecurityLevel::medium) {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    auto sec = std::make_unique<att::StaticLinkSecurity>(level, level == att::SecurityLevel::low ? 0 : 16);
    security = sec.get();
    app->serve(att::AttBearer::Socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), sv[0]),
               Peer{peer, AddressType::le_public}, std::move(sec));
    return sv[1];
  }
  std::optional<bytes> receive(int fd) {
    std::optional<bytes> got;
    test::run_until(io, [&] {
      bytes b(64);
      auto n = ::recv(fd, b.data(), b.size(), MSG_DONTWAIT);
      if (n > 0) {
        b.resize(static_cast<std::size_t>(n));
        got = b;
      }
      return got.has_value();
    }, std::chrono::milliseconds(500));
    return got;
  }
  bytes exchange(int fd, const bytes& pdu) {
    REQUIRE(::send(fd, pdu.data(), pdu.size(), 0) == static_cast<ssize_t>(pdu.size()));
    auto r = receive(fd);
    REQUIRE(r.has_value());
    return *r;
  }
};

storage::LongTermKey stored_ltk() {
  storage::LongTermKey k;
  k.peer = {kPeer, AddressType::le_public};
  k.key_type = 0x00;
  k.central = false;
  k.enc_size = 16;
  k.ediv = 0x1234;
  k.rand = 0x0102030405060708;
  for (std::uint8_t i = 0; i < 16; ++i) k.value[i] = i;
  return k;
}

}  // namespace

TEST_CASE("start: the mgmt commands in order (mgmt-api.txt), then Add Advertising with the exact payload") {
  Rig r;
  r.make_app();
  REQUIRE_FALSE(r.start());
  CHECK(r.app->started());
  CHECK(r.app->address() == kCtrl);
  CHECK(r.kernel.opcodes() == std::vector<std::uint16_t>{
                                  0x0004,  // Read Controller Information
                                  0x0009,  // Set Bondable
                                  0x0018,  // Set IO Capability
                                  0x000F,  // Set Local Name
                                  0x0043,  // Set Appearance
                                  0x0013,  // Load Long Term Keys
                                  0x0030,  // Load Identity Resolving Keys
                                  0x0005,  // Set Powered
                                  0x003D,  // Read Advertising Features
                                  0x0040,  // Get Advertising Size Information
                                  0x003E,  // Add Advertising
                              });
  CHECK(r.kernel.params(0x0009) == bytes{0x01});
  CHECK(r.kernel.params(0x0018) == bytes{0x03});  // NoInputNoOutput
  auto name = r.kernel.params(0x000F).value();
  REQUIRE(name.size() == 260);
  CHECK(name[0] == 'h');
  CHECK(name[1] == 'r');
  CHECK(name[2] == 0);
  CHECK(r.kernel.params(0x0043) == bytes{0x40, 0x03});
  CHECK(r.kernel.params(0x0013) == bytes{0x00, 0x00});  // no keys stored: the kernel's list is emptied
  CHECK(r.kernel.params(0x0030) == bytes{0x00, 0x00});
  CHECK(r.kernel.params(0x0005) == bytes{0x01});
  CHECK(r.kernel.params(0x0040) == bytes{0x01, 0x03, 0x00, 0x00, 0x00});
  // Instance 1, flags connectable|discoverable, duration 0, timeout 0,
  // 12 octets of advertising data: 16-bit UUIDs {180D}, Appearance 0x0340,
  // Complete Local Name "hr"; no scan response.
  CHECK(r.kernel.params(0x003E) == bytes{0x01, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x00,
                                         0x03, 0x03, 0x0D, 0x18, 0x03, 0x19, 0x40, 0x03, 0x03, 0x09, 0x68, 0x72});
}

TEST_CASE("start: Set Advertising off and Set Low Energy on when needed; no Set Powered when powered") {
  Rig r(0x00000401);  // powered, advertising, LE off
  r.make_app(false);
  REQUIRE_FALSE(r.start());
  CHECK(r.kernel.opcodes() == std::vector<std::uint16_t>{0x0004, 0x0029, 0x000D, 0x0009, 0x0018, 0x000F, 0x0043,
                                                         0x003D, 0x0040, 0x003E});
  CHECK(r.kernel.params(0x0029) == bytes{0x00});
  CHECK(r.kernel.params(0x000D) == bytes{0x01});
  CHECK(r.app->bonds() == nullptr);  // no storage: no Load Long Term Keys
}

TEST_CASE("start: stored bonds are loaded with Load Long Term Keys (exact bytes)") {
  Rig r;
  REQUIRE(r.store.store_ltk(kCtrl, stored_ltk()));
  r.make_app();
  REQUIRE_FALSE(r.start());
  // Key_Count 1; address 66..11 (wire), LE public, unauthenticated,
  // responder, 16 octets, EDIV 0x1234, Rand 0x0102030405060708, value 00..0f.
  CHECK(r.kernel.params(0x0013) == bytes{0x01, 0x00, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x01, 0x00, 0x00, 0x10,
                                         0x34, 0x12, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x00, 0x01,
                                         0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D,
                                         0x0E, 0x0F});
  REQUIRE(r.app->bonds());
  CHECK(r.app->bonds()->bonded(Peer{kPeer, AddressType::le_public}));
}

TEST_CASE("start fails with a clear error when the advertising payload does not fit") {
  Rig r;
  Advertisement big;
  big.instance = 2;
  big.name = std::string(40, 'x');                 // a long name is only shortened, but
  big.manufacturer = {{0x05F1, bytes(40, 0xAB)}};  // 44 octets fit neither 28 nor 31
  AppOptions o;
  o.listen = false;
  o.advertising = {big};
  r.app = std::make_unique<PeripheralApp>(r.ch, r.periph, *r.agent, &r.store, o);
  const std::error_code ec = r.start();
  CHECK(ec == errc::adv_data_too_long);
  CHECK(r.app->error_detail().find("manufacturer data does not fit: needs 44 octets, 31 left") != std::string::npos);
  CHECK(r.app->error_detail().find("advertising instance 2") != std::string::npos);
  CHECK_FALSE(r.app->started());
  CHECK(r.kernel.count(0x003E) == 0);
}

TEST_CASE("Core Vol 3 Part G 3.3.3.3: a bonded client's CCCD comes back from storage on reconnection") {
  Rig r;
  REQUIRE(r.store.store_ltk(kCtrl, stored_ltk()));
  const std::uint16_t cccd = r.hr.measurement.handles().cccd;
  storage::GattClient rec;
  rec.peer = {kPeer, AddressType::le_public};
  rec.db_hash = r.periph.server().hash();  // written for this very database
  rec.cccds = {{cccd, 0x0001}};
  REQUIRE(r.store.store_gatt_clients(kCtrl, {rec}));
  r.make_app();
  REQUIRE_FALSE(r.start());
  bool bonded_seen = false;
  r.app->on_connect([&](const att::Connection&, bool bonded) { bonded_seen = bonded; });
  const int fd = r.client(kPeer);
  CHECK(bonded_seen);
  // No CCCD write on this connection, yet the notification goes out.
  CHECK(r.hr.measurement.notify_all(bytes{0x00, 0x48}) == 1);
  const std::uint16_t vh = r.hr.measurement.value_handle();
  CHECK(r.receive(fd) == bytes{0x1B, static_cast<std::uint8_t>(vh), static_cast<std::uint8_t>(vh >> 8), 0x00, 0x48});
  ::close(fd);
}

TEST_CASE("a client that bonds during the connection has its CCCD persisted (New Long Term Key, Store_Hint 1)") {
  Rig r;
  r.make_app();
  REQUIRE_FALSE(r.start());
  const int fd = r.client(kPeer);
  const std::uint16_t cccd = r.hr.measurement.handles().cccd;
  // ATT_WRITE_REQ (0x12) CCCD = 0x0001 -> ATT_WRITE_RSP (0x13).
  CHECK(r.exchange(fd, bytes{0x12, static_cast<std::uint8_t>(cccd), static_cast<std::uint8_t>(cccd >> 8), 0x01, 0x00}) ==
        bytes{0x13});
  CHECK(r.store.cccds(kCtrl, {kPeer, AddressType::le_public}).value().empty());  // not bonded yet
  // New Long Term Key: store hint 1, peer, LE public, key type 0, responder,
  // 16 octets, EDIV 0, Rand 0, value 0x5A x 16.
  bytes ev{0x01, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x01, 0x00, 0x00, 0x10, 0x00, 0x00};
  ev.insert(ev.end(), 8, 0x00);
  ev.insert(ev.end(), 16, 0x5A);
  r.kernel.event(0x000A, 0, ev);
  REQUIRE(test::run_until(r.io, [&] { return r.app->bonds()->bonded(Peer{kPeer, AddressType::le_public}); }));
  auto stored = [&] { return r.store.cccds(kCtrl, {kPeer, AddressType::le_public}).value(); };
  CHECK(test::run_until(r.io, [&] { return stored() == std::vector<storage::Cccd>{{cccd, 0x0001}}; }));
  // Later writes persist too (committed after the loop turn): 0x0000 removes the row.
  CHECK(r.exchange(fd, bytes{0x12, static_cast<std::uint8_t>(cccd), static_cast<std::uint8_t>(cccd >> 8), 0x00, 0x00}) ==
        bytes{0x13});
  CHECK(test::run_until(r.io, [&] { return stored().empty(); }));
  ::close(fd);
}

TEST_CASE("stop: our advertising instance is removed") {
  Rig r;
  r.make_app();
  REQUIRE_FALSE(r.start());
  test::await_on(r.io, r.app->stop());
  CHECK(r.kernel.params(0x003F) == bytes{0x01});
  CHECK_FALSE(r.app->started());
}

TEST_CASE("Vol 3 Part C 10.3.2: an unencrypted read of an encrypted value is refused, then security is raised") {
  Rig r;
  r.make_app(false);
  REQUIRE_FALSE(r.start());
  const int fd = r.client(kPeer, att::SecurityLevel::low);
  const std::uint16_t h = r.hr.secret.value_handle();
  const auto lo = static_cast<std::uint8_t>(h), hi = static_cast<std::uint8_t>(h >> 8);
  bool response_first = false;
  r.security->on_request = [&] {
    bytes b(16);
    response_first = ::recv(fd, b.data(), b.size(), MSG_PEEK | MSG_DONTWAIT) == 5;
  };
  // ATT_READ_REQ -> ATT_ERROR_RSP (0x01): Read Request, handle, Insufficient Encryption.
  CHECK(r.exchange(fd, bytes{0x0A, lo, hi}) == bytes{0x01, 0x0A, lo, hi, 0x0F});
  test::run_until(r.io, [&] { return !r.security->requests.empty(); });
  CHECK(r.security->requests == std::vector<att::SecurityLevel>{att::SecurityLevel::medium});
  CHECK(response_first);
  CHECK(r.exchange(fd, bytes{0x0A, lo, hi}) == bytes{0x0B, 0x01});  // ATT_READ_RSP after the raise
  ::close(fd);
}

TEST_CASE("mgmt Authentication Failed while security is being raised ends that client's bearer") {
  Rig r;
  r.make_app(false);
  REQUIRE_FALSE(r.start());
  const int fd = r.client(kPeer, att::SecurityLevel::low);
  r.security->on_raise = att::StaticLinkSecurity::OnRaise::hold;
  const std::uint16_t h = r.hr.secret.value_handle();
  const auto lo = static_cast<std::uint8_t>(h), hi = static_cast<std::uint8_t>(h >> 8);
  CHECK(r.exchange(fd, bytes{0x0A, lo, hi}) == bytes{0x01, 0x0A, lo, hi, 0x0F});
  test::run_until(r.io, [&] { return !r.security->requests.empty(); });
  // Authentication Failed (0x0011): Address, Address_Type, Status 0x05.
  r.kernel.event(0x0011, 0, bytes{0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x01, 0x05});
  bool eof = false;
  test::run_until(r.io, [&] {
    bytes b(16);
    eof = ::recv(fd, b.data(), b.size(), MSG_DONTWAIT) == 0;
    return eof;
  });
  CHECK(eof);
  ::close(fd);
}
