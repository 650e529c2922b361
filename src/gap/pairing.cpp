#include "src/gap/pairing.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "gen/mgmt_types.hpp"
#include "protocol/mgmt/status.hpp"
#include "protocol/sys_error.hpp"
#include "src/mgmt/call.hpp"

namespace bcms::gap {

using namespace bcms::mgmt;

namespace {

/// Makes a reply callable once; later calls do nothing.
template <class F>
auto once(F f) {
  return [f = std::move(f), used = std::make_shared<bool>(false)](auto&&... args) mutable {
    if (*used) return;
    *used = true;
    f(std::forward<decltype(args)>(args)...);
  };
}

std::string_view trim(std::string_view s) noexcept {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string six_digits(std::uint32_t v) {
  char buf[12];
  std::snprintf(buf, sizeof buf, "%06u", static_cast<unsigned>(v));
  return buf;
}

}  // namespace

// ------------------------------------------------------------ PromptAgent
PromptAgent::PromptAgent(Options options, Ui ui) : opts_(options), ui_(std::move(ui)) {}

bool PromptAgent::parse_yes(std::string_view line) noexcept {
  line = trim(line);
  std::string lower(line);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
  return lower == "y" || lower == "yes";
}

std::optional<std::uint32_t> PromptAgent::parse_passkey(std::string_view line) noexcept {
  line = trim(line);
  if (line.empty() || line.size() > 6) return std::nullopt;
  std::uint32_t v = 0;
  const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), v, 10);
  if (ec != std::errc{} || end != line.data() + line.size()) return std::nullopt;
  return v;  // at most 6 digits: 0..999999
}

std::optional<std::string> PromptAgent::parse_pin(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // a terminal's CR LF
  if (line.empty() || line.size() > 16) return std::nullopt;
  return std::string(line);
}

void PromptAgent::ask(const PairingPeer& peer, const std::string& question, Answer answer) {
  if (!ui_.ask) return answer(std::nullopt);
  ui_.ask(peer, question, std::move(answer));
}

void PromptAgent::confirm(const PairingPeer& peer, std::uint32_t value, bool just_works, Confirm reply) {
  if (opts_.capability == IoCapability::no_input_no_output || (just_works && !opts_.ask_just_works))
    return reply(true);
  std::string q = "Pair with " + peer.address.to_string();
  if (!just_works) q += ", passkey " + six_digits(value);
  ask(peer, q + "? (yes/no): ",
      [reply = std::move(reply)](std::optional<std::string> a) { reply(a && parse_yes(*a)); });
}

void PromptAgent::request_passkey(const PairingPeer& peer, Passkey reply) {
  if (opts_.capability == IoCapability::no_input_no_output) return reply(std::nullopt);
  ask(peer, "Passkey shown by " + peer.address.to_string() + " (6 digits): ",
      [reply = std::move(reply)](std::optional<std::string> a) { reply(a ? parse_passkey(*a) : std::nullopt); });
}

void PromptAgent::request_pin(const PairingPeer& peer, Pin reply) {
  if (opts_.capability == IoCapability::no_input_no_output) return reply(std::nullopt);
  ask(peer, "PIN code for " + peer.address.to_string() + " (1-16 characters): ",
      [reply = std::move(reply)](std::optional<std::string> a) { reply(a ? parse_pin(*a) : std::nullopt); });
}

void PromptAgent::display_passkey(const PairingPeer& peer, std::uint32_t passkey, std::uint8_t entered) {
  if (entered == 0 && ui_.show) ui_.show(peer, "Passkey for " + peer.address.to_string() + ": " + six_digits(passkey));
}

std::unique_ptr<PairingAgent> auto_accept_agent() {
  return std::make_unique<PromptAgent>(PromptAgent::Options{}, PromptAgent::Ui{});
}

// ------------------------------------------------------------ responder
PairingResponder::PairingResponder(MgmtChannel& ch, std::uint32_t index, PairingAgent& agent)
    : ch_(ch), index_(index), agent_(agent) {
  std::weak_ptr<int> alive = alive_;
  auto on = [&]<class Ev>(void (PairingResponder::*fn)(std::uint16_t, const Ev&)) {
    subs_.push_back(ch_.subscribe<Ev>(index_, [this, alive, fn](std::uint16_t i, const Ev& ev) {
      if (!alive.expired()) (this->*fn)(i, ev);
    }));
  };
  on(&PairingResponder::on_confirm);
  on(&PairingResponder::on_passkey);
  on(&PairingResponder::on_pin);
  on(&PairingResponder::on_notify);
  on(&PairingResponder::on_failed);
}

PairingResponder::~PairingResponder() { alive_.reset(); }

