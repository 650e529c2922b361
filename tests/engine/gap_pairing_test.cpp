// PairingResponder + agents against a scripted kernel: the kernel's
// questions (mgmt-api.txt "User Confirmation Request Event", "User Passkey
// Request Event", "PIN Code Request Event", "Passkey Notify Event",
// "Authentication Failed Event") go to the agent, and its answers come back
// as the exact reply commands.  PromptAgent (the one agent of bcms-mgmt and
// the examples) is driven through its Ui with scripted answers.
#include "src/gap/pairing.hpp"

#include <doctest/doctest.h>

#include "protocol/mgmt/status.hpp"
#include "tests/engine/gap_kernel.hpp"

using namespace bcms;
using namespace bcms::gap;
using bcms::test::ScriptedKernel;

namespace {

constexpr std::uint16_t kConfirmReply = 0x001C, kConfirmNeg = 0x001D, kPasskeyReply = 0x001E, kPasskeyNeg = 0x001F;
constexpr std::uint16_t kPinReply = 0x0016, kPinNeg = 0x0017;
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

  explicit Rig(std::unique_ptr<PairingAgent> a, std::uint32_t index = 0) : agent(std::move(a)) {
    responder = std::make_unique<PairingResponder>(ch, index, *agent);
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

/// A PromptAgent whose user answers from a script (nullopt: no answer,
/// as at end of input) and whose questions and shown lines are recorded.
struct ScriptedUser {
  explicit ScriptedUser(std::vector<std::optional<std::string>> a = {}) : answers(std::move(a)) {}
  std::vector<std::optional<std::string>> answers;
  std::vector<std::string> questions, shown;
  std::vector<std::uint16_t> asked_index;

  std::unique_ptr<PairingAgent> agent(IoCapability cap, bool ask_just_works = true) {
    PromptAgent::Ui ui;
    ui.ask = [this](const PairingPeer& p, const std::string& q, PromptAgent::Answer answer) {
      questions.push_back(q);
      asked_index.push_back(p.index);
      std::optional<std::string> a;
      if (!answers.empty()) a = answers.front(), answers.erase(answers.begin());
      answer(a);
    };
    ui.show = [this](const PairingPeer&, const std::string& text) { shown.push_back(text); };
    return std::make_unique<PromptAgent>(PromptAgent::Options{cap, ask_just_works}, std::move(ui));
  }
};

}  // namespace

TEST_CASE("configure: Set Bondable 01, then Set IO Capability from the agent (Core Vol 3 Part H Table 3.4)") {
  struct Case {
    std::unique_ptr<PairingAgent> agent;
    std::uint8_t cap;
  };
  Case cases[] = {
      {auto_accept_agent(), 0x03},
      {std::make_unique<PromptAgent>(PromptAgent::Options{IoCapability::display_yes_no, true}, PromptAgent::Ui{}), 0x01},
      {std::make_unique<PromptAgent>(PromptAgent::Options{IoCapability::display_only, true}, PromptAgent::Ui{}), 0x00},
      {std::make_unique<PromptAgent>(PromptAgent::Options{IoCapability::keyboard_only, true}, PromptAgent::Ui{}), 0x02},
      {std::make_unique<PromptAgent>(PromptAgent::Options{IoCapability::keyboard_display, true}, PromptAgent::Ui{}), 0x04},
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

TEST_CASE("PromptAgent DisplayYesNo: Just Works is asked; 'no' sends User Confirmation Negative Reply") {
  ScriptedUser user({"no"});
  Rig r(user.agent(IoCapability::display_yes_no));
  r.confirm_request(0x01, 0);
  REQUIRE(r.wait(kConfirmNeg));
  CHECK(r.kernel.params(kConfirmNeg) == kPeer);
  CHECK(r.kernel.count(kConfirmReply) == 0);
  CHECK(user.questions == std::vector<std::string>{"Pair with 11:22:33:44:55:66? (yes/no): "});
  CHECK(r.responder->stats().rejected == 1);
}

TEST_CASE("PromptAgent: 'yes' to Numeric Comparison (the value shown in six digits) sends User Confirmation Reply") {
  ScriptedUser user({" YES\r"});
  Rig r(user.agent(IoCapability::keyboard_display));
  r.confirm_request(0x00, 4321);
  REQUIRE(r.wait(kConfirmReply));
  CHECK(r.kernel.params(kConfirmReply) == kPeer);
  CHECK(user.questions == std::vector<std::string>{"Pair with 11:22:33:44:55:66, passkey 004321? (yes/no): "});
}

TEST_CASE("PromptAgent: no answer (end of input) rejects the confirmation") {
  ScriptedUser user({std::nullopt});
  Rig r(user.agent(IoCapability::display_yes_no));
  r.confirm_request(0x01, 0);
  REQUIRE(r.wait(kConfirmNeg));
  CHECK(r.kernel.count(kConfirmReply) == 0);
}

TEST_CASE("PromptAgent NoInputNoOutput: accepts every confirmation without asking, refuses passkey and PIN") {
  ScriptedUser user({"123456", "0000"});
  Rig r(user.agent(IoCapability::no_input_no_output));
  r.confirm_request(0x01, 0);
  r.kernel.event(0x0010, 0, kPeer);
  r.kernel.event(0x000E, 0, with(kPeer, {0x00}));
  REQUIRE(r.wait(kConfirmReply));
  REQUIRE(r.wait(kPasskeyNeg));
  REQUIRE(r.wait(kPinNeg));
  CHECK(user.questions.empty());
}

TEST_CASE("PromptAgent without Just Works consent (DisplayOnly): Just Works accepted without asking") {
  ScriptedUser user;
  Rig r(user.agent(IoCapability::display_only, false));
  r.confirm_request(0x01, 0);
  REQUIRE(r.wait(kConfirmReply));
  CHECK(user.questions.empty());
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
  ScriptedUser user({"654321"});
  Rig r(user.agent(IoCapability::keyboard_only));
  r.kernel.event(0x0010, 0, kPeer);
  REQUIRE(r.wait(kPasskeyReply));
  CHECK(r.kernel.params(kPasskeyReply) == with(kPeer, {0xF1, 0xFB, 0x09, 0x00}));  // 654321 = 0x0009FBF1
  CHECK(user.questions == std::vector<std::string>{"Passkey shown by 11:22:33:44:55:66 (6 digits): "});
}

TEST_CASE("Passkey Entry: no passkey, or not 1-6 digits, is a User Passkey Negative Reply") {
  for (std::optional<std::string> a : {std::optional<std::string>(), std::optional<std::string>(""),
                                       std::optional<std::string>("1000000"), std::optional<std::string>("12a"),
                                       std::optional<std::string>("-1"), std::optional<std::string>("+12")}) {
    CAPTURE(a.value_or("(none)"));
    ScriptedUser user({a});
    Rig r(user.agent(IoCapability::keyboard_only));
    r.kernel.event(0x0010, 0, kPeer);
    REQUIRE(r.wait(kPasskeyNeg));
    CHECK(r.kernel.params(kPasskeyNeg) == kPeer);
    CHECK(r.kernel.count(kPasskeyReply) == 0);
  }
}

TEST_CASE("a passkey above 999999 from any agent is refused by the responder") {
  struct Big : PairingAgent {
    IoCapability io_capability() const override { return IoCapability::keyboard_only; }
    void confirm(const PairingPeer&, std::uint32_t, bool, Confirm reply) override { reply(false); }
    void request_passkey(const PairingPeer&, Passkey reply) override { reply(1000000); }
  };
  Rig r(std::make_unique<Big>());
  r.kernel.event(0x0010, 0, kPeer);
  REQUIRE(r.wait(kPasskeyNeg));
  CHECK(r.kernel.count(kPasskeyReply) == 0);
}

TEST_CASE("PIN Code Request (BR/EDR legacy): the line is the PIN, length and 16 octets zero-padded") {
  ScriptedUser user({"0000"});
  Rig r(user.agent(IoCapability::keyboard_display));
  bytes bredr = kPeer;
  bredr.back() = 0x00;  // BR/EDR
  r.kernel.event(0x000E, 0, with(bredr, {0x00}));
  REQUIRE(r.wait(kPinReply));
  bytes want = with(bredr, {0x04, '0', '0', '0', '0'});
  want.resize(7 + 1 + 16, 0);
  CHECK(r.kernel.params(kPinReply) == want);
  CHECK(user.questions == std::vector<std::string>{"PIN code for 11:22:33:44:55:66 (1-16 characters): "});
  CHECK(r.responder->stats().pin_requests == 1);
}

TEST_CASE("PIN Code Request: no answer, an empty line or more than 16 characters is a PIN Code Negative Reply") {
  for (std::optional<std::string> a : {std::optional<std::string>(), std::optional<std::string>(""),
                                       std::optional<std::string>(std::string(17, '1'))}) {
    ScriptedUser user({a});
    Rig r(user.agent(IoCapability::keyboard_only));
    r.kernel.event(0x000E, 0, with(kPeer, {0x00}));
    REQUIRE(r.wait(kPinNeg));
    CHECK(r.kernel.params(kPinNeg) == kPeer);
    CHECK(r.kernel.count(kPinReply) == 0);
  }
}

TEST_CASE("the default agent refuses passkey requests") {
  Rig r(auto_accept_agent());
  r.kernel.event(0x0010, 0, kPeer);
  REQUIRE(r.wait(kPasskeyNeg));
}

TEST_CASE("Passkey Display: Passkey Notify shows the passkey once (keypress updates are not re-shown)") {
  ScriptedUser user;
  Rig r(user.agent(IoCapability::display_only, false));
  bytes ev = kPeer;
  test::le(ev, 12345, 4);
  bytes first = with(ev, {0x00});
  bytes typed = with(ev, {0x03});
  r.kernel.event(0x0017, 0, first);
  r.kernel.event(0x0017, 0, typed);
  r.settle();
  CHECK(user.shown == std::vector<std::string>{"Passkey for 11:22:33:44:55:66: 012345"});
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

TEST_CASE("kAnyIndex: every controller's questions, each answered on the index that asked") {
  ScriptedUser user({"yes", "123"});
  Rig r(user.agent(IoCapability::keyboard_display), mgmt::kAnyIndex);
  r.confirm_request(0x01, 0, 1);
  REQUIRE(r.wait(kConfirmReply));
  r.kernel.event(0x0010, 2, kPeer);
  REQUIRE(r.wait(kPasskeyReply));
  CHECK(r.kernel.commands.at(0).index == 1);
  CHECK(r.kernel.commands.at(1).index == 2);
  CHECK(r.kernel.params(kPasskeyReply) == with(kPeer, {123, 0, 0, 0}));
  CHECK(user.asked_index == std::vector<std::uint16_t>{1, 2});
  // configure() needs one controller
  CHECK(test::await_on(r.io, r.responder->configure()) == std::errc::invalid_argument);
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
