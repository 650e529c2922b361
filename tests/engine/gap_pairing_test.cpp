// PairingResponder + agents against a scripted kernel: the kernel's
// questions (mgmt-api.txt "User Confirmation Request Event", "User Passkey
// Request Event", "Passkey Notify Event", "Authentication Failed Event")
// go to the agent, and its answers come back as the exact reply commands.
#include "src/gap/pairing.hpp"

#include <doctest/doctest.h>

#include "protocol/mgmt/status.hpp"
#include "tests/engine/gap_kernel.hpp"

using namespace bcms;
using namespace bcms::gap;
using bcms::test::ScriptedKernel;

namespace {

constexpr std::uint16_t kConfirmReply = 0x001C, kConfirmNeg = 0x001D, kPasskeyReply = 0x001E, kPasskeyNeg = 0x001F;
// Peer 11:22:33:44:55:66, LE public: wire address + type.
const bytes kPeer{0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x01};

bytes with(bytes a, std::initializer_list<std::uint8_t> b) {
  a.insert(a.end(), b);
  return a;
}

struct Rig {
  asio::io_context io;
  ScriptedKernel kernel{io};
  mgmt::MgmtChannel ch{kernel.channel_socket()};
  std::unique_ptr<PairingAgent> agent;
  std::unique_ptr<PairingResponder> responder;

  explicit Rig(std::unique_ptr<PairingAgent> a) : agent(std::move(a)) {
    responder = std::make_unique<PairingResponder>(ch, 0, *agent);
  }
  /// User Confirmation Request (0x000F): address, type, hint, value.
  void confirm_request(std::uint8_t hint, std::uint32_t value, std::uint16_t index = 0) {
    bytes p = with(kPeer, {hint});
    test::le(p, value, 4);
    kernel.event(0x000F, index, p);
  }
  bool wait(std::uint16_t opcode, std::size_t n = 1) {
    return test::run_until(io, [&] { return kernel.count(opcode) >= n; });
  }
  void settle() { test::run_until(io, [] { return false; }, std::chrono::milliseconds(30)); }
};

struct Recorder : PairingAgent {
  IoCapability io_capability() const override { return IoCapability::keyboard_display; }
  void confirm(const PairingPeer& p, std::uint32_t v, bool jw, Confirm reply) override {
    peer = p;
    value = v;
    just_works = jw;
    pending = std::move(reply);
  }
  void failed(const PairingPeer& p, std::error_code ec) override {
    peer = p;
    failure = ec;
  }
  PairingPeer peer;
  std::uint32_t value = 0;
  bool just_works = false;
  Confirm pending;
  std::error_code failure;
};

}  // namespace

TEST_CASE("configure: Set Bondable 01, then Set IO Capability from the agent (Core Vol 3 Part H Table 3.4)") {
  struct Case {
    std::unique_ptr<PairingAgent> agent;
    std::uint8_t cap;
  };
  Case cases[] = {
      {auto_accept_agent(), 0x03},
      {yes_no_agent([](auto&&...) {}), 0x01},
      {passkey_display_agent([](auto&&...) {}), 0x00},
      {passkey_entry_agent([](auto&&...) {}), 0x02},
  };
  for (auto& c : cases) {
    Rig r(std::move(c.agent));
    CHECK_FALSE(test::await_on(r.io, r.responder->configure()));
    CHECK(r.kernel.opcodes() == std::vector<std::uint16_t>{0x0009, 0x0018});
    CHECK(r.kernel.params(0x0009) == bytes{0x01});
    CHECK(r.kernel.params(0x0018) == bytes{c.cap});
  }
  Rig off(auto_accept_agent());
  CHECK_FALSE(test::await_on(off.io, off.responder->configure(false)));
  CHECK(off.kernel.params(0x0009) == bytes{0x00});
}

TEST_CASE("Just Works (Confirm_Hint 1): the auto-accept agent sends User Confirmation Reply") {
  Rig r(auto_accept_agent());
  r.confirm_request(0x01, 0);
  REQUIRE(r.wait(kConfirmReply));
  CHECK(r.kernel.params(kConfirmReply) == kPeer);
  CHECK(r.kernel.count(kConfirmNeg) == 0);
  CHECK(r.responder->stats().accepted == 1);
}

TEST_CASE("yes/no agent: 'no' sends User Confirmation Negative Reply") {
  Rig r(yes_no_agent([](const PairingPeer&, std::uint32_t, bool, PairingAgent::Confirm reply) { reply(false); }));
  r.confirm_request(0x01, 0);
  REQUIRE(r.wait(kConfirmNeg));
  CHECK(r.kernel.params(kConfirmNeg) == kPeer);
  CHECK(r.kernel.count(kConfirmReply) == 0);
}