asio::awaitable<std::error_code> PairingResponder::configure(bool bondable) {
  if (index_ > 0xFFFF || index_ == kNonController) co_return errno_code(EINVAL);
  const auto index = static_cast<std::uint16_t>(index_);
  auto b = co_await call(ch_, SetBondable{static_cast<std::uint8_t>(bondable ? 1 : 0)}, index);
  if (!b) co_return b.error();
  auto io = co_await call(ch_, SetIoCapability{static_cast<std::uint8_t>(agent_.io_capability())}, index);
  if (!io) co_return io.error();
  co_return std::error_code{};
}

void PairingResponder::reply(std::uint16_t opcode, std::uint16_t index, bytes params) {
  // Replies may jump ahead of a pending Pair Device (MgmtChannel keys by
  // opcode), and they are sent asynchronously: the loop keeps turning.
  ch_.send(opcode, index, std::move(params), [opcode, index](std::error_code ec, bytes) {
    if (ec) spdlog::warn("hci{}: pairing reply 0x{:04x} failed: {}", index, opcode, ec.message());
  });
}

void PairingResponder::on_confirm(std::uint16_t index, const UserConfirmationRequestEvent& ev) {
  ++stats_.confirmations;
  const PairingPeer peer{ev.address, ev.address_type, index};
  std::weak_ptr<int> alive = alive_;
  agent_.confirm(peer, ev.value, ev.confirm_hint == 1, once([this, alive, peer](bool accept) {
    if (alive.expired()) return;
    spdlog::info("hci{}: pairing with {}: {}", peer.index, peer.address.to_string(), accept ? "accepted" : "rejected");
    ++(accept ? stats_.accepted : stats_.rejected);
    if (accept)
      reply(static_cast<std::uint16_t>(Opcode::UserConfirmationReply), peer.index,
            params_of(UserConfirmationReply{peer.address, peer.type}));
    else
      reply(static_cast<std::uint16_t>(Opcode::UserConfirmationNegativeReply), peer.index,
            params_of(UserConfirmationNegativeReply{peer.address, peer.type}));
  }));
}

void PairingResponder::on_passkey(std::uint16_t index, const UserPasskeyRequestEvent& ev) {
  ++stats_.passkey_requests;
  const PairingPeer peer{ev.address, ev.address_type, index};
  std::weak_ptr<int> alive = alive_;
  agent_.request_passkey(peer, once([this, alive, peer](std::optional<std::uint32_t> passkey) {
    if (alive.expired()) return;
    if (passkey && *passkey <= 999999) {
      ++stats_.accepted;
      reply(static_cast<std::uint16_t>(Opcode::UserPasskeyReply), peer.index,
            params_of(UserPasskeyReply{peer.address, peer.type, *passkey}));
    } else {
      ++stats_.rejected;
      reply(static_cast<std::uint16_t>(Opcode::UserPasskeyNegativeReply), peer.index,
            params_of(UserPasskeyNegativeReply{peer.address, peer.type}));
    }
  }));
}

void PairingResponder::on_pin(std::uint16_t index, const PinCodeRequestEvent& ev) {
  ++stats_.pin_requests;
  const PairingPeer peer{ev.address, ev.address_type, index};
  std::weak_ptr<int> alive = alive_;
  agent_.request_pin(peer, once([this, alive, peer](std::optional<std::string> pin) {
    if (alive.expired()) return;
    if (pin && !pin->empty() && pin->size() <= 16) {
      ++stats_.accepted;
      PinCodeReply r{peer.address, peer.type, static_cast<std::uint8_t>(pin->size()), {}};
      std::copy(pin->begin(), pin->end(), r.pin_code.begin());
      reply(static_cast<std::uint16_t>(Opcode::PinCodeReply), peer.index, params_of(r));
    } else {
      ++stats_.rejected;
      reply(static_cast<std::uint16_t>(Opcode::PinCodeNegativeReply), peer.index,
            params_of(PinCodeNegativeReply{peer.address, peer.type}));
    }
  }));
}

void PairingResponder::on_notify(std::uint16_t index, const PasskeyNotifyEvent& ev) {
  agent_.display_passkey(PairingPeer{ev.address, ev.address_type, index}, ev.passkey, ev.entered);
}

void PairingResponder::on_failed(std::uint16_t index, const AuthenticationFailedEvent& ev) {
  ++stats_.failures;
  const std::error_code ec = make_error_code(static_cast<Status>(ev.status));
  spdlog::warn("hci{}: pairing with {} failed: {}", index, ev.address.to_string(), ec.message());
  agent_.failed(PairingPeer{ev.address, ev.address_type, index}, ec);
}

}  // namespace bcms::gap
