// The CLI's pairing agent: gap::PromptAgent (src/gap/pairing.hpp, the one
// agent: NoInputNoOutput accepts Just Works, other capabilities ask) behind
// a gap::PairingResponder, with the CLI's face: every request is printed
// (text, or a JSON line with --json) before it is answered, questions are
// asked on stdin (a terminal, or a pipe for scripts; an empty answer or end
// of input rejects), and the keys the kernel hands out (New Long Term Key,
// New Identity Resolving Key, New Signature Resolving Key, New Link Key)
// are printed, the job `bt-agent --capability=NoInputNoOutput` did for the
// original service.
#pragma once

#include <memory>
#include <vector>

#include "cli/mgmt/context.hpp"
#include "src/gap/pairing.hpp"

namespace bcms::cli {

class Agent {
 public:
  /// Answers on ctx's index (or every index when `all_indexes`).  Does not
  /// send Set IO Capability: the caller does (`agent`) or passes the
  /// capability in Pair Device (`pair`).
  Agent(Ctx& ctx, std::uint8_t io_capability, bool all_indexes);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;
  [[nodiscard]] int keys_seen() const { return keys_; }

 private:
  void on_key(std::uint16_t index, const json& j);

  Ctx& ctx_;
  std::unique_ptr<gap::PromptAgent> agent_;
  std::unique_ptr<gap::PairingResponder> responder_;
  std::vector<mgmt::Subscription> subs_;
  int keys_ = 0;
};

}  // namespace bcms::cli
