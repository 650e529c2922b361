// Pairing as a peripheral: the agent the application chooses, and the
// responder that connects it to the kernel's SMP through mgmt.
//
// The kernel runs SMP (Core v5.4 Vol 3 Part H) itself; user space only
// sets the IO capability (mgmt "Set IO Capability", which selects the
// association model, Part H 2.3.5.1) and answers the kernel's questions:
//   User Confirmation Request (0x000F) -> User Confirmation (Negative) Reply
//     Just Works asks for consent only (Confirm_Hint 1); Numeric
//     Comparison shows a 6-digit value to compare (Confirm_Hint 0);
//   User Passkey Request (0x0010)      -> User Passkey (Negative) Reply
//     Passkey Entry on our side (keyboard);
//   Passkey Notify (0x0017)            -> nothing to answer: show the
//     passkey the peer must enter (display).
// A question the agent never answers is failed by the kernel's SMP timer
// (30 s, Part H 3.4).
//
// Agents (bluez-peripheral's NoIoAgent / YesNoAgent and friends):
//   auto_accept_agent()        NoInputNoOutput, accepts Just Works
//   yes_no_agent(cb)           DisplayYesNo, cb decides (now or later)
//   passkey_display_agent(cb)  DisplayOnly, cb shows the passkey
//   passkey_entry_agent(cb)    KeyboardOnly, cb supplies the passkey
// or any class derived from PairingAgent.
#pragma once

#include <asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <system_error>
#include <vector>

#include "protocol/address.hpp"
#include "src/mgmt/channel.hpp"

namespace bcms::mgmt {
struct UserConfirmationRequestEvent;
struct UserPasskeyRequestEvent;
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
};

class PairingAgent {
 public:
  using Confirm = std::function<void(bool accept)>;
  using Passkey = std::function<void(std::optional<std::uint32_t> passkey)>;  // nullopt refuses

  virtual ~PairingAgent() = default;
  [[nodiscard]] virtual IoCapability io_capability() const = 0;
  /// User Confirmation Request.  `just_works`: consent only, `value` is
  /// meaningless; otherwise compare `value` with the peer's display.
  /// Call `reply` exactly once, now or later (extra calls are ignored).
  virtual void confirm(const PairingPeer& peer, std::uint32_t value, bool just_works, Confirm reply) = 0;
  /// User Passkey Request: the passkey the peer displays (0..999999).
  virtual void request_passkey(const PairingPeer&, Passkey reply) { reply(std::nullopt); }
  /// Passkey Notify: show `passkey`; `entered` counts the keys the peer
  /// has typed so far (keypress notifications).
  virtual void display_passkey(const PairingPeer&, std::uint32_t /*passkey*/, std::uint8_t /*entered*/) {}
  /// Authentication Failed (the mgmt status of the failure).
  virtual void failed(const PairingPeer&, std::error_code) {}
};

std::unique_ptr<PairingAgent> auto_accept_agent();
std::unique_ptr<PairingAgent> yes_no_agent(
    std::function<void(const PairingPeer&, std::uint32_t value, bool just_works, PairingAgent::Confirm)> cb);
std::unique_ptr<PairingAgent> passkey_display_agent(std::function<void(const PairingPeer&, std::uint32_t)> cb);
std::unique_ptr<PairingAgent> passkey_entry_agent(std::function<void(const PairingPeer&, PairingAgent::Passkey)> cb);

/// Connects an agent to one controller's pairing events.
class PairingResponder {
 public:
  PairingResponder(mgmt::MgmtChannel& ch, std::uint16_t index, PairingAgent& agent);
  ~PairingResponder();
  PairingResponder(const PairingResponder&) = delete;
  PairingResponder& operator=(const PairingResponder&) = delete;

  /// Set Bondable (on: keys are kept, Part H 2.3.2 bonding flags) and
  /// Set IO Capability from the agent.
  asio::awaitable<std::error_code> configure(bool bondable = true);

  struct Stats {
    std::uint64_t confirmations = 0;
    std::uint64_t passkey_requests = 0;
    std::uint64_t accepted = 0;
    std::uint64_t rejected = 0;
    std::uint64_t failures = 0;
  };
  [[nodiscard]] const Stats& stats() const noexcept { return stats_; }

 private:
  void on_confirm(const mgmt::UserConfirmationRequestEvent& ev);
  void on_passkey(const mgmt::UserPasskeyRequestEvent& ev);
  void on_notify(const mgmt::PasskeyNotifyEvent& ev);
  void on_failed(const mgmt::AuthenticationFailedEvent& ev);
  void reply(std::uint16_t opcode, bytes params);

  mgmt::MgmtChannel& ch_;
  std::uint16_t index_;
  PairingAgent& agent_;
  Stats stats_;
  std::vector<mgmt::Subscription> subs_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace bcms::gap