TEST_CASE("Numeric Comparison: the agent sees the 6-digit value and may answer later, once") {
  auto rec = std::make_unique<Recorder>();
  Recorder* agent = rec.get();
  Rig r(std::move(rec));
  r.confirm_request(0x00, 123456);
  REQUIRE(test::run_until(r.io, [&] { return static_cast<bool>(agent->pending); }));
  CHECK(agent->value == 123456);
  CHECK_FALSE(agent->just_works);
  CHECK(agent->peer.address == Address::parse("11:22:33:44:55:66").value());
  CHECK(agent->peer.type == AddressType::le_public);
  r.settle();
  CHECK(r.kernel.count(kConfirmReply) == 0);  // nothing until the user answers
  agent->pending(true);
  agent->pending(false);  // ignored
  REQUIRE(r.wait(kConfirmReply));
  r.settle();
  CHECK(r.kernel.count(kConfirmReply) == 1);
  CHECK(r.kernel.count(kConfirmNeg) == 0);
}

TEST_CASE("Passkey Entry: User Passkey Request answered with User Passkey Reply (passkey little-endian)") {
  Rig r(passkey_entry_agent([](const PairingPeer&, PairingAgent::Passkey reply) { reply(654321); }));
  r.kernel.event(0x0010, 0, kPeer);
  REQUIRE(r.wait(kPasskeyReply));
  CHECK(r.kernel.params(kPasskeyReply) == with(kPeer, {0xF1, 0xFB, 0x09, 0x00}));  // 654321 = 0x0009FBF1
}

TEST_CASE("Passkey Entry: no passkey, or one above 999999, is a User Passkey Negative Reply") {
  Rig r(passkey_entry_agent([](const PairingPeer&, PairingAgent::Passkey reply) { reply(std::nullopt); }));
  r.kernel.event(0x0010, 0, kPeer);
  REQUIRE(r.wait(kPasskeyNeg));
  CHECK(r.kernel.params(kPasskeyNeg) == kPeer);
  Rig big(passkey_entry_agent([](const PairingPeer&, PairingAgent::Passkey reply) { reply(1000000); }));
  big.kernel.event(0x0010, 0, kPeer);
  REQUIRE(big.wait(kPasskeyNeg));
  CHECK(big.kernel.count(kPasskeyReply) == 0);
}

TEST_CASE("the default agent refuses passkey requests") {
  Rig r(auto_accept_agent());
  r.kernel.event(0x0010, 0, kPeer);
  REQUIRE(r.wait(kPasskeyNeg));
}

TEST_CASE("Passkey Display: Passkey Notify shows the passkey once (keypress updates are not re-shown)") {
  std::vector<std::uint32_t> shown;
  Rig r(passkey_display_agent([&](const PairingPeer&, std::uint32_t p) { shown.push_back(p); }));
  bytes ev = kPeer;
  test::le(ev, 12345, 4);
  bytes first = with(ev, {0x00});
  bytes typed = with(ev, {0x03});
  r.kernel.event(0x0017, 0, first);
  r.kernel.event(0x0017, 0, typed);
  r.settle();
  CHECK(shown == std::vector<std::uint32_t>{12345});
  CHECK(r.kernel.commands.empty());  // nothing to answer
}

TEST_CASE("Authentication Failed reaches the agent with the mgmt status") {
  auto rec = std::make_unique<Recorder>();
  Recorder* agent = rec.get();
  Rig r(std::move(rec));
  r.kernel.event(0x0011, 0, with(kPeer, {0x05}));
  REQUIRE(test::run_until(r.io, [&] { return static_cast<bool>(agent->failure); }));
  CHECK(agent->failure == make_error_code(mgmt::Status::AuthenticationFailed));
  CHECK(r.responder->stats().failures == 1);
}

TEST_CASE("questions for another controller are not ours") {
  Rig r(auto_accept_agent());
  r.confirm_request(0x01, 0, 1);
  r.settle();
  CHECK(r.kernel.commands.empty());
  CHECK(r.responder->stats().confirmations == 0);
}

TEST_CASE("a reply after the responder is gone is dropped") {
  auto rec = std::make_unique<Recorder>();
  Recorder* agent = rec.get();
  Rig r(std::move(rec));
  r.confirm_request(0x01, 0);
  REQUIRE(test::run_until(r.io, [&] { return static_cast<bool>(agent->pending); }));
  r.responder.reset();
  agent->pending(true);
  r.settle();
  CHECK(r.kernel.commands.empty());
}
