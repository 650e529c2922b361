// Pairing: the agent the application chooses, and the responder that
// connects it to the kernel's SMP through mgmt.
//
// The kernel runs SMP (Core v5.4 Vol 3 Part H) itself; user space only
// sets the IO capability (mgmt "Set IO Capability", which selects the
// association model, Part H 2.3.5.1) and answers the kernel's questions:
//   User Confirmation Request (0x000F) -> User Confirmation (Negative) Reply
//     Just Works asks for consent only (Confirm_Hint 1); Numeric
//     Comparison shows a 6-digit value to compare (Confirm_Hint 0);
//   User Passkey Request (0x0010)      -> User Passkey (Negative) Reply
//     Passkey Entry on our side (keyboard);
//   PIN Code Request (0x000E)          -> PIN Code (Negative) Reply
//     BR/EDR legacy pairing (Core v5.4 Vol 3 Part C 5.2.2.3);
//   Passkey Notify (0x0017)            -> nothing to answer: show the
//     passkey the peer must enter (display).
// A question the agent never answers is failed by the kernel's SMP timer
// (30 s, Part H 3.4).  The same responder serves a peripheral (PeripheralApp)
// and an initiator (bcms-mgmt pair: the questions come while Pair Device
// runs); with kAnyIndex it answers for every controller.
//
// Agents: PromptAgent is the one interactive agent (bcms-mgmt agent/pair,
// the example peripherals): its IO capability decides what needs the user,
// it asks through a callback that returns a line of text, and it parses the
// answer.  auto_accept_agent() is PromptAgent with NoInputNoOutput.  Any
// class derived from PairingAgent works too (tests).
#pragma once

#include <asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "protocol/address.hpp"
#include "src/mgmt/channel.hpp"

namespace bcms::mgmt {
struct UserConfirmationRequestEvent;
struct UserPasskeyRequestEvent;
struct PinCodeRequestEvent;
struct PasskeyNotifyEvent;
struct AuthenticationFailedEvent;
}  // namespace bcms::mgmt

namespace bcms::gap {

/// mgmt IO_Capability values (mgmt-api.txt "Set IO Capability Command";
/// Core v5.4 Vol 3 Part H 3.5.1 Table 3.4).
enum class IoCapability : std::uint8_t {
  display_only = 0x00,
  display_yes_no = 0x01,
  keyboard_only = 0x02,
  no_input_no_output = 0x03,
  keyboard_display = 0x04,
};

struct PairingPeer {
  Address address{};
  AddressType type = AddressType::le_public;
  std::uint16_t index = 0;  // the controller that asks
};

class PairingAgent {
 public:
  using Confirm = std::function<void(bool accept)>;
  using Passkey = std::function<void(std::optional<std::uint32_t> passkey)>;  // nullopt refuses
  using Pin = std::function<void(std::optional<std::string> pin)>;  // 1-16 octets; nullopt refuses

