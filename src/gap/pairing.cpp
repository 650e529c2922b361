#include "src/gap/pairing.hpp"

#include <spdlog/spdlog.h>

#include "gen/mgmt_types.hpp"
#include "protocol/mgmt/status.hpp"
#include "src/mgmt/call.hpp"

namespace bcms::gap {

using namespace bcms::mgmt;

// ------------------------------------------------------------ agents
namespace {

class AutoAccept final : public PairingAgent {
 public:
  IoCapability io_capability() const override { return IoCapability::no_input_no_output; }
  void confirm(const PairingPeer&, std::uint32_t, bool, Confirm reply) override { reply(true); }
};

class YesNo final : public PairingAgent {
 public:
  using Cb = std::function<void(const PairingPeer&, std::uint32_t, bool, Confirm)>;
  explicit YesNo(Cb cb) : cb_(std::move(cb)) {}
  IoCapability io_capability() const override { return IoCapability::display_yes_no; }
  void confirm(const PairingPeer& p, std::uint32_t v, bool jw, Confirm reply) override { cb_(p, v, jw, std::move(reply)); }

 private:
  Cb cb_;
};

class PasskeyDisplay final : public PairingAgent {
 public:
  using Cb = std::function<void(const PairingPeer&, std::uint32_t)>;
  explicit PasskeyDisplay(Cb cb) : cb_(std::move(cb)) {}
  IoCapability io_capability() const override { return IoCapability::display_only; }
  // DisplayOnly against a peer without input is Just Works (Part H Table 2.8).
  void confirm(const PairingPeer&, std::uint32_t, bool just_works, Confirm reply) override { reply(just_works); }
  void display_passkey(const PairingPeer& p, std::uint32_t passkey, std::uint8_t entered) override {
    if (entered == 0) cb_(p, passkey);
  }

 private:
  Cb cb_;
};

class PasskeyEntry final : public PairingAgent {
 public:
  using Cb = std::function<void(const PairingPeer&, Passkey)>;
  explicit PasskeyEntry(Cb cb) : cb_(std::move(cb)) {}
  IoCapability io_capability() const override { return IoCapability::keyboard_only; }
  void confirm(const PairingPeer&, std::uint32_t, bool just_works, Confirm reply) override { reply(just_works); }
  void request_passkey(const PairingPeer& p, Passkey reply) override { cb_(p, std::move(reply)); }

 private:
  Cb cb_;
};

/// Makes a reply callable once; later calls do nothing.
template <class F>
auto once(F f) {
  return [f = std::move(f), used = std::make_shared<bool>(false)](auto&&... args) mutable {
    if (*used) return;
    *used = true;
    f(std::forward<decltype(args)>(args)...);
  };
}

}  // namespace

std::unique_ptr<PairingAgent> auto_accept_agent() { return std::make_unique<AutoAccept>(); }
std::unique_ptr<PairingAgent> yes_no_agent(YesNo::Cb cb) { return std::make_unique<YesNo>(std::move(cb)); }
std::unique_ptr<PairingAgent> passkey_display_agent(PasskeyDisplay::Cb cb) {
  return std::make_unique<PasskeyDisplay>(std::move(cb));
}
std::unique_ptr<PairingAgent> passkey_entry_agent(PasskeyEntry::Cb cb) {
  return std::make_unique<PasskeyEntry>(std::move(cb));
}

// ------------------------------------------------------------ responder
PairingResponder::PairingResponder(MgmtChannel& ch, std::uint16_t index, PairingAgent& agent)
    : ch_(ch), index_(index), agent_(agent) {
  std::weak_ptr<int> alive = alive_;
  auto on = [&]<class Ev>(void (PairingResponder::*fn)(const Ev&)) {
    subs_.push_back(ch_.subscribe<Ev>(index_, [this, alive, fn](std::uint16_t, const Ev& ev) {
      if (!alive.expired()) (this->*fn)(ev);
    }));
  };
  on(&PairingResponder::on_confirm);
  on(&PairingResponder::on_passkey);
  on(&PairingResponder::on_notify);
  on(&PairingResponder::on_failed);
}

PairingResponder::~PairingResponder() { alive_.reset(); }

asio::awaitable<std::error_code> PairingResponder::configure(bool bondable) {
  auto b = co_await call(ch_, SetBondable{static_cast<std::uint8_t>(bondable ? 1 : 0)}, index_);
  if (!b) co_return b.error();
  auto io = co_await call(ch_, SetIoCapability{static_cast<std::uint8_t>(agent_.io_capability())}, index_);
  if (!io) co_return io.error();
  co_return std::error_code{};
}

void PairingResponder::reply(std::uint16_t opcode, bytes params) {
  // Replies may jump ahead of a pending Pair Device (MgmtChannel keys by
  // opcode), and they are sent asynchronously: the loop keeps turning.
  const std::uint16_t index = index_;
  ch_.send(opcode, index_, std::move(params), [opcode, index](std::error_code ec, bytes) {
    if (ec) spdlog::warn("hci{}: pairing reply 0x{:04x} failed: {}", index, opcode, ec.message());
  });
}

void PairingResponder::on_confirm(const UserConfirmationRequestEvent& ev) {
  ++stats_.confirmations;
  const PairingPeer peer{ev.address, ev.address_type};
  std::weak_ptr<int> alive = alive_;
  agent_.confirm(peer, ev.value, ev.confirm_hint == 1, once([this, alive, peer](bool accept) {
    if (alive.expired()) return;
    spdlog::info("hci{}: pairing with {}: {}", index_, peer.address.to_string(), accept ? "accepted" : "rejected");
    ++(accept ? stats_.accepted : stats_.rejected);
    if (accept)
      reply(static_cast<std::uint16_t>(Opcode::UserConfirmationReply), params_of(UserConfirmationReply{peer.address, peer.type}));
    else
      reply(static_cast<std::uint16_t>(Opcode::UserConfirmationNegativeReply),
            params_of(UserConfirmationNegativeReply{peer.address, peer.type}));
  }));
}

void PairingResponder::on_passkey(const UserPasskeyRequestEvent& ev) {
  ++stats_.passkey_requests;
  const PairingPeer peer{ev.address, ev.address_type};
  std::weak_ptr<int> alive = alive_;
  agent_.request_passkey(peer, once([this, alive, peer](std::optional<std::uint32_t> passkey) {
    if (alive.expired()) return;
    if (passkey && *passkey <= 999999) {
      ++stats_.accepted;
      reply(static_cast<std::uint16_t>(Opcode::UserPasskeyReply),
            params_of(UserPasskeyReply{peer.address, peer.type, *passkey}));
    } else {
      ++stats_.rejected;
      reply(static_cast<std::uint16_t>(Opcode::UserPasskeyNegativeReply),
            params_of(UserPasskeyNegativeReply{peer.address, peer.type}));
    }
  }));
}

void PairingResponder::on_notify(const PasskeyNotifyEvent& ev) {
  agent_.display_passkey(PairingPeer{ev.address, ev.address_type}, ev.passkey, ev.entered);
}

void PairingResponder::on_failed(const AuthenticationFailedEvent& ev) {
  ++stats_.failures;
  const std::error_code ec = make_error_code(static_cast<Status>(ev.status));
  spdlog::warn("hci{}: pairing with {} failed: {}", index_, ev.address.to_string(), ec.message());
  agent_.failed(PairingPeer{ev.address, ev.address_type}, ec);
}

}  // namespace bcms::gap
