// Engine tests: the synchronous facade (MgmtSync) over a socketpair, with
// the fake kernel answering from its own thread (the facade blocks).
#include "src/mgmt/sync.hpp"

#include <doctest/doctest.h>

#include <thread>

#include "protocol/sys_error.hpp"
#include "tests/engine/fake_kernel.hpp"

using namespace bcms;
using namespace bcms::mgmt;
using bcms::test::cmd_complete;
using bcms::test::cmd_status;
using bcms::test::FakePeer;
using bcms::test::mgmt_packet;

namespace {

struct SyncFixture {
  std::unique_ptr<MgmtSync> sync;
  std::unique_ptr<FakePeer> kernel;
  SyncFixture() {
    auto [a, b] = bcms::test::seqpacket_pair();
    auto io = std::make_unique<asio::io_context>(1);
    MgmtChannel::socket_type s(*io);
    s.assign(asio::generic::raw_protocol(AF_UNIX, 0), a);
    sync = std::make_unique<MgmtSync>(std::move(io), std::move(s));
    kernel = std::make_unique<FakePeer>(b);
  }
  // Blocking read on the kernel side (the facade runs its own loop).
  bytes kernel_read() {
    for (int i = 0; i < 2000; ++i) {
      if (auto p = kernel->try_read()) return *p;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    throw std::runtime_error("no command");
  }
};

// Read Controller Information reply (mgmt-api.txt): address, version,
// manufacturer, supported settings, current settings, class, name[249],
// short name[11] = 280 octets.
bytes read_info_reply() {
  bytes r{0x00, 0x00, 0x01, 0x00, 0xAA, 0x00,  // 00:AA:00:01:00:00
          0x09,                                // Bluetooth 5.0
          0xF1, 0x05,                          // manufacturer 0x05f1
          0xFF, 0xFE, 0x01, 0x00,              // supported settings
          0x81, 0x02, 0x00, 0x00,              // current: powered, le, ...
          0x00, 0x00, 0x00};                   // class
  bytes name(249, 0);
  std::string n = "bcms-test";
  std::copy(n.begin(), n.end(), name.begin());
  r.insert(r.end(), name.begin(), name.end());
  r.insert(r.end(), 11, 0);
  return r;
}

}  // namespace

TEST_CASE("MgmtSync::command returns the typed reply, its views valid after return") {
  SyncFixture f;
  std::thread k([&] {
    auto cmd = f.kernel_read();
    CHECK(cmd == bytes{0x04, 0x00, 0x01, 0x00, 0x00, 0x00});  // Read Controller Information, hci1
    f.kernel->write(cmd_complete(1, 0x0004, 0, read_info_reply()));
  });
  auto r = f.sync->command(ReadControllerInformation{}, 1);
  k.join();
  REQUIRE(r);
  CHECK(r->value.name == "bcms-test");
  CHECK(r->value.address.to_string() == "00:AA:00:01:00:00");
  CHECK(r->value.manufacturer == 0x05f1);
  CHECK(r->value.current_settings == 0x0281);
}

TEST_CASE("MgmtSync::command reports a failed status by name") {
  SyncFixture f;
  std::thread k([&] {
    f.kernel_read();
    f.kernel->write(cmd_status(0, 0x0005, 0x0f));
  });
  SetPowered p;
  p.powered = 1;
  auto r = f.sync->command(p, 0);
  k.join();
  REQUIRE_FALSE(r);
  CHECK(r.error().message() == "Not Powered (0x0f)");
}

TEST_CASE("MgmtSync::command refuses a reply of the wrong size") {
  SyncFixture f;
  std::thread k([&] {
    f.kernel_read();
    f.kernel->write(cmd_complete(0, 0x0005, 0, {0x01, 0x00}));  // Current_Settings is 4 octets
  });
  SetPowered p;
  auto r = f.sync->command(p, 0);
  k.join();
  REQUIRE_FALSE(r);
  CHECK(r.error() == codec_errc::truncated);
}

TEST_CASE("a watch keeps Device Found events that precede the Start Discovery reply (Linux 6.12 order)") {
  SyncFixture f;
  auto watch = f.sync->watch({0x0012, 0x0013}, 0);
  std::thread k([&] {
    f.kernel_read();
    f.kernel->write(mgmt_packet(0x0013, 0, {0x06, 0x01}));  // Discovering: LE, on
    // Device Found: 00:AA:01:00:00:00, LE public, rssi 127, flags 0, EIR: name "x"
    f.kernel->write(mgmt_packet(0x0012, 0, {0x00, 0x00, 0x00, 0x01, 0xAA, 0x00, 0x01, 0x7F, 0, 0, 0, 0, 0x03, 0x00,
                                            0x02, 0x09, 'x'}));
    f.kernel->write(cmd_complete(0, 0x0023, 0, {0x06}));
  });
  StartDiscovery sd;
  sd.address_type = 0x06;
  auto r = f.sync->command(sd, 0);
  k.join();
  REQUIRE(r);
  auto first = watch.next(std::chrono::milliseconds(100));
  auto second = watch.next(std::chrono::milliseconds(100));
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->code == 0x0013);
  CHECK(second->code == 0x0012);
  auto df = DeviceFoundEvent::decode(second->params);
  REQUIRE(df);
  CHECK(df->address.to_string() == "00:AA:01:00:00:00");
  CHECK(df->eir_data.size() == 3);
  CHECK_FALSE(watch.next(std::chrono::milliseconds(20)));
}

TEST_CASE("MgmtSync::send times out cleanly when the kernel never answers") {
  SyncFixture f;
  auto r = f.sync->send(0x0001, kNonController, {}, std::chrono::milliseconds(30));
  REQUIRE_FALSE(r);
  CHECK(r.error() == timeout_error());
}
