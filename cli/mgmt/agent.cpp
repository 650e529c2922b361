#include "cli/mgmt/agent.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "cli/mgmt/common.hpp"

namespace bcms::cli {

using namespace bcms::mgmt;

namespace {

json key_json(const NewLongTermKeyEvent& ev) {
  return {{"event", "New Long Term Key"}, {"store_hint", ev.store_hint}, {"address", ev.address.to_string()},
          {"address_type", to_string(ev.address_type)}, {"key_type", ev.key_type}, {"central", ev.central},
          {"encryption_size", ev.encryption_size}, {"ediv", ev.enc_diversifier}, {"rand", ev.random_number},
          {"value", hex_bytes(ev.value)}};
}
json key_json(const NewIdentityResolvingKeyEvent& ev) {
  return {{"event", "New Identity Resolving Key"}, {"store_hint", ev.store_hint},
          {"random_address", ev.random_address.to_string()}, {"address", ev.address.to_string()},
          {"address_type", to_string(ev.address_type)}, {"value", hex_bytes(ev.value)}};
}
json key_json(const NewSignatureResolvingKeyEvent& ev) {
  return {{"event", "New Signature Resolving Key"}, {"store_hint", ev.store_hint}, {"address", ev.address.to_string()},
          {"address_type", to_string(ev.address_type)}, {"type", ev.type}, {"value", hex_bytes(ev.value)}};
}
json key_json(const NewLinkKeyEvent& ev) {
  return {{"event", "New Link Key"}, {"store_hint", ev.store_hint}, {"address", ev.address.to_string()},
          {"address_type", to_string(ev.address_type)}, {"key_type", ev.key_type}, {"value", hex_bytes(ev.value)},
          {"pin_length", ev.pin_length}};
}

/// The one agent (gap::PromptAgent) with the CLI's face: each request is
/// printed before the agent decides, and its questions are read from stdin.
class CliPromptAgent final : public gap::PromptAgent {
 public:
  CliPromptAgent(Ctx& ctx, std::uint8_t cap)
      : PromptAgent({.capability = static_cast<gap::IoCapability>(cap), .ask_just_works = true},
                    {.ask = [&ctx](const gap::PairingPeer&, const std::string& q, Answer answer) {
                      answer(read_answer(ctx, q));
                    },
                     .show = {}}),
        ctx_(ctx) {}

  void confirm(const gap::PairingPeer& p, std::uint32_t value, bool just_works, Confirm reply) override {
    if (ctx_.json_output) {
      ctx_.emit(json{{"event", "User Confirmation Request"}, {"index", p.index}, {"address", p.address.to_string()},
                     {"confirm_hint", just_works ? 1 : 0}, {"value", value}});
    } else {
      std::cout << hci(p.index) << " User Confirmation Request from " << p.address.to_string() << " ("
                << addr_type_text(p.type) << ") value " << value << (just_works ? " (Just Works)" : "") << "\n"
                << std::flush;
    }
    PromptAgent::confirm(p, value, just_works, [this, reply = std::move(reply)](bool accept) {
      if (!ctx_.json_output) std::cout << (accept ? "Accepting" : "Rejecting") << " confirmation\n" << std::flush;
      reply(accept);
    });
  }

  void request_passkey(const gap::PairingPeer& p, Passkey reply) override {
    announce(p, "User Passkey Request");
    PromptAgent::request_passkey(p, std::move(reply));
  }

  void request_pin(const gap::PairingPeer& p, Pin reply) override {
    announce(p, "PIN Code Request");
    PromptAgent::request_pin(p, std::move(reply));
  }

  void display_passkey(const gap::PairingPeer& p, std::uint32_t passkey, std::uint8_t entered) override {
    if (ctx_.json_output) {
      ctx_.emit(json{{"event", "Passkey Notify"}, {"index", p.index}, {"address", p.address.to_string()},
                     {"passkey", passkey}, {"entered", entered}});
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "%06u", passkey);
      std::cout << hci(p.index) << " Passkey Notify: enter " << buf << " on " << p.address.to_string() << " ("
                << int(entered) << " digits entered)\n" << std::flush;
    }
  }

  void failed(const gap::PairingPeer& p, std::error_code ec) override {
    if (ctx_.json_output)
      ctx_.emit(json{{"event", "Authentication Failed"}, {"index", p.index}, {"address", p.address.to_string()},
                     {"status", ec.message()}});
    else
      std::cout << hci(p.index) << " Authentication Failed with " << p.address.to_string() << ": " << ec.message()
                << "\n" << std::flush;
  }

 private:
  /// With --json, stdout carries only JSON lines: the prompt goes to stderr.
  static std::optional<std::string> read_answer(Ctx& ctx, const std::string& question) {
    (ctx.json_output ? std::cerr : std::cout) << question << std::flush;
    std::string line;
    if (!std::getline(std::cin, line)) return std::nullopt;
    return line;
  }

  void announce(const gap::PairingPeer& p, const char* event) {
    if (ctx_.json_output)
      ctx_.emit(json{{"event", event}, {"index", p.index}, {"address", p.address.to_string()}});
    else
      std::cout << hci(p.index) << " " << event << " from " << p.address.to_string() << "\n" << std::flush;
  }

  Ctx& ctx_;
};

/// The responder logs through spdlog; bcms-mgmt's stdout carries only its
/// own lines (JSON lines with --json), so warnings go to stderr and the
/// responder's info lines (what the agent printed already) are dropped.
void log_to_stderr() {
  auto log = std::make_shared<spdlog::logger>("bcms-mgmt", std::make_shared<spdlog::sinks::stderr_sink_st>());
  log->set_pattern("bcms-mgmt: %v");
  log->set_level(spdlog::level::warn);
  spdlog::set_default_logger(std::move(log));
}

}  // namespace

Agent::Agent(Ctx& ctx, std::uint8_t io_capability, bool all_indexes)
    : ctx_(ctx), agent_(std::make_unique<CliPromptAgent>(ctx, io_capability)) {
  log_to_stderr();
  auto& ch = ctx.mgmt().channel();
  const std::uint32_t idx = all_indexes ? kAnyIndex : ctx.idx();
  responder_ = std::make_unique<gap::PairingResponder>(ch, idx, *agent_);
  auto key = [this](std::uint16_t i, const auto& ev) { on_key(i, key_json(ev)); };
  subs_.push_back(ch.subscribe<NewLongTermKeyEvent>(idx, key));
  subs_.push_back(ch.subscribe<NewIdentityResolvingKeyEvent>(idx, key));
  subs_.push_back(ch.subscribe<NewSignatureResolvingKeyEvent>(idx, key));
  subs_.push_back(ch.subscribe<NewLinkKeyEvent>(idx, key));
}

Agent::~Agent() = default;

void Agent::on_key(std::uint16_t index, const json& key) {
  ++keys_;
  json j{{"event", key["event"]}, {"index", index}};
  for (const auto& [k, v] : key.items())
    if (k != "event") j[k] = v;
  if (ctx_.json_output) {
    ctx_.emit(j);
    return;
  }
  std::cout << hci(index) << " " << j["event"].get<std::string>() << ":";
  for (auto& [k, v] : j.items()) {
    if (k == "event" || k == "index") continue;
    std::cout << " " << k << " " << (v.is_string() ? v.get<std::string>() : v.dump());
  }
  std::cout << "\n" << std::flush;
}

}  // namespace bcms::cli
