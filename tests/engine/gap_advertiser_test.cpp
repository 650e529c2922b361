// Advertiser engine tests against a scripted kernel: the exact Add
// Advertising parameters (mgmt-api.txt "Add Advertising Command": Instance,
// Flags, Duration, Timeout, Adv_Data_Len, Scan_Rsp_Len, Adv_Data,
// Scan_Rsp) for payloads built from Core Supplement Part A AD structures,
// the split against Get Advertising Size Information, the errors, and
// re-advertising after Device Disconnected.
#include "src/gap/advertiser.hpp"

#include <doctest/doctest.h>

#include "protocol/mgmt/status.hpp"
#include "src/gap/gap_error.hpp"
#include "tests/engine/gap_kernel.hpp"

using namespace bcms;
using namespace bcms::gap;
using bcms::test::Answer;
using bcms::test::Command;
using bcms::test::ScriptedKernel;

namespace {

constexpr std::uint16_t kAddAdv = 0x003E, kRemoveAdv = 0x003F, kReadFeatures = 0x003D, kSizeInfo = 0x0040;

struct Rig {
  asio::io_context io;
  ScriptedKernel kernel{io};
  mgmt::MgmtChannel ch{kernel.channel_socket()};
  Advertiser adv{ch, 0};

  explicit Rig(std::uint32_t supported = 0x0000007F, std::uint8_t max_instances = 5) {
    kernel.on(kReadFeatures, [=](const Command&) { return Answer{0, test::adv_features(supported, 31, 31, max_instances)}; });
    kernel.on(kSizeInfo, test::linux_size_info);
    kernel.on(kAddAdv, [](const Command& c) { return Answer{0, bytes{c.params[0]}}; });
    kernel.on(kRemoveAdv, [](const Command& c) { return Answer{0, bytes{c.params[0]}}; });
  }
  expected<void, AdvError> add(const Advertisement& a) { return test::await_on(io, adv.add(a)); }
  /// Device Disconnected (0x000C): address, LE public, reason 0x13.
  void disconnected() { kernel.event(0x000C, 0, bytes{0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x01, 0x13}); }
};

Advertisement hr() {
  Advertisement a;
  a.name = "HR";
  a.uuid16 = {0x180D};
  return a;
}

bytes cat(bytes a, const bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST_CASE("Add Advertising: name + 16-bit UUID, connectable and general discoverable (exact parameters)") {
  Rig r;
  REQUIRE(r.add(hr()));
  CHECK(r.kernel.opcodes() == std::vector<std::uint16_t>{kReadFeatures, kSizeInfo, kAddAdv});
  CHECK(r.kernel.params(kSizeInfo) == bytes{0x01, 0x03, 0x00, 0x00, 0x00});
  // 01 | flags 0x00000003 | duration 0 | timeout 0 | adv len 8 | scan len 0
  // | 03 03 0D 18 (16-bit UUIDs, complete) | 03 09 'H' 'R' (Complete Local Name)
  CHECK(r.kernel.params(kAddAdv) == bytes{0x01, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00,
                                          0x03, 0x03, 0x0D, 0x18, 0x03, 0x09, 0x48, 0x52});
  CHECK(r.adv.active() == std::vector<std::uint8_t>{1});
  CHECK(r.adv.last_command(1) == r.kernel.params(kAddAdv));
}

TEST_CASE("what does not fit the 28 octets left after the kernel's Flags goes to the scan response") {
  Rig r;
  Advertisement a;
  a.name = "bcms heart rate monitor";  // 23 octets: 25 with its header
  a.uuid16 = {0x180D, 0x180F};
  a.appearance = 0x0340;
  a.manufacturer = {{0x05F1, {0x01, 0x02, 0x03, 0x04}}};
  REQUIRE(r.add(a));
  const bytes adv{0x05, 0x03, 0x0D, 0x18, 0x0F, 0x18,               // UUIDs 180D, 180F
                  0x03, 0x19, 0x40, 0x03,                           // Appearance 0x0340
                  0x07, 0xFF, 0xF1, 0x05, 0x01, 0x02, 0x03, 0x04};  // Manufacturer 0x05F1
  bytes scan{0x18, 0x09};
  for (char c : std::string("bcms heart rate monitor")) scan.push_back(static_cast<std::uint8_t>(c));
  CHECK(r.kernel.params(kAddAdv) ==
        cat(cat(bytes{0x01, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 18, 25}, adv), scan));
}

TEST_CASE("without a scan response the name is shortened (AD type 0x08) to the space left") {
  Rig r;
  Advertisement a = hr();
  a.name = "abcdefghijklmnopqrstuvwxyz0123";  // 30 octets
  a.scan_response = false;
  REQUIRE(r.add(a));
  // 28 - 4 (UUIDs) = 24 octets: length 0x17, type 0x08, 22 characters.
  bytes expect{0x01, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 28, 0x00, 0x03, 0x03, 0x0D, 0x18, 0x17, 0x08};
  for (char c : std::string("abcdefghijklmnopqrstuv")) expect.push_back(static_cast<std::uint8_t>(c));
  CHECK(r.kernel.params(kAddAdv) == expect);
}

TEST_CASE("a payload that fits neither block fails with a message naming the field; nothing is sent") {
  Rig r;
  Advertisement a = hr();
  a.manufacturer = {{0x05F1, bytes(40, 0xAB)}};  // 44 octets with its header
  auto res = r.add(a);
  REQUIRE_FALSE(res);
  CHECK(res.error().code == errc::adv_data_too_long);
  CHECK(res.error().detail.find("manufacturer data does not fit: needs 44 octets, 31 left") != std::string::npos);
  CHECK(res.error().detail.find("28 octets of advertising data, 31 of scan response") != std::string::npos);
  CHECK(r.kernel.count(kAddAdv) == 0);
  CHECK(r.adv.active().empty());
}

TEST_CASE("non-connectable, not discoverable, with TX power, service data, duration and timeout") {
  Rig r;
  Advertisement a;
  a.instance = 3;
  a.connectable = false;
  a.discoverable = Discoverable::none;
  a.tx_power = -8;
  a.service_data = {{0x180F, {0x64}}};
  a.duration_s = 5;
  a.timeout_s = 60;
  REQUIRE(r.add(a));
  CHECK(r.kernel.params(kSizeInfo) == bytes{0x03, 0x00, 0x00, 0x00, 0x00});
  // TX Power Level 02 0A F8 (-8 dBm); Service Data 04 16 0F 18 64.
  CHECK(r.kernel.params(kAddAdv) == bytes{0x03, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x3C, 0x00, 0x08, 0x00,
                                          0x02, 0x0A, 0xF8, 0x04, 0x16, 0x0F, 0x18, 0x64});
}

TEST_CASE("limited discoverable and kernel-added TX power map to flags 2 and 4; size information follows them") {
  Rig r;
  Advertisement a = hr();
  a.discoverable = Discoverable::limited;
  a.kernel_tx_power = true;
  REQUIRE(r.add(a));
  CHECK(r.kernel.params(kSizeInfo) == bytes{0x01, 0x15, 0x00, 0x00, 0x00});  // 0x01 | 0x04 | 0x10
  const bytes p = r.kernel.params(kAddAdv).value();
  CHECK(p[1] == 0x15);
}

TEST_CASE("instance 0 and instances above Max_Instances are refused before anything is added") {
  Rig r(0x7F, 2);
  Advertisement a = hr();
  a.instance = 3;
  auto res = r.add(a);
  REQUIRE_FALSE(res);
  CHECK(res.error().code == errc::instance_out_of_range);
  CHECK(res.error().detail.find("instances 1..2") != std::string::npos);
  a.instance = 0;
  CHECK(r.add(a).error().code == errc::instance_out_of_range);
  CHECK(r.kernel.opcodes() == std::vector<std::uint16_t>{kReadFeatures});
}

TEST_CASE("flags outside Supported_Flags are refused") {
  Rig r(0x00000003);
  Advertisement a = hr();
  a.kernel_tx_power = true;
  auto res = r.add(a);
  REQUIRE_FALSE(res);
  CHECK(res.error().code == errc::flags_not_supported);
  CHECK(res.error().detail.find("0x00000010") != std::string::npos);
  CHECK(r.kernel.count(kSizeInfo) == 0);
}

TEST_CASE("a refused Add Advertising reports the mgmt status") {
  Rig r;
  r.kernel.on(kAddAdv, [](const Command&) { return Answer{0x0D, {}}; });  // Invalid Parameters
  auto res = r.add(hr());
  REQUIRE_FALSE(res);
  CHECK(res.error().code == make_error_code(mgmt::Status::InvalidParameters));
  CHECK(res.error().detail.find("Add Advertising: Invalid Parameters") != std::string::npos);
  CHECK(r.adv.active().empty());
}

TEST_CASE("Device Disconnected: the same Add Advertising goes out again") {
  Rig r;
  REQUIRE(r.add(hr()));
  const bytes first = r.kernel.params(kAddAdv).value();
  r.disconnected();
  REQUIRE(test::run_until(r.io, [&] { return r.kernel.count(kAddAdv) == 2; }));
  CHECK(r.kernel.params(kAddAdv, 1) == first);
  CHECK(r.adv.stats().readvertised == 1);
}

TEST_CASE("an instance the kernel removed (timeout) is marked inactive and comes back after a disconnect") {
  Rig r;
  Advertisement a = hr();
  a.timeout_s = 10;
  REQUIRE(r.add(a));
  r.kernel.event(0x0024, 0, bytes{0x01});  // Advertising Removed: instance 1
  REQUIRE(test::run_until(r.io, [&] { return r.adv.active().empty(); }));
  CHECK(r.adv.stats().expired == 1);
  r.disconnected();
  REQUIRE(test::run_until(r.io, [&] { return r.adv.active() == std::vector<std::uint8_t>{1}; }));
  CHECK(r.kernel.count(kAddAdv) == 2);
}

TEST_CASE("readvertise_on_disconnect off: a disconnect changes nothing") {
  Rig r;
  Advertisement a = hr();
  a.readvertise_on_disconnect = false;
  REQUIRE(r.add(a));
  r.disconnected();
  r.kernel.event(0x000C, 1, bytes{0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x01, 0x13});  // another controller
  test::run_until(r.io, [] { return false; }, std::chrono::milliseconds(50));
  CHECK(r.kernel.count(kAddAdv) == 1);
}

TEST_CASE("several instances; remove(0) removes each of ours, and a disconnect no longer re-adds them") {
  Rig r;
  Advertisement a = hr();
  Advertisement b = hr();
  b.instance = 2;
  b.name = "HR2";
  REQUIRE(r.add(a));
  REQUIRE(r.add(b));
  CHECK(r.kernel.count(kReadFeatures) == 1);  // features are read once
  CHECK(r.adv.active() == std::vector<std::uint8_t>{1, 2});
  CHECK_FALSE(test::await_on(r.io, r.adv.remove(0)));
  CHECK(r.kernel.params(kRemoveAdv, 0) == bytes{0x01});
  CHECK(r.kernel.params(kRemoveAdv, 1) == bytes{0x02});
  CHECK(r.adv.active().empty());
  r.disconnected();
  test::run_until(r.io, [] { return false; }, std::chrono::milliseconds(50));
  CHECK(r.kernel.count(kAddAdv) == 2);
}
