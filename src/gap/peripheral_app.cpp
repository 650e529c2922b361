#include "src/gap/peripheral_app.hpp"

#include <spdlog/spdlog.h>

#include "gen/mgmt_types.hpp"
#include "protocol/mgmt/status.hpp"
#include "src/att/link_security.hpp"
#include "src/gap/gap_error.hpp"
#include "src/l2cap/listener.hpp"
#include "src/mgmt/call.hpp"

namespace bcms::gap {

using namespace bcms::mgmt;

PeripheralApp::PeripheralApp(MgmtChannel& ch, att::Peripheral& periph, PairingAgent& agent, storage::Storage* store,
                             AppOptions opts)
    : ch_(ch),
      periph_(periph),
      store_(store),
      opts_(std::move(opts)),
      advertiser_(ch, opts_.index),
      pairing_(ch, opts_.index, agent) {
  std::weak_ptr<int> alive = alive_;
  periph_.on_connect([this, alive](const att::Connection& c) {
    if (alive.expired()) return;
    const bool bonded = bonds_ && bonds_->bonded(c.peer);
    spdlog::info("hci{}: connected: {}{}", opts_.index, c.peer.to_string(), bonded ? ", bonded" : "");
    if (on_connect_) on_connect_(c, bonded);
  });
  periph_.on_disconnect([this, alive](const att::Connection& c, std::error_code ec) {
    if (alive.expired()) return;
    spdlog::info("hci{}: disconnected: {} ({})", opts_.index, c.peer.to_string(), ec ? ec.message() : "closed");
    if (on_disconnect_) on_disconnect_(c);
  });
}

PeripheralApp::~PeripheralApp() {
  alive_.reset();
  periph_.on_connect(nullptr);
  periph_.on_disconnect(nullptr);
  periph_.server().set_client_store(nullptr);
  if (listener_) listener_->close();
}

std::error_code PeripheralApp::fail(std::error_code ec, std::string detail) {
  detail_ = std::move(detail);
  spdlog::error("hci{}: {}", opts_.index, detail_);
  return ec;
}

asio::awaitable<std::error_code> PeripheralApp::configure_controller() {
  const std::uint16_t idx = opts_.index;
  auto info = co_await call(ch_, ReadControllerInformation{}, idx);
  if (!info) co_return fail(info.error(), "Read Controller Information: " + info.error().message());
  if (info->address == Address{}) co_return fail(make_error_code(errc::no_controller_address), "no controller address");
  address_ = info->address;
  settings_ = info->current_settings;

  if (settings_ & mgmt::setting::advertising) {
    auto r = co_await call(ch_, SetAdvertising{0}, idx);
    if (!r) co_return fail(r.error(), "Set Advertising off: " + r.error().message());
  }
  if (!(settings_ & mgmt::setting::le)) {
    auto r = co_await call(ch_, SetLowEnergy{1}, idx);
    if (!r) co_return fail(r.error(), "Set Low Energy: " + r.error().message());
  }
  if (std::error_code ec = co_await pairing_.configure(opts_.bondable))
    co_return fail(ec, "Set Bondable / Set IO Capability: " + ec.message());
  if (!opts_.local_name.empty()) {
    const SetLocalName cmd{opts_.local_name, opts_.short_name};  // named: see src/mgmt/call.hpp
    auto r = co_await call(ch_, cmd, idx);
    if (!r) co_return fail(r.error(), "Set Local Name: " + r.error().message());
  }
  if (opts_.appearance) {
    auto r = co_await call(ch_, SetAppearance{*opts_.appearance}, idx);
    // Older kernels lack the command; the GATT Appearance is ours anyway.
    if (!r && r.error() != make_error_code(Status::UnknownCommand) && r.error() != make_error_code(Status::NotSupported))
      co_return fail(r.error(), "Set Appearance: " + r.error().message());
  }
  if (store_) {
    bonds_ = std::make_unique<BondManager>(ch_, idx, *store_, address_);
    std::weak_ptr<int> alive = alive_;
    bonds_->on_bonded([this, alive](const storage::Peer& p, bool) {
      if (!alive.expired()) on_bonded(p);
    });
    periph_.server().set_client_store(bonds_.get());
    if (std::error_code ec = co_await bonds_->load_into_kernel())
      co_return fail(ec, "loading bonds into the kernel: " + ec.message());
  }
  if (!(settings_ & mgmt::setting::powered)) {
    auto r = co_await call(ch_, SetPowered{1}, idx);
    if (!r) co_return fail(r.error(), "Set Powered: " + r.error().message());
    settings_ = r->current_settings;
  }
  co_return std::error_code{};
}

asio::awaitable<std::error_code> PeripheralApp::start() {
  if (std::error_code ec = co_await configure_controller()) co_return ec;
  for (const auto& adv : opts_.advertising) {
    auto r = co_await advertiser_.add(adv);
    if (!r) co_return fail(r.error().code, r.error().detail);
    spdlog::info("hci{}: advertising instance {} ({})", opts_.index, adv.instance,
                 adv.connectable ? "connectable" : "not connectable");
  }
  std::weak_ptr<int> alive = alive_;
  auth_failed_ = ch_.subscribe(static_cast<std::uint16_t>(EventCode::AuthenticationFailed), opts_.index,
                               [this, alive](std::uint16_t, byte_span p) {
                                 if (!alive.expired()) on_auth_failed(p);
                               });
  if (opts_.listen) {
    auto l = l2cap::Listener::open_att(periph_.io(), address_, AddressType::le_public);
    if (!l) co_return fail(l.error(), "listening on the ATT channel of " + address_.to_string() + ": " + l.error().message());
    listener_ = std::move(*l);
    accept_next();
  }
  started_ = true;
  spdlog::info("hci{}: serving GATT on {}", opts_.index, address_.to_string());
  co_return std::error_code{};
}

asio::awaitable<void> PeripheralApp::stop() {
  if (listener_) listener_->close();
  if (std::error_code ec = co_await advertiser_.remove(0))
    spdlog::warn("hci{}: removing advertising: {}", opts_.index, ec.message());
  for (auto id : periph_.connections()) periph_.disconnect(id);
  if (bonds_) bonds_->flush();
  started_ = false;
}

void PeripheralApp::accept_next() {
  std::weak_ptr<int> alive = alive_;
  listener_->async_accept([this, alive](std::error_code ec, l2cap::Listener::Accepted a) {
    if (alive.expired() || ec == asio::error::operation_aborted) return;
    if (ec) {
      spdlog::warn("hci{}: accept: {}", opts_.index, ec.message());
    } else {
      auto security = std::make_unique<att::SocketLinkSecurity>(a.socket.native_handle());
      serve(std::move(a.socket), Peer{a.peer.addr, a.peer.type}, std::move(security));
    }
    if (listener_) accept_next();
  });
}

att::ConnId PeripheralApp::serve(att::AttBearer::Socket socket, const Peer& peer,
                                 std::unique_ptr<att::LinkSecurity> security) {
  const bool bonded = bonds_ && bonds_->bonded(peer);
  // The CSRK goes in before the bearer starts: the server's connect()
  // may already see signed writes' counters.
  const att::ConnId id = periph_.attach(std::move(socket), peer, std::move(security), bonded);
  if (bonded) {
    if (auto b = periph_.bearer(id)) {
      if (auto k = bonds_->remote_csrk(peer)) {
        b->state().peer_csrk = k->key;
        b->state().csrk_authenticated = k->authenticated;
      }
    }
  }
  return id;
}

void PeripheralApp::on_bonded(const Peer& p) {
  for (auto id : periph_.connections()) {
    auto b = periph_.bearer(id);
    if (!b) continue;
    auto& st = b->state();
    if (st.peer != p) continue;
    // What the client configured before bonding persists from now on.
    periph_.server().bonded(st);
    if (auto k = bonds_->remote_csrk(p)) {
      st.peer_csrk = k->key;
      st.csrk_authenticated = k->authenticated;
    }
  }
}

void PeripheralApp::on_auth_failed(byte_span p) {
  auto ev = AuthenticationFailedEvent::decode(p);
  if (!ev) return;
  const Peer peer{ev->address, ev->address_type};
  spdlog::warn("hci{}: pairing with {} failed: {}", opts_.index, peer.to_string(),
               make_error_code(static_cast<Status>(ev->status)).message());
  for (auto id : periph_.connections()) {
    auto b = periph_.bearer(id);
    if (b && b->state().peer == peer) b->security_failed(make_error_code(static_cast<Status>(ev->status)));
  }
}

}  // namespace bcms::gap
