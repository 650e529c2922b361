#include "cli/mgmt/agent.hpp"

#include <unistd.h>

#include <iostream>
#include <string>

#include "cli/mgmt/common.hpp"

namespace bcms::cli {

using namespace bcms::mgmt;

namespace {
constexpr std::uint8_t kNoInputNoOutput = 3;

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
}  // namespace

Agent::Agent(Ctx& ctx, std::uint8_t io_capability, bool all_indexes) : ctx_(ctx), cap_(io_capability) {
  auto& ch = ctx.mgmt().channel();
  const std::uint32_t idx = all_indexes ? kAnyIndex : ctx.idx();
  auto on = [&]<class Ev>(void (Agent::*fn)(std::uint16_t, const Ev&)) {
    subs_.push_back(ch.subscribe<Ev>(idx, [this, fn](std::uint16_t i, const Ev& ev) { (this->*fn)(i, ev); }));
  };
  on(&Agent::on_confirm);
  on(&Agent::on_passkey);
  on(&Agent::on_pin);
  on(&Agent::on_notify);
  on(&Agent::on_auth_failed);
  auto key = [this](std::uint16_t i, const auto& ev) { on_key(i, key_json(ev)); };
  subs_.push_back(ch.subscribe<NewLongTermKeyEvent>(idx, key));
  subs_.push_back(ch.subscribe<NewIdentityResolvingKeyEvent>(idx, key));
  subs_.push_back(ch.subscribe<NewSignatureResolvingKeyEvent>(idx, key));
  subs_.push_back(ch.subscribe<NewLinkKeyEvent>(idx, key));
}

void Agent::reply(std::uint16_t opcode, std::uint16_t index, bytes params) {
  // Asynchronous: this runs inside the loop, which must keep turning.
  ctx_.mgmt().channel().send(opcode, index, std::move(params), [opcode](std::error_code ec, bytes) {
    if (ec) std::cerr << opcode_name(opcode) << " failed: " << ec.message() << "\n";
  });
}

std::string Agent::ask(const std::string& question) {
  // With --json, stdout carries only JSON lines: the prompt goes to stderr.
  (ctx_.json_output ? std::cerr : std::cout) << question << std::flush;
  std::string line;
  if (!std::getline(std::cin, line)) return {};
  return line;
}

void Agent::on_confirm(std::uint16_t index, const UserConfirmationRequestEvent& ev) {
  bool accept = true;
  if (ctx_.json_output) {
    ctx_.emit(json{{"event", "User Confirmation Request"}, {"index", index}, {"address", ev.address.to_string()},
                   {"confirm_hint", ev.confirm_hint}, {"value", ev.value}});
  } else {
    std::cout << hci(index) << " User Confirmation Request from " << ev.address.to_string() << " ("
              << addr_type_text(ev.address_type) << ") value " << ev.value << (ev.confirm_hint ? " (Just Works)" : "")
              << "\n";
  }
  if (cap_ != kNoInputNoOutput) {
    auto a = ask("Accept pairing with " + ev.address.to_string() + ", passkey " + std::to_string(ev.value) +
                 "? (yes/no): ");
    accept = a == "y" || a == "yes";
  }
  if (!ctx_.json_output) std::cout << (accept ? "Accepting" : "Rejecting") << " confirmation\n" << std::flush;
  if (accept) {
    UserConfirmationReply r;
    r.address = ev.address;
    r.address_type = ev.address_type;
    reply(static_cast<std::uint16_t>(r.opcode), index, params_of(r));
  } else {
    UserConfirmationNegativeReply r;
    r.address = ev.address;
    r.address_type = ev.address_type;
    reply(static_cast<std::uint16_t>(r.opcode), index, params_of(r));
  }
}

void Agent::on_passkey(std::uint16_t index, const UserPasskeyRequestEvent& ev) {
  if (ctx_.json_output)
    ctx_.emit(json{{"event", "User Passkey Request"}, {"index", index}, {"address", ev.address.to_string()}});
  else
    std::cout << hci(index) << " User Passkey Request from " << ev.address.to_string() << "\n" << std::flush;
  std::string a = cap_ == kNoInputNoOutput ? std::string() : ask("Passkey (6 digits): ");
  char* end = nullptr;
  unsigned long v = a.empty() ? 1000000 : std::strtoul(a.c_str(), &end, 10);
  if (a.empty() || *end || v > 999999) {
    UserPasskeyNegativeReply r;
    r.address = ev.address;
    r.address_type = ev.address_type;
    reply(static_cast<std::uint16_t>(r.opcode), index, params_of(r));
    return;
  }
  UserPasskeyReply r;
  r.address = ev.address;
  r.address_type = ev.address_type;
  r.passkey = static_cast<std::uint32_t>(v);
  reply(static_cast<std::uint16_t>(r.opcode), index, params_of(r));
}

void Agent::on_pin(std::uint16_t index, const PinCodeRequestEvent& ev) {
  if (ctx_.json_output)
    ctx_.emit(json{{"event", "PIN Code Request"}, {"index", index}, {"address", ev.address.to_string()}});
  else
    std::cout << hci(index) << " PIN Code Request from " << ev.address.to_string() << "\n" << std::flush;
  std::string a = cap_ == kNoInputNoOutput ? std::string() : ask("PIN code (1-16 characters): ");
  if (a.empty() || a.size() > 16) {
    PinCodeNegativeReply r;
    r.address = ev.address;
    r.address_type = ev.address_type;
    reply(static_cast<std::uint16_t>(r.opcode), index, params_of(r));
    return;
  }
  PinCodeReply r;
  r.address = ev.address;
  r.address_type = ev.address_type;
  r.pin_length = static_cast<std::uint8_t>(a.size());
  std::copy(a.begin(), a.end(), r.pin_code.begin());
  reply(static_cast<std::uint16_t>(r.opcode), index, params_of(r));
}

void Agent::on_notify(std::uint16_t index, const PasskeyNotifyEvent& ev) {
  if (ctx_.json_output) {
    ctx_.emit(json{{"event", "Passkey Notify"}, {"index", index}, {"address", ev.address.to_string()},
                   {"passkey", ev.passkey}, {"entered", ev.entered}});
  } else {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%06u", ev.passkey);
    std::cout << hci(index) << " Passkey Notify: enter " << buf << " on " << ev.address.to_string() << " ("
              << int(ev.entered) << " digits entered)\n";
  }
}

void Agent::on_auth_failed(std::uint16_t index, const AuthenticationFailedEvent& ev) {
  std::error_code ec = static_cast<Status>(ev.status);
  if (ctx_.json_output)
    ctx_.emit(json{{"event", "Authentication Failed"}, {"index", index}, {"address", ev.address.to_string()},
                   {"status", ec.message()}});
  else
    std::cout << hci(index) << " Authentication Failed with " << ev.address.to_string() << ": " << ec.message() << "\n"
              << std::flush;
}

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
