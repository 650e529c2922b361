// The CLI's pairing agent: answers User Confirmation, User Passkey and PIN
// Code requests and prints the keys the kernel hands out (New Long Term
// Key, New Identity Resolving Key, New Signature Resolving Key, New Link
// Key), the job `bt-agent --capability=NoInputNoOutput` did for the
// original service.  With NoInputNoOutput every confirmation is accepted
// (Just Works); otherwise the question is asked on stdin (a terminal, or a
// pipe for scripts), and an empty answer or end of input rejects.
#pragma once

#include <vector>

#include "cli/mgmt/context.hpp"
#include "gen/mgmt_types.hpp"

namespace bcms::cli {

class Agent {
 public:
  /// Subscribes on ctx's index (or every index when `all_indexes`).
  Agent(Ctx& ctx, std::uint8_t io_capability, bool all_indexes);
  [[nodiscard]] int keys_seen() const { return keys_; }

 private:
  void on_confirm(std::uint16_t index, const mgmt::UserConfirmationRequestEvent& ev);
  void on_passkey(std::uint16_t index, const mgmt::UserPasskeyRequestEvent& ev);
  void on_pin(std::uint16_t index, const mgmt::PinCodeRequestEvent& ev);
  void on_notify(std::uint16_t index, const mgmt::PasskeyNotifyEvent& ev);
  void on_auth_failed(std::uint16_t index, const mgmt::AuthenticationFailedEvent& ev);
  void on_key(std::uint16_t index, const json& j);
  void reply(std::uint16_t opcode, std::uint16_t index, bytes params);
  std::string ask(const std::string& question);

  Ctx& ctx_;
  std::uint8_t cap_;
  std::vector<mgmt::Subscription> subs_;
  int keys_ = 0;
};

}  // namespace bcms::cli