  virtual ~PairingAgent() = default;
  [[nodiscard]] virtual IoCapability io_capability() const = 0;
  /// User Confirmation Request.  `just_works`: consent only, `value` is
  /// meaningless; otherwise compare `value` with the peer's display.
  /// Call `reply` exactly once, now or later (extra calls are ignored).
  virtual void confirm(const PairingPeer& peer, std::uint32_t value, bool just_works, Confirm reply) = 0;
  /// User Passkey Request: the passkey the peer displays (0..999999).
  virtual void request_passkey(const PairingPeer&, Passkey reply) { reply(std::nullopt); }
  /// PIN Code Request (BR/EDR legacy pairing): 1 to 16 octets.
  virtual void request_pin(const PairingPeer&, Pin reply) { reply(std::nullopt); }
  /// Passkey Notify: show `passkey`; `entered` counts the keys the peer
  /// has typed so far (keypress notifications).
  virtual void display_passkey(const PairingPeer&, std::uint32_t /*passkey*/, std::uint8_t /*entered*/) {}
  /// Authentication Failed (the mgmt status of the failure).
  virtual void failed(const PairingPeer&, std::error_code) {}
};

/// The one interactive agent.  What it does with each question:
///   confirmation  NoInputNoOutput: accepts (Just Works is the only model
///                 without IO).  Others: asks "Pair with ADDR? (yes/no): "
///                 (Numeric Comparison: "Pair with ADDR, passkey 123456?
///                 (yes/no): "); "y" or "yes" (any case, blanks around
///                 ignored) accepts, anything else or no answer rejects.
///                 With `ask_just_works` false, Just Works is accepted
///                 without asking (a device without yes/no input).
///   passkey       NoInputNoOutput: refuses.  Others: asks "Passkey shown
///                 by ADDR (6 digits): "; 1-6 decimal digits (blanks around
///                 ignored) answer, anything else refuses.
///   PIN code      NoInputNoOutput: refuses.  Others: asks "PIN code for
///                 ADDR (1-16 characters): "; the line (1-16 octets) is
///                 the PIN, an empty or longer line refuses.
///   passkey notify  shows "Passkey for ADDR: 123456" once (keypress
///                 updates are not shown again).
class PromptAgent : public PairingAgent {
 public:
  /// The user's line, or nullopt when there is none (end of input).
  using Answer = std::function<void(std::optional<std::string> line)>;
  struct Ui {
    /// Puts `question` to the user; `answer` runs once, now or later.
    /// Unset: every question goes unanswered (rejected).
    std::function<void(const PairingPeer&, const std::string& question, Answer answer)> ask;
    /// Shows a line to the user (unset: nothing is shown).
    std::function<void(const PairingPeer&, const std::string& text)> show;
  };
  struct Options {
    IoCapability capability = IoCapability::no_input_no_output;
    bool ask_just_works = true;
  };
  PromptAgent(Options options, Ui ui);

  [[nodiscard]] IoCapability io_capability() const override { return opts_.capability; }
  void confirm(const PairingPeer& peer, std::uint32_t value, bool just_works, Confirm reply) override;
  void request_passkey(const PairingPeer& peer, Passkey reply) override;
  void request_pin(const PairingPeer& peer, Pin reply) override;
  void display_passkey(const PairingPeer& peer, std::uint32_t passkey, std::uint8_t entered) override;

  /// The answer rules above, for each kind of question.
  static bool parse_yes(std::string_view line) noexcept;
  static std::optional<std::uint32_t> parse_passkey(std::string_view line) noexcept;
  static std::optional<std::string> parse_pin(std::string_view line);

 private:
  void ask(const PairingPeer& peer, const std::string& question, Answer answer);

  Options opts_;
  Ui ui_;
};

/// PromptAgent with NoInputNoOutput: accepts Just Works, refuses the rest.
std::unique_ptr<PairingAgent> auto_accept_agent();

/// Connects an agent to one controller's pairing events (or every
/// controller's, with mgmt::kAnyIndex); each reply goes to the controller
/// that asked.
class PairingResponder {
 public:
  PairingResponder(mgmt::MgmtChannel& ch, std::uint32_t index, PairingAgent& agent);
  ~PairingResponder();
  PairingResponder(const PairingResponder&) = delete;
  PairingResponder& operator=(const PairingResponder&) = delete;

  /// Set Bondable (on: keys are kept, Part H 2.3.2 bonding flags) and
  /// Set IO Capability from the agent.  One controller only: EINVAL for a
  /// kAnyIndex responder.
  asio::awaitable<std::error_code> configure(bool bondable = true);

  struct Stats {
    std::uint64_t confirmations = 0;
    std::uint64_t passkey_requests = 0;
    std::uint64_t pin_requests = 0;
    std::uint64_t accepted = 0;
    std::uint64_t rejected = 0;
    std::uint64_t failures = 0;
  };
  [[nodiscard]] const Stats& stats() const noexcept { return stats_; }

 private:
  void on_confirm(std::uint16_t index, const mgmt::UserConfirmationRequestEvent& ev);
  void on_passkey(std::uint16_t index, const mgmt::UserPasskeyRequestEvent& ev);
  void on_pin(std::uint16_t index, const mgmt::PinCodeRequestEvent& ev);
  void on_notify(std::uint16_t index, const mgmt::PasskeyNotifyEvent& ev);
  void on_failed(std::uint16_t index, const mgmt::AuthenticationFailedEvent& ev);
  void reply(std::uint16_t opcode, std::uint16_t index, bytes params);

  mgmt::MgmtChannel& ch_;
  std::uint32_t index_;
  PairingAgent& agent_;
  Stats stats_;
  std::vector<mgmt::Subscription> subs_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace bcms::gap
